// The playground's token server: plain Node request handling, no Vite in here, so that the
// unit tests can drive it through a bare `node:http` server (see plugin.ts for the Vite side).
//
//   POST /api/token          { key? }                        -> { token } (ES256 JWT)
//   GET  /.well-known/jwks.json                              -> { keys: [publicJwk] }
//   GET  /api/protected      Authorization: Bearer <jwt>     -> { sub, key } | 401 { error }
//   GET  /api/stats   -> { requests, byKey, accepted, rejected, reuseDetected, inFlight, maxInFlight }
//   POST /api/stats/reset                                    -> the zeroed stats
//   POST /api/control        { ttlSeconds?, latencyMs?, mode?, rotation?, skewNextSeconds?, user? }
//                                                            -> the control state
//   GET  /api/control                                        -> the control state
//   POST /api/session        (no body, or {})                -> { ok: true } + cookie rt
//   GET  /api/history        -> { now, windowMs, requests, events, controlAtStart } (history.ts):
//                               request arrival times and events of the last five minutes
//   /oidc/...                -> a real OpenID Provider (openid/provider.ts), whose refresh
//                               grants and revocations the counters and history count too
//
// Every other path falls through to `next()` (Vite serves the page). Issuing tokens is
// token-endpoint.ts (signed with signing-key.ts), /api/protected is protected-resource.ts,
// the settings (/api/control) are control.ts.
// `skewNextSeconds` is a one-shot: the next token signed is dated that many seconds off the
// server's clock, then the setting goes back to 0 by itself.
//
// Refresh-token rotation (`rotation: true`): the rules are at the top of token-endpoint.ts, the
// family store is rotation.ts.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import type { ControlState, ServerHistory, ServerMode, ServerStats } from './contract.js';
import { createControlEndpoint, initialControl } from './control.js';
import { createCounters } from './counters.js';
import { createHistory, type HistoryOptions } from './history.js';
import { checkFields, defaultSleep, HttpError, readJsonObject, sendJson } from './http.js';
import { createOpenIdProvider } from './openid/provider.js';
import { OPENID_PATH } from './openid/resources.js';
import { createProtectedResource } from './protected-resource.js';
import { createRefreshTokenStore, refreshCookie } from './rotation.js';
import { createSigningKey } from './signing-key.js';
import { createTokenEndpoint } from './token-endpoint.js';

export {
  type ControlChange,
  type ControlState,
  type HistoryEvent,
  SERVER_MODES,
  type ServerHistory,
  type ServerMode,
  type ServerStats,
} from './contract.js';
export { REFRESH_COOKIE, type RefreshError } from './rotation.js';

export interface TokenServerOptions {
  /** Initial control state; defaults: ttl 60 s, latency 0 ms, mode 'ok', rotation off. */
  ttlSeconds?: number;
  latencyMs?: number;
  mode?: ServerMode;
  rotation?: boolean;
  /** The server's clock in epoch ms, used to sign (iat) and to verify (exp). Default Date.now. */
  now?: () => number;
  /** How the latency is waited out. Default: setTimeout, cut short if the client goes away. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** `sub` of the tokens issued until POST /api/control changes `user`. Default 'user_demo'. */
  subject?: string;
  /** Largest accepted request body in bytes; larger ones get 413. Default 16 KiB. */
  maxBodyBytes?: number;
  /** How much GET /api/history remembers (history.ts). Default: five minutes. */
  history?: HistoryOptions;
}

export type NextFunction = (err?: unknown) => void;

export interface TokenServer {
  /**
   * Handles one request. Resolves true when it answered, false when the path is not the token
   * server's (then `next` was called, if given). Never rejects.
   */
  handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction): Promise<boolean>;
  /** Resolves once the key pair exists; `handle` waits for it on its own. */
  ready: Promise<void>;
  /** Live counters (read-only view; use reset() to zero them). */
  readonly stats: ServerStats;
  /** Live control state (change it through POST /api/control). */
  readonly control: Readonly<ControlState>;
  /** The public key as served by /.well-known/jwks.json. */
  publicJwk(): Promise<JWK>;
  /** Zeroes the counters (what POST /api/stats/reset does); sessions and history are kept. */
  resetStats(): void;
  /** What GET /api/history answers now. */
  history(): ServerHistory;
  /**
   * A token for `key`, as the app's server would render it into a page (R31, `tokens.seed`): not
   * a token request, so not counted in `requests`.
   */
  renderToken(key: string): Promise<string>;
}

