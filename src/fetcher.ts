import type { Entry } from './cache.js';
import type { Clock } from './clock.js';
import { TokenCacheError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { assertLongEnough, parseToken, usableLifeMs, verify } from './token.js';

/**
 * One call of the user's fetchToken, held to the contract: aborted after fetchTimeoutMs (even
 * when fetchToken ignores its signal), and the answer checked (JWT, exp/iat, life, verifyToken)
 * before anything may cache it. Life is counted from the moment the fetch started.
 */
export async function fetchEntry(
  key: string,
  epoch: number,
  options: ResolvedOptions,
  clock: Clock,
  outer: AbortSignal,
): Promise<Entry> {
  const since = clock.now();
  const controller = new AbortController();
  const abort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', abort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TokenCacheError(
        'fetch_failed',
        `fetchToken for key "${key}" did not settle within fetchTimeoutMs (${options.fetchTimeoutMs} ms) and was aborted`,
      );
      controller.abort(error);
      reject(error);
    }, options.fetchTimeoutMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  let jwt: unknown;
  try {
    jwt = await Promise.race([
      Promise.resolve().then(() => options.fetchToken(key, { signal: controller.signal })),
      timedOut,
      aborted,
    ]);
  } catch (cause) {
    if (cause instanceof TokenCacheError) throw cause;
    throw new TokenCacheError(
      'fetch_failed',
      `fetchToken for key "${key}" failed${cause instanceof Error ? `: ${cause.message}` : ''}`,
      { cause },
    );
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', abort);
  }
  const claims = parseToken(jwt, key);
  assertLongEnough(claims, options.cutoffMs, key);
  const token = jwt as string;
  await verify(token, key, options.verifyToken);
  return {
    key,
    token,
    iat: claims.iat,
    exp: claims.exp,
    lifeMs: usableLifeMs(claims),
    since,
    epoch,
    source: 'fetch',
  };
}
