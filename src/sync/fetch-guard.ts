import { fetchEntry } from '../core/fetcher.js';
import type { Entry } from '../core/store.js';
import { asTokenCacheError, isInterruption, type TokenCacheError } from '../errors.js';
import { acquire, type Held } from '../platform/locks.js';
import type { Cancel } from '../platform/timers.js';
import { arrivalWaitMs, outageWindowMs } from '../rules.js';
import type { Arrivals } from './arrivals.js';
import type { Need, SyncContext } from './context.js';
import type { Session } from './session.js';

/**
 * Every call of fetchToken goes through here, so that a key is fetched once among all tabs:
 * - in this tab, concurrent fetches of a key share one promise (R4);
 * - among tabs, the fetch runs under the key's Web Lock `…:fetch:<key>`, taken only if free; a
 *   tab that finds it taken waits for the holder's broadcast instead, and fetches itself only as
 *   a last resort; the holder keeps it a little after publishing, so the others hold the token
 *   before one could take the lock again;
 * - with `exclusiveFetch`, one lock `…:fetch` for all keys is held around every fetchToken call
 *   (R26), waited for, so at most one runs at a time in the whole group;
 * - the outage budget (R24): a failed fetch is the answer to the key's other callers for one poll
 *   interval; only `forceRefresh` ('new') fetches anyway.
 */
interface KeptLock {
  readonly held: Held;
  readonly untilMs: number;
  /** The grace timer, where no poll ends the grace. */
  stopGrace?: Cancel;
}

export class FetchGuard {
  readonly #ctx: SyncContext;
  readonly #session: Session;
  readonly #arrivals: Arrivals;
  readonly #inflight = new Map<string, Promise<Entry | undefined>>();
  /** Key locks kept for the grace period after a fetch, reused by this tab's next fetch of the key. */
  readonly #heldKeyLocks = new Map<string, KeptLock>();
  readonly #polling: () => boolean;
  readonly #recentFailures = new Map<string, { error: TokenCacheError; untilMs: number }>();
  readonly #aborts = new Set<AbortController>();

  /** `polling`: true while this tab's poll runs, which then ends grace periods (no wake-up of their own). */
  constructor(ctx: SyncContext, session: Session, arrivals: Arrivals, polling: () => boolean) {
    this.#ctx = ctx;
    this.#polling = polling;
    this.#session = session;
    this.#arrivals = arrivals;
  }

  /** True while this tab fetches `key`. */
  fetching(key: string): boolean {
    return this.#inflight.has(key);
  }

  /** True while a failed fetch of `key` still answers its callers (the outage budget). */
  failedRecently(key: string): boolean {
    const failed = this.#recentFailures.get(key);
    return failed !== undefined && this.#ctx.clock.now().mono < failed.untilMs;
  }

  /**
   * A token for `key` that meets the need, fetched once among tabs. Undefined when another tab is
   * fetching it and `mustAnswer` is false (a background refresh: that tab's broadcast will do).
   */
  fetch(key: string, need: Need, mustAnswer: boolean): Promise<Entry | undefined> {
    const failed = this.#recentFailures.get(key);
    if (need !== 'new' && failed && this.failedRecently(key)) return Promise.reject(failed.error);
    const running = this.#inflight.get(key);
    if (running && need !== 'new') return running;
    const p = this.#underKeyLock(key, need, mustAnswer).finally(() => {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    });
    this.#inflight.set(key, p);
    return p;
  }

  /** The endpoint answered again (here or in another tab): the outage memo of `key` is over. */
  forget(key: string): void {
    this.#recentFailures.delete(key);
  }

