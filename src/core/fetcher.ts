import { fetchFailedError, fetchTimeoutError, TokenCacheError } from '../errors.js';
import type { FetchToken } from '../options.js';
import type { Timers } from '../platform/timers.js';
import type { Clock, Instant } from './clock.js';
import type { Entry, TokenSource } from './store.js';
import {
  assertLongEnough,
  type IdentityOf,
  identityIn,
  parseToken,
  usableLifeMs,
  type VerifyToken,
  verify,
} from './token.js';

/** What one fetch needs to know. */
export interface FetchDeps {
  readonly fetchToken: FetchToken;
  readonly verifyToken: VerifyToken | undefined;
  readonly identityOf: IdentityOf;
  readonly fetchTimeoutMs: number;
  readonly cutoffMs: number;
  readonly clock: Clock;
  readonly timers: Timers;
  /**
   * Told of the app's fetchToken call itself, which may outlive the library's wait for it (R26),
   * and of the signal that aborts it (on timeout, clear, close).
   */
  readonly started?: (call: Promise<unknown>, signal: AbortSignal) => void;
}

/**
 * One call of the user's fetchToken, held to the contract: aborted after fetchTimeoutMs (even
 * when fetchToken ignores its signal), and the answer checked (JWT, exp/iat, life, verifyToken)
 * before anything may cache it. Life is counted from the moment the fetch started.
 */
export async function fetchEntry(
  key: string,
  epoch: number,
  deps: FetchDeps,
  outer: AbortSignal,
): Promise<Entry> {
  const since = deps.clock.now();
  const controller = new AbortController();
  const abort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', abort, { once: true });
  let cancelTimer: () => void = () => {};
  const timedOut = new Promise<never>((_, reject) => {
    cancelTimer = deps.timers.after(deps.fetchTimeoutMs, () => {
      const error = fetchTimeoutError(key, deps.fetchTimeoutMs);
      controller.abort(error);
      reject(error);
    });
  });
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  let jwt: unknown;
  try {
    const call = Promise.resolve().then(() => deps.fetchToken(key, { signal: controller.signal }));
    deps.started?.(call, controller.signal);
    jwt = await Promise.race([call, timedOut, aborted]);
  } catch (cause) {
    if (cause instanceof TokenCacheError) throw cause;
    throw fetchFailedError(key, cause);
  } finally {
    cancelTimer();
    outer.removeEventListener('abort', abort);
  }
  return checkedEntry(jwt, key, deps, since, epoch, 'fetch');
}

/**
 * A token the app handed over (fetched, or seeded, R31), held to the contract before anything
 * may cache it (R15): a JWT with exp/iat, long enough to be served, accepted by verifyToken. Its
 * life is the usable life of its claims, counted from `since`.
 */
export async function checkedEntry(
  jwt: unknown,
  key: string,
  deps: Pick<FetchDeps, 'cutoffMs' | 'verifyToken' | 'identityOf'>,
  since: Instant,
  epoch: number,
  source: TokenSource,
): Promise<Entry> {
  const claims = parseToken(jwt, key);
  assertLongEnough(claims, deps.cutoffMs, key);
  const token = jwt as string;
  await verify(token, key, deps.verifyToken);
  return {
    key,
    token,
    iat: claims.iat,
    exp: claims.exp,
    lifeMs: usableLifeMs(claims),
    since,
    epoch,
    source,
    identity: identityIn(claims, deps.identityOf),
  };
}
