// GET /api/protected with `Authorization: Bearer <jwt>`: the API an app calls with its token.
// 200 { sub, key } for a token that is not expired on the server's clock (no tolerance: refused
// from its exp second on) and is either
// - signed by the token server's key (its `key` claim is the key), or
// - an access token of the OpenID Provider (`typ: at+jwt`, checked against the provider's JWKS,
//   the keys its /oidc/jwks serves), for the audience of one of the cache keys (the key);
// else 401 { error: 'expired' | 'invalid' | 'missing' } with `WWW-Authenticate: Bearer`.
// Counted as accepted or rejected in /api/stats.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import type { Counters } from './counters.js';
import { sendJson } from './http.js';
import type { OpenIdProvider } from './openid/provider.js';
import { keyOfResource } from './openid/resources.js';
import type { SigningKey } from './signing-key.js';

export interface ProtectedResourceOptions {
  counters: Counters;
  signingKey: SigningKey;
  openid: Pick<OpenIdProvider, 'publicKeys'>;
  /** The server's clock in epoch ms. */
  now: () => number;
}

export function createProtectedResource({ counters, signingKey, openid, now }: ProtectedResourceOptions) {
  /** The token's subject and key, or a rejection (jose's errors). */
  async function check(jwt: string): Promise<{ sub: unknown; key: unknown }> {
    const currentDate = new Date(now());
    if (decodeProtectedHeader(jwt).typ !== 'at+jwt') {
      const { publicKey } = await signingKey.keys;
      const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ['ES256'], currentDate });
      return { sub: payload.sub, key: payload.key };
    }
    const jwks = createLocalJWKSet({ keys: await openid.publicKeys() });
    const { payload } = await jwtVerify<JWTPayload>(jwt, jwks, {
      algorithms: ['ES256'],
      typ: 'at+jwt',
      currentDate,
    });
    const key = typeof payload.aud === 'string' ? keyOfResource(payload.aud) : undefined;
    if (key === undefined) throw new errors.JWTClaimValidationFailed('not for our API', payload, 'aud');
    return { sub: payload.sub, key };
  }

  return async function protectedResource(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuse = (error: 'expired' | 'invalid' | 'missing') => {
      counters.rejected();
      sendJson(res, 401, { error }, { 'www-authenticate': 'Bearer' });
    };
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    const jwt = match?.[1];
    if (jwt === undefined) {
      refuse('missing');
      return;
    }
    try {
      const { sub, key } = await check(jwt);
      counters.accepted();
      sendJson(res, 200, { sub, key });
    } catch (err) {
      refuse(err instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
  };
}