  /** Ends every fetch in flight with `error` and forgets every failure (clear, close). */
  abortAll(error: TokenCacheError): void {
    for (const controller of this.#aborts) controller.abort(error);
    this.#aborts.clear();
    this.#recentFailures.clear();
  }

  /** Lets go of the key locks whose grace period is over (at every poll), or of all of them. */
  releaseKept(all = false): void {
    const now = this.#ctx.clock.now().mono;
    for (const [key, kept] of [...this.#heldKeyLocks]) {
      if (!all && now < kept.untilMs) continue;
      this.#release(key, kept);
    }
  }

  /** The poll stopped: the grace periods still running end by timer. */
  graceByTimer(): void {
    for (const [key, kept] of this.#heldKeyLocks) if (!kept.stopGrace) this.#armGrace(key, kept);
  }

  async #underKeyLock(key: string, need: Need, mustAnswer: boolean): Promise<Entry | undefined> {
    const kept = this.#heldKeyLocks.get(key);
    this.#heldKeyLocks.delete(key);
    kept?.stopGrace?.();
    const got = kept ? { held: kept.held } : await this.#keyLock(key, need);
    if (got && 'entry' in got) return got.entry;
    const held = got?.held;
    if (held) {
      try {
        return this.#arrivals.satisfied(key, need) ?? (await this.#fetchOnce(key));
      } catch (error) {
        // Tabs waiting for this tab's broadcast (the lock told them it was fetching) learn at once.
        if (!isInterruption(error)) {
          const e = asTokenCacheError(error);
          this.#ctx.post('ask-failed', { key, code: e.code, message: e.message });
        }
        throw error;
      } finally {
        this.#keep(key, held);
      }
    }
    if (!mustAnswer) return undefined;
    const arrived = await this.#arrivals.waitFor(key, need, arrivalWaitMs(this.#ctx.timing));
    return arrived ?? (await this.#fetchOnce(key));
  }

  /**
   * The key's lock if it is free. Else null, or for the leader, which must refresh: the token the
   * holder delivers within the answer timeout, else the lock taken from the holder, which is frozen
   * or gone (a leader that froze holding it, R12).
   */
  async #keyLock(key: string, need: Need): Promise<{ held: Held } | { entry: Entry } | null> {
    const { locks, timing, lockName } = this.#ctx;
    const free = await acquire(locks, lockName(`fetch:${key}`), { ifAvailable: true });
    if (free) return { held: free };
    if (!this.#polling()) return null;
    const entry = await this.#arrivals.waitFor(key, need, timing.answerTimeoutMs);
    if (entry) return { entry };
    if (!this.#polling()) return null; // no longer the leader: not this tab's to take
    const taken = await acquire(locks, lockName(`fetch:${key}`), { steal: true });
    return taken && { held: taken };
  }

  /** Keeps a key lock for the grace period: a polling tab ends it at a poll, others by a timer. */
  #keep(key: string, held: Held): void {
    const kept: KeptLock = { held, untilMs: this.#ctx.clock.now().mono + this.#ctx.timing.lockGraceMs };
    this.#heldKeyLocks.set(key, kept);
    if (!this.#polling()) this.#armGrace(key, kept);
  }

  #armGrace(key: string, kept: KeptLock): void {
    const left = Math.max(0, kept.untilMs - this.#ctx.clock.now().mono);
    kept.stopGrace = this.#ctx.timers.after(
      left,
      () => {
        if (this.#heldKeyLocks.get(key) === kept) this.#release(key, kept);
      },
      true,
    );
  }

  #release(key: string, kept: KeptLock): void {
    kept.stopGrace?.();
    kept.held.release();
    this.#heldKeyLocks.delete(key);
  }

  /** One call of fetchToken. A clear() or close() while it runs drops its token (R13). */
  async #fetchOnce(key: string): Promise<Entry> {
    const interrupted = this.#session.mark(key);
    const controller = new AbortController();
    this.#aborts.add(controller);
    let exclusive: Held | null = null;
    try {
      const early = interrupted();
      if (early) throw early;
      if (this.#ctx.options.exclusiveFetch) {
        exclusive = await acquire(this.#ctx.locks, this.#ctx.lockName('fetch'), {
          signal: controller.signal,
        });
      }
      return await this.#call(key, controller, interrupted);
    } catch (error) {
      throw interrupted() ?? asTokenCacheError(error);
    } finally {
      exclusive?.release();
      this.#aborts.delete(controller);
    }
  }

  async #call(
    key: string,
    controller: AbortController,
    interrupted: () => TokenCacheError | undefined,
  ): Promise<Entry> {
    const { counters, emit, clock, timers, timing, options } = this.#ctx;
    counters.fetches++;
    const startedMs = clock.now().mono;
    let entry: Entry;
    try {
      entry = await fetchEntry(
        key,
        this.#session.epoch,
        {
          fetchToken: options.fetchToken,
          verifyToken: options.verifyToken,
          fetchTimeoutMs: timing.fetchTimeoutMs,
          cutoffMs: timing.cutoffMs,
          clock,
          timers,
        },
        controller.signal,
      );
    } catch (error) {
      const stop = interrupted();
      if (stop) throw stop;
      const e = asTokenCacheError(error);
      this.#recentFailures.set(key, { error: e, untilMs: startedMs + outageWindowMs(timing.pollMs) });
      counters.fetchErrors++;
      emit('error', { key, error: e });
      throw e;
    }
    const stop = interrupted();
    if (stop) throw stop;
    this.#recentFailures.delete(key);
    const fetched = { ...entry, epoch: this.#session.epoch };
    const held = this.#arrivals.accept(fetched);
    // The caller gets the token it fetched, unless the cache holds a newer one (R6).
    return held && held.iat > fetched.iat ? held : fetched;
  }
}
