import { acquire, type Held } from '../platform/locks.js';
import type { Cancel } from '../platform/timers.js';
import { lockStealAfterMs } from '../rules.js';
import type { SyncContext } from './context.js';

/**
 * `exclusiveFetch` (R26): the group's one fetch lock `…:fetch`, held around every fetchToken
 * call, so a rotating refresh token is never presented twice.
 *
 * - The holder keeps it until the app's fetchToken has really settled (not merely until the
 *   library stopped waiting for it): a request still at the server must not overlap the next.
 *   A fetchToken that ignores its abort signal is let go an answer timeout after the abort.
 * - A waiter takes it (Web Locks `steal`) once the group has shown no progress (no token, no
 *   failure report) for `lockStealAfterMs`: past the holder's own fetch timeout, so only a hung,
 *   frozen or dying holder is robbed, and a hung tab can't stall the group.
 * - Leaving the group (pagehide, freeze, close) lets it go at once (R22).
 */
export class ExclusiveLock {
  readonly #ctx: SyncContext;
  /** The waiters' steal timers, re-armed by every sign of progress. */
  readonly #waiting = new Set<() => void>();
  readonly #held = new Set<Held>();

  constructor(ctx: SyncContext) {
    this.#ctx = ctx;
  }

  /** Resolves with the lock (waited for, or taken from a holder that shows no progress); rejects if `signal` aborts. */
  async take(signal: AbortSignal): Promise<Held> {
    const { locks, lockName, timers, timing } = this.#ctx;
    const name = lockName('fetch');
    const waiting = new AbortController();
    const onAbort = () => waiting.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let stop: Cancel = () => {};
    const arm = () => {
      stop();
      stop = timers.after(lockStealAfterMs(timing), () => waiting.abort(STEAL));
    };
    arm();
    this.#waiting.add(arm);
    try {
      const held = await acquire(locks, name, { signal: waiting.signal }).catch(async (error: unknown) => {
        if (waiting.signal.reason !== STEAL || signal.aborted) throw error;
        // (Web Locks refuse `steal` together with a `signal`: NotSupportedError.)
        return acquire(locks, name, { steal: true });
      });
      this.progress(); // this tab's other waiters wait for this holder from now on
      return this.#hold(held as Held);
    } finally {
      stop();
      this.#waiting.delete(arm);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Lets `held` go once `call` (the app's fetchToken) settles, or an answer timeout after `aborted`. */
  releaseAfter(held: Held, call: Promise<unknown>, aborted: AbortSignal): void {
    const release = () => {
      this.#held.delete(held);
      held.release();
    };
    call.then(release, release);
    const giveUp = () => this.#ctx.timers.after(this.#ctx.timing.answerTimeoutMs, release, true);
    if (aborted.aborted) giveUp();
    else aborted.addEventListener('abort', giveUp, { once: true });
  }

  /** A token or a failure report came: the holder is working, waiters wait on. */
  progress(): void {
    for (const arm of this.#waiting) arm();
  }

  /** Lets go of every lock held (the tab leaves the group or closes). */
  releaseAll(): void {
    for (const held of this.#held) held.release();
    this.#held.clear();
  }

  #hold(held: Held): Held {
    this.#held.add(held);
    void held.lost.then(() => this.#held.delete(held));
    return held;
  }
}

const STEAL = Symbol('steal');
