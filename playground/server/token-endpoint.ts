// POST /api/token { key? } -> { token }: the token server's issuing of access tokens, apart from
// the routing in token-server.ts. What it answers follows the live control state (contract.ts):
// the ttl, the latency, the mode, refresh-token rotation (the rules below; the family store is
// rotation.ts) and a one-shot clock step.
//
// - A request is counted on arrival, before the latency, whatever the answer; it is in flight
//   from then until it is answered or its client goes away.
// - `skewNextSeconds`: the next token signed has iat (and exp = iat + ttl) that many seconds off
//   the server's clock; the setting goes back to 0 as that token is signed, which the history
//   records as a settings change. An answer that signs nothing ('fail', 'garbage', a 401, a
//   client gone) leaves it pending.
//
// Refresh-token rotation (`rotation: true`):
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
import { SignJWT } from 'jose';
import type { ControlState } from './contract.js';
import type { Counters } from './counters.js';
import type { History } from './history.js';
import { checkFields, HttpError, readJsonObject, sendJson, showValue } from './http.js';
import {
  REFRESH_COOKIE,
  type RefreshError,
  type RefreshTokenStore,
  type RotationResult,
  readCookie,
  refreshCookie,
} from './rotation.js';
import type { SigningKey } from './signing-key.js';

const KEY_MAX_LENGTH = 256; // the library accepts keys of up to 256 characters
const DEFAULT_KEY = 'default';

export interface TokenEndpointOptions {
  /** The live control state; the endpoint resets `skewNextSeconds` once it has used it. */
  control: ControlState;
  counters: Counters;
  history: History;
  refreshTokens: RefreshTokenStore;
  signingKey: SigningKey;
  /** The server's clock in epoch ms. */
  now: () => number;
  /** How the latency is waited out; `signal` aborts when the client goes away. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  maxBodyBytes: number;
}

export interface TokenEndpoint {
  /** POST /api/token. */
  issueToken(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** A token signed as /api/token signs it, without a request: what a page's server renders into it (R31). */
  sign(key: string): Promise<string>;
}

export function createTokenEndpoint(options: TokenEndpointOptions): TokenEndpoint {
  const { control, counters, history, refreshTokens, signingKey, now, sleep } = options;

  /** Looks at the presented refresh token: rotates it, or counts a reuse. */
  const spendRefreshToken = (presented: string | undefined): RotationResult => {
    const result = refreshTokens.rotate(presented);
    if (!result.ok && result.error === 'refresh_token_reused') {
      counters.reuse();
      history.event({ at: now(), kind: 'reuse' });
    }
    return result;
  };

  /** The clock step for the token about to be signed: the pending one, used up. */
  const takeSkew = (): number => {
    const skew = control.skewNextSeconds;
    if (skew !== 0) {
      control.skewNextSeconds = 0;
      history.event({ at: now(), kind: 'control', control: { ...control } });
    }
    return skew;
  };

  async function sign(key: string): Promise<string> {
    const { privateKey } = await signingKey.keys;
    const iat = Math.floor(now() / 1000) + takeSkew();
    return new SignJWT({ key })
      .setProtectedHeader({ alg: 'ES256', kid: signingKey.kid, typ: 'JWT' })
      .setSubject(control.user)
      .setIssuedAt(iat)
      .setExpirationTime(iat + control.ttlSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
  }

  /** What a counted request answers, once its latency is over (`gone`: its client left). */
  async function answer(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
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
    sendJson(res, 200, { token: await sign(key) }, cookie);
  }

  async function issueToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonObject(req, options.maxBodyBytes);
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

    // Counted on arrival, before the latency, whatever the mode answers; in flight until answered.
    const inFlight = counters.request(key);
    history.request(now());
    res.once('close', () => inFlight.done()); // answered, or the client went away
    try {
      await answer(req, res, key);
    } finally {
      inFlight.done();
    }
  }

  return { issueToken, sign };
}
