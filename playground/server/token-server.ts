// The playground's token server: plain Node request handling, no Vite in here, so that the
// unit tests can drive it through a bare `node:http` server (see plugin.ts for the Vite side).
//
//   POST /api/token          { key? }                        -> { token } (ES256 JWT)
//   GET  /.well-known/jwks.json                              -> { keys: [publicJwk] }
//   GET  /api/protected      Authorization: Bearer <jwt>     -> { sub, key } | 401 { error }
//   GET  /api/stats                 -> { requests, byKey, accepted, rejected, reuseDetected }
//   POST /api/stats/reset                                    -> the zeroed stats
//   POST /api/control        { ttlSeconds?, latencyMs?, mode?, rotation? } -> the control state
//   GET  /api/control                                        -> the control state
//   POST /api/session        (no body, or {})                -> { ok: true } + cookie rt
//   GET  /api/history        -> { now, windowMs, requests, events, controlAtStart } (history.ts):
//                               request arrival times and events of the last five minutes
//
// Every other path falls through to `next()` (Vite serves the page).
//
// Refresh-token rotation (`rotation: true`; the family store is in rotation.ts):
// - POST /api/session signs in: a new refresh-token family, whose first token is set as the
//   httpOnly cookie `rt`. It works whether rotation is on or off, and leaves other families alone.
// - POST /api/token then requires the cookie. The current token of a live family is used up on
//   the request's *arrival* (before the latency), and the answer carries the access token and the
//   family's next token as a new `rt` cookie. An already used token of a live family is reuse: the
//   family is revoked, `reuseDetected` counts it (on arrival too), and the answer is
//   401 { error: 'refresh_token_reused' }. No cookie, an unknown token or a revoked family:
//   401 { error: 'no_session' }. Two requests that arrive with the same cookie before the first
//   has answered are therefore one success and one reuse, as on a real server.
// - A 401 leaves the cookie as it is (clearing it could wipe a newer session's cookie set by a
//   sign-in meanwhile); the stale token is harmless, its family being revoked.
// - Modes: 'fail' at arrival means the server fails before looking at the refresh token: the
//   503 consumes nothing. A token used up on arrival stays used up if the answer never carries
//   its successor: the client went away during the latency, or the mode became 'fail' during it
//   (503 without a cookie). The client's cookie then holds a used token and its next refresh is
//   reuse: the hazard of a refresh lost in flight. If the mode was 'fail' at arrival and is not
//   after the latency, the token is looked at then. 'garbage' rotates as 'ok' does (new cookie),
//   only the access token is not a JWT. A 401 for the refresh token wins over the mode.
// - Whether rotation applies is read on arrival; the mode after the latency, as without rotation.
// - POST /api/stats/reset zeroes the counters, reuseDetected included, and revokes no session.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose';
import {
  type ControlState,
  LIMITS,
  type ServerHistory,
  type ServerMode,
  type ServerStats,
} from './contract.js';
import { createCounters } from './counters.js';
import { createHistory, type HistoryOptions } from './history.js';
import {
  checkBoolean,
  checkFields,
  checkInteger,
  checkMode,
  defaultSleep,
  HttpError,
  readJsonObject,
  sendJson,
  showValue,
} from './http.js';
import {
  createRefreshTokenStore,
  REFRESH_COOKIE,
  type RefreshError,
  type RotationResult,
  readCookie,
  refreshCookie,
} from './rotation.js';

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
  /** `sub` of every issued token. Default 'user_demo'. */
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
}

