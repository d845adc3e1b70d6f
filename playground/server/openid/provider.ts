// A real OpenID Provider in the playground (SPEC §3): oidc-provider, the certified one, run in
// this process and mounted at /oidc on the playground's own origin. What it is configured with:
//
// - one public client, `playground` (no secret: PKCE is required), authorization code flow, with
//   the playground's page as its redirect URI;
// - rotating refresh tokens, with oidc-provider's own reuse detection: a refresh token presented
//   twice revokes the whole grant (the user is signed out), unless the storage's reuse grace
//   (adapter.ts, POST /api/control `reuseGraceSeconds`) covers it;
// - JWT access tokens (`typ: at+jwt`, ES256) for one audience per cache key (resources.ts), valid
//   `ttlSeconds` of /api/control, so refreshes show;
// - its development login (any login and password; the login is the user's `sub`), and the
//   consent of the first-party page taken as given.
//
// The token server's counters and history see it: every refresh-token grant is a token request
// (counted per key, once the provider has answered and before /api/control's latency holds the
// answer back, so a refresh that reached it has used its refresh token up), `grant.revoked` is a
// reuse, and a code exchanged is a sign-in. The issuer is the origin the page is served on (the
// request's `Host`: the dev server's port, the preview's, or the e2e WebKit lane's proxy): one
// provider per origin, at most MAX_ORIGINS, sharing storage, signing key and counters.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { ControlState } from '../contract.js';
import type { Counters } from '../counters.js';
import type { History } from '../history.js';
import { createOpenIdStorage } from './adapter.js';
import { CLIENT_ID, keyOfResource, OPENID_PATH, OPENID_SCOPE } from './resources.js';

export interface OpenIdOptions {
  control: Readonly<ControlState>;
  counters: Counters;
  history: History;
  /** The server's clock in epoch ms. */
  now: () => number;
  /** How the latency is waited out; `signal` aborts when the client goes away. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface OpenIdProvider {
  /** Handles a request under /oidc (the path as it arrived, prefix included). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The provider's public signing keys, as its /oidc/jwks serves them. */
  publicKeys(): Promise<JWK[]>;
}

const DAY_S = 86_400;

/** Makes the provider's ES256 signing key: the private JWK the provider signs with. */
async function signingJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    ...(await exportJWK(privateKey)),
    kid: `openid-${randomBytes(4).toString('hex')}`,
    alg: 'ES256',
    use: 'sig',
  };
}

/** How many origins (Host headers) get a provider: a client can't make the server grow. */
const MAX_ORIGINS = 4;

export function createOpenIdProvider(options: OpenIdOptions): OpenIdProvider {
  const { control, counters, history, now, sleep } = options;
  const storage = createOpenIdStorage(now, () => control.reuseGraceSeconds);
  const jwk = signingJwk();
  jwk.catch(() => {});
  const handlers = new Map<string, Promise<(req: IncomingMessage, res: ServerResponse) => void>>();

  async function create(origin: string): Promise<Provider> {
    const key = await jwk;
    const made = new Provider(`${origin}${OPENID_PATH}`, {
      adapter: storage,
      jwks: { keys: [key] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      clients: [
        {
          client_id: CLIENT_ID,
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [`${origin}/`],
          id_token_signed_response_alg: 'ES256',
        },
      ],
      scopes: ['openid', OPENID_SCOPE],
      // Anyone the development login lets in (any login, any password) is an account.
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
      ttl: {
        AccessToken: () => control.ttlSeconds, // (a fixed number here would override every key's)
        AuthorizationCode: 60,
        IdToken: 3600,
        Interaction: 600,
        Session: DAY_S,
        Grant: 14 * DAY_S,
        RefreshToken: 14 * DAY_S,
      },
      rotateRefreshToken: true,
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      // The refresh token outlives the provider's login session, as a "remember me" does.
      expiresWithSession: async () => false,
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, resource) => {
            if (keyOfResource(resource) === undefined) throw new Error(`unknown resource ${resource}`);
            return {
              scope: OPENID_SCOPE,
              audience: resource,
              accessTokenTTL: control.ttlSeconds,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'ES256' } },
            };
          },
        },
      },
      // The playground's page is first-party: its consent is taken as given, for every resource
      // (cache key) it asks for.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const { client, session, params } = ctx.oidc;
        if (client === undefined || session?.accountId === undefined) return undefined;
        const existing = session.grantIdFor(client.clientId);
        if (existing !== undefined) {
          const found = await ctx.oidc.provider.Grant.find(existing);
          if (found !== undefined) return found;
        }
        const grant = new ctx.oidc.provider.Grant({
          clientId: client.clientId,
          accountId: session.accountId,
        });
        grant.addOIDCScope(`openid ${OPENID_SCOPE}`);
        const asked = params?.resource;
        for (const resource of Array.isArray(asked) ? asked : typeof asked === 'string' ? [asked] : []) {
          if (keyOfResource(resource) !== undefined) grant.addResourceScope(resource, OPENID_SCOPE);
        }
        await grant.save();
        return grant;
      },
    });
    made.on('grant.revoked', () => {
      counters.reuse();
      history.event({ at: now(), kind: 'reuse' });
    });
    made.use(async (ctx, next) => {
      if (ctx.method !== 'POST' || ctx.path !== '/token') return next();
      const gone = new AbortController();
      ctx.res.once('close', () => gone.abort());
      await next();
      const params = (ctx as KoaContextWithOIDC).oidc?.params;
      // A code exchanged is a sign-in, for the timeline (not a token request of the cache's).
      if (params?.grant_type === 'authorization_code' && ctx.status === 200)
        history.event({ at: now(), kind: 'sign-in' });
      if (params?.grant_type !== 'refresh_token') return;
      const resource = typeof params.resource === 'string' ? params.resource : '';
      // (A resource not ours, or none, counts under one name: a client can't grow the counters.)
      const inFlight = counters.request(keyOfResource(resource) ?? '(not a key)');
      history.request(now());
      try {
        await sleep(control.latencyMs, gone.signal);
      } finally {
        inFlight.done();
      }
    });
    return made;
  }

  return {
    async handle(req, res) {
      const host = req.headers.host ?? 'localhost';
      let handler = handlers.get(host);
      if (!handler) {
        if (handlers.size >= MAX_ORIGINS) {
          res.writeHead(421, { 'content-type': 'text/plain' });
          res.end(`The playground's OpenID Provider serves at most ${MAX_ORIGINS} origins`);
          return;
        }
        handler = create(`http://${host}`).then((made) => made.callback());
        handlers.set(host, handler);
      }
      const callback = await handler;
      // Mounted at /oidc: the provider sees the path below it, and finds its mount point in
      // originalUrl (as under Express or Connect).
      const url = req.url ?? '/';
      Object.assign(req, { originalUrl: url, url: url.slice(OPENID_PATH.length) || '/' });
      callback(req, res);
    },
    async publicKeys() {
      const { d: _private, ...publicKey } = await jwk;
      return [publicKey];
    },
  };
}
