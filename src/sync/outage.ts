import type { Clock } from '../core/clock.js';
import type { TokenCacheError } from '../errors.js';
import { outageWindowMs } from '../rules.js';

/** The most keys whose failure, reported by another tab, a tab remembers at once (R28). */
const MAX_REPORTED_KEYS = 256;

/**
 * The outage budget (R24): a failed fetch of a key, here or reported by another tab, is the answer
 * to every caller of that key for one poll interval from when it started, so the group sends at
 * most one request per key per poll while the endpoint fails.
 */
export class OutageMemo {
  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #failures = new Map<string, { error: TokenCacheError; untilMs: number }>();

  constructor(clock: Clock, pollMs: number) {
    this.#clock = clock;
    this.#pollMs = pollMs;
  }

  /** The failure that still answers callers of `key`, if any. */
  failure(key: string): TokenCacheError | undefined {
    const failed = this.#failures.get(key);
    return failed && this.#clock.now().mono < failed.untilMs ? failed.error : undefined;
  }

  /** A fetch of `key` that started at `startedMs` (monotonic) failed here. */
  failed(key: string, error: TokenCacheError, startedMs: number): void {
    this.#failures.set(key, { error, untilMs: startedMs + outageWindowMs(this.#pollMs) });
  }

  /** Another tab's fetch of `key` failed: remembered, in bounded room. */
  reported(key: string, error: TokenCacheError): void {
    const now = this.#clock.now().mono;
    for (const [k, failed] of this.#failures) if (now >= failed.untilMs) this.#failures.delete(k);
    if (this.#failures.size < MAX_REPORTED_KEYS) this.failed(key, error, now);
  }

  /** A token for `key` was stored (here or from another tab): the outage of `key` is over. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  clear(): void {
    this.#failures.clear();
  }
}