const { ttlSeconds: TTL, latencyMs: LATENCY } = LIMITS;
const KEY_MAX_LENGTH = 256; // the library accepts keys of up to 256 characters
const DEFAULT_KEY = 'default';

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
  const subject = options.subject ?? 'user_demo';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;

  const control: ControlState = {
    ttlSeconds: checkInteger('ttlSeconds', options.ttlSeconds ?? 60, TTL.min, TTL.max),
    latencyMs: checkInteger('latencyMs', options.latencyMs ?? 0, LATENCY.min, LATENCY.max),
    mode: checkMode(options.mode ?? 'ok'),
    rotation: checkBoolean('rotation', options.rotation ?? false),
  };

  const counters = createCounters();
  const refreshTokens = createRefreshTokenStore();
  const history = createHistory(control, options.history);
  const snapshot = counters.snapshot;
  /** Zeroes the counters only: sessions (refresh-token families) and history are kept. */
  const resetStats = counters.reset;

  /** Looks at the presented refresh token: rotates it, or counts a reuse. */
  const spendRefreshToken = (presented: string | undefined): RotationResult => {
    const result = refreshTokens.rotate(presented);
    if (!result.ok && result.error === 'refresh_token_reused') {
      counters.reuse();
      history.event({ at: now(), kind: 'reuse' });
    }
    return result;
  };

  const kid = `playground-${randomUUID().slice(0, 8)}`;
  const keys = (async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    return { publicKey, privateKey, jwk };
  })();
  // Keep an early failure from being an unhandled rejection; `handle` reports it as a 500.
  keys.catch(() => {});

  async function issueToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonObject(req, maxBodyBytes);
    checkFields(body, ['key']);
    let key = DEFAULT_KEY;
    if ('key' in body) {
      const value = body.key;
      if (typeof value !== 'string' || value.length === 0 || value.length > KEY_MAX_LENGTH) {
        throw new HttpError(
          400,
          `key must be a non-empty string of at most ${KEY_MAX_LENGTH} characters, got ${showValue(value)}`,
        );
      }
      key = value;
    }

    // Counted on arrival, before the latency, whatever the mode answers.
    counters.request(key);
    history.request(now());

    // Rotation happens on arrival too, unless the server is failing (then it consumes nothing).
    const rotating = control.rotation;
    const presented = rotating ? readCookie(req.headers.cookie, REFRESH_COOKIE) : undefined;
    let session: RotationResult | undefined =
      rotating && control.mode !== 'fail' ? spendRefreshToken(presented) : undefined;
    const refuse = (error: RefreshError) => sendJson(res, 401, { error });

    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.on('close', onClose);
    try {
      await sleep(control.latencyMs, gone.signal);
    } finally {
      res.off('close', onClose);
    }
    // The client left while we were "slow"; a refresh token rotated on arrival is lost with it.
    if (gone.signal.aborted) return;

    if (session !== undefined && !session.ok) {
      refuse(session.error);
      return;
    }
    // Read the mode after the latency: a /api/control call during the wait takes effect.
    if (control.mode === 'fail') {
      sendJson(res, 503, { error: 'unavailable' }); // no cookie: a token rotated on arrival is lost
      return;
    }
    if (rotating && session === undefined) {
      // The server was failing on arrival and is not any more: the token is looked at now.
      session = spendRefreshToken(presented);
      if (!session.ok) {
        refuse(session.error);
        return;
      }
    }
    const cookie: Record<string, string> = session?.ok ? { 'set-cookie': refreshCookie(session.next) } : {};
    if (control.mode === 'garbage') {
      sendJson(res, 200, { token: 'this-is-not-a-jwt' }, cookie);
      return;
    }
    const { privateKey } = await keys;
    const iat = Math.floor(now() / 1000);
    const token = await new SignJWT({ key })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setSubject(subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + control.ttlSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
    sendJson(res, 200, { token }, cookie);
  }

  /** POST /api/session: sign in, a new refresh-token family set as the `rt` cookie. */
  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonObject(req, maxBodyBytes);
    checkFields(body, []);
    history.event({ at: now(), kind: 'sign-in' });
    sendJson(res, 200, { ok: true }, { 'set-cookie': refreshCookie(refreshTokens.signIn()) });
  }

  async function protectedResource(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    const { publicKey } = await keys;
    try {
      // No clock tolerance: a token is refused from its exp second on.
      const { payload } = await jwtVerify(jwt, publicKey, {
        algorithms: ['ES256'],
        currentDate: new Date(now()),
      });
      counters.accepted();
      sendJson(res, 200, { sub: payload.sub, key: payload.key });
    } catch (err) {
      refuse(err instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
  }

  async function setControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonObject(req, maxBodyBytes);
    checkFields(body, ['ttlSeconds', 'latencyMs', 'mode', 'rotation']);
    // Validate everything before changing anything.
    const next: ControlState = { ...control };
    if ('ttlSeconds' in body) next.ttlSeconds = checkInteger('ttlSeconds', body.ttlSeconds, TTL.min, TTL.max);
    if ('latencyMs' in body) {
      next.latencyMs = checkInteger('latencyMs', body.latencyMs, LATENCY.min, LATENCY.max);
    }
    if ('mode' in body) next.mode = checkMode(body.mode);
    if ('rotation' in body) next.rotation = checkBoolean('rotation', body.rotation);
    const changed = (Object.keys(next) as (keyof ControlState)[]).some(
      (field) => next[field] !== control[field],
    );
    Object.assign(control, next);
    if (changed) history.event({ at: now(), kind: 'control', control: { ...control } });
    sendJson(res, 200, { ...control });
  }

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
  };
}