type Method = 'GET' | 'POST';

/** Known paths and the methods each accepts. */
const ROUTES: Record<string, readonly Method[]> = {
  '/api/token': ['POST'],
  '/.well-known/jwks.json': ['GET'],
  '/api/protected': ['GET'],
  '/api/stats': ['GET'],
  '/api/stats/reset': ['POST'],
  '/api/control': ['GET', 'POST'],
  '/api/session': ['POST'],
  '/api/history': ['GET'],
};

export function createTokenServer(options: TokenServerOptions = {}): TokenServer {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;

  const control = initialControl({ ...options, user: options.subject });

  const counters = createCounters();
  const refreshTokens = createRefreshTokenStore();
  const history = createHistory(control, options.history);
  const snapshot = counters.snapshot;
  /** Zeroes the counters only: sessions (refresh-token families) and history are kept. */
  const resetStats = counters.reset;

  const signingKey = createSigningKey();
  const keys = signingKey.keys;
  const { issueToken, sign } = createTokenEndpoint({
    control,
    counters,
    history,
    refreshTokens,
    signingKey,
    now,
    sleep,
    maxBodyBytes,
  });

  /** POST /api/session: sign in, a new refresh-token family set as the `rt` cookie. */
  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonObject(req, maxBodyBytes);
    checkFields(body, []);
    history.event({ at: now(), kind: 'sign-in' });
    sendJson(res, 200, { ok: true }, { 'set-cookie': refreshCookie(refreshTokens.signIn()) });
  }

  const openid = createOpenIdProvider({ control, counters, history, now, sleep });
  const protectedResource = createProtectedResource({ counters, signingKey, openid, now });
  const setControl = createControlEndpoint({ control, history, now, maxBodyBytes });

  async function route(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (path) {
      case '/api/token':
        return issueToken(req, res);
      case '/.well-known/jwks.json':
        sendJson(res, 200, { keys: [(await keys).jwk] });
        return;
      case '/api/protected':
        return protectedResource(req, res);
      case '/api/stats':
        sendJson(res, 200, snapshot());
        return;
      case '/api/stats/reset':
        req.resume(); // a body, if any, is ignored
        resetStats();
        sendJson(res, 200, snapshot());
        return;
      case '/api/control':
        if (req.method === 'GET') {
          sendJson(res, 200, { ...control });
          return;
        }
        return setControl(req, res);
      case '/api/session':
        return signIn(req, res);
      case '/api/history':
        sendJson(res, 200, history.read(now()));
        return;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction): Promise<boolean> {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      path = '';
    }
    if (path === OPENID_PATH || path.startsWith(`${OPENID_PATH}/`)) {
      await openid.handle(req, res);
      return true;
    }
    const methods = ROUTES[path];
    if (methods === undefined) {
      next?.();
      return false;
    }
    try {
      if (!(methods as readonly string[]).includes(req.method ?? '')) {
        req.resume();
        throw new HttpError(
          405,
          `${req.method ?? '?'} is not allowed on ${path}; use ${methods.join(' or ')}`,
          { allow: methods.join(', ') },
        );
      }
      await route(path, req, res);
    } catch (err) {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message }, err.headers);
      } else {
        const reason = err instanceof Error ? err.message : String(err);
        sendJson(res, 500, { error: `token server failure: ${reason}` });
      }
    }
    return true;
  }

  const ready = keys.then(() => undefined);
  ready.catch(() => {});

  return {
    handle,
    ready,
    stats: counters.live,
    control,
    publicJwk: async () => ({ ...(await keys).jwk }),
    resetStats,
    history: () => history.read(now()),
    renderToken: sign,
  };
}
