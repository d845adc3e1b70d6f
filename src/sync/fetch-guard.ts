import { fetchEntry } from '../core/fetcher.js';
import type { Entry } from '../core/store.js';
import { asTokenCacheError, isFetchFailureCode, MAX_REPORTED_MESSAGE, TokenCacheError } from '../errors.js';
import { acquire, type Held } from '../platform/locks.js';
import type { Cancel } from '../platform/timers.js';
import { arrivalWaitMs, lockStealAfterMs, outageWindowMs } from '../rules.js';
import type { Arrivals } from './arrivals.js';
import type { Need, SyncContext } from './context.js';
import { ExclusiveLock } from './exclusive.js';
import type { Session } from './session.js';

/**
 * Every call of fetchToken goes through here, so that a key is fetched once among all tabs:
 * - in this tab, concurrent fetches of a key share one promise (R4);
 * - among tabs, the fetch runs under the key's Web Lock `…:fetch:<key>`, taken only if free; a
 *   tab that finds it taken waits for the holder's broadcast instead, and fetches itself only as
 *   a last resort; the holder keeps it a little after publishing, so the others hold the token
 *   before one could take the lock again;
 * - with `exclusiveFetch`, one lock `…:fetch` for all keys is held around every fetchToken call
 *   (R26, sync/exclusive.ts), so at most one runs at a time in the whole group;
 * - a lock is taken from its holder only after `lockStealAfterMs` (R12): past its fetch timeout;
 * - the outage budget (R24): a failed fetch is the answer to the key's other callers for one poll
 *   interval; only `forceRefresh` ('new') fetches anyway.
 */
interface KeptLock {
  readonly held: Held;
  readonly untilMs: number;
  /** The grace timer, where no poll ends the grace. */
  stopGrace?: Cancel;
}

/** Who a fetch is for: the leader's work (`leader`, `refresh`), or a follower's own caller. */
export type FetchBy = 'leader' | 'refresh' | 'caller';

/** What the guard needs to know of its tab. */
export interface GuardedTab {
  /** This tab's poll runs: it ends grace periods (no wake-up of their own). */
  polling(): boolean;
  /** This tab leads: it may take a key's lock from a holder that does not deliver (R12). */
  leads(): boolean;
  /** This tab is leaving or has left the group: it keeps no lock. */
  leaving(): boolean;
}

export class FetchGuard {
  readonly #ctx: SyncContext;
  readonly #session: Session;
  readonly #arrivals: Arrivals;
  readonly #inflight = new Map<string, Promise<Entry | undefined>>();
  /** Key locks kept for the grace period after a fetch, reused by this tab's next fetch of the key. */
  readonly #heldKeyLocks = new Map<string, KeptLock>();
  readonly #tab: GuardedTab;
  readonly #recentFailures = new Map<string, { error: TokenCacheError; untilMs: number }>();
  readonly #aborts = new Set<AbortController>();
  readonly #exclusive: ExclusiveLock;

  constructor(ctx: SyncContext, session: Session, arrivals: Arrivals, tab: GuardedTab) {
    this.#ctx = ctx;
    this.#tab = tab;
    this.#session = session;
    this.#arrivals = arrivals;
    this.#exclusive = new ExclusiveLock(ctx);
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
   * A token for `key` that meets the need, fetched once among tabs, `by` the leader (for its
   * callers or followers; `refresh` in the background) or by a follower's `caller` that found no
   * leader to answer it. Undefined when another tab is fetching it for a background refresh (that
   * tab's broadcast will do), or when this tab stopped leading before a leader's fetch could start
   * (R12: a leader fetches only while it holds its lock).
   */
  fetch(key: string, need: Need, by: FetchBy): Promise<Entry | undefined> {
    const failed = this.#recentFailures.get(key);
    if (need !== 'new' && failed && this.failedRecently(key)) return Promise.reject(failed.error);
    const running = this.#inflight.get(key);
    if (running && need !== 'new') return running;
    const p = this.#underKeyLock(key, need, by).finally(() => {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    });
    this.#inflight.set(key, p);
    return p;
  }

  /** The endpoint answered again (here or in another tab): the outage memo of `key` is over. */
  forget(key: string): void {
    this.#recentFailures.delete(key);
  }

  /** A token or a failure report arrived from the group: a holder of the exclusive lock works. */
  progress(): void {
    this.#exclusive.progress();
  }

  /**
   * Ends every fetch in flight with `error` and forgets every failure (clear, close, leaving the
   * group); when leaving, lets go of every lock too.
   */
  abortAll(error: TokenCacheError, leaving = false): void {
    for (const controller of this.#aborts) controller.abort(error);
    this.#aborts.clear();
    this.#recentFailures.clear();
    if (!leaving) return;
    this.releaseKept(true);
    this.#exclusive.releaseAll();
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

  async #underKeyLock(key: string, need: Need, by: FetchBy): Promise<Entry | undefined> {
    const kept = this.#heldKeyLocks.get(key);
    this.#heldKeyLocks.delete(key);
    kept?.stopGrace?.();
    const got = kept ? { held: kept.held } : await this.#keyLock(key, need);
    if (got && 'entry' in got) return got.entry;
    const held = got?.held;
    if (held) {
      try {
        return this.#arrivals.satisfied(key, need) ?? (await this.#fetchOnce(key, by));
      } catch (error) {
        // Tabs waiting for this tab's broadcast (the lock told them it was fetching) learn at once.
        reportFailure(this.#ctx, key, error);
        throw error;
      } finally {
        this.#keep(key, held);
      }
    }
    if (by === 'refresh') return undefined;
    const arrived = await this.#arrivals.waitFor(key, need, arrivalWaitMs(this.#ctx.timing));
    return arrived ?? (await this.#fetchOnce(key, by));
  }

  /**
   * The key's lock if it is free. Else null, or for the leader, which must refresh: the lock when
   * its holder lets it go, or the token the holder delivers, whichever comes first; else, after
   * `lockStealAfterMs`, the lock taken from the holder, which is frozen or gone (a leader that
   * froze holding it, R12), never before its fetch could have timed out.
   */
  async #keyLock(key: string, need: Need): Promise<{ held: Held } | { entry: Entry } | null> {
    const { locks, timing, lockName } = this.#ctx;
    const name = lockName(`fetch:${key}`);
    const free = await acquire(locks, name, { ifAvailable: true });
    if (free) return { held: free };
    if (!this.#tab.leads()) return null;
    const waiting = new AbortController();
    const queued = acquire(locks, name, { signal: waiting.signal }).catch(() => null);
    const arrived = this.#arrivals.waitFor(key, need, lockStealAfterMs(timing), waiting.signal);
    const first = await Promise.race([queued.then((held) => ({ held })), arrived.then((entry) => ({ entry }))]);
    waiting.abort();
    if ('held' in first && first.held) return { held: first.held };
    void queued.then((held) => held?.release()); // granted as the token came: not needed
    if ('entry' in first && first.entry) return { entry: first.entry };
    if (!this.#tab.leads() || this.#tab.leaving()) return null; // not this tab's to take
    const taken = await acquire(locks, name, { steal: true }).catch(() => null);
    return taken && { held: taken };
  }

  /** Keeps a key lock for the grace period: a polling tab ends it at a poll, others by a timer. */
  #keep(key: string, held: Held): void {
    if (this.#tab.leaving()) {
      held.release(); // a tab leaving the group keeps no lock (R22)
      return;
    }
    const kept: KeptLock = { held, untilMs: this.#ctx.clock.now().mono + this.#ctx.timing.lockGraceMs };
    this.#heldKeyLocks.set(key, kept);
    if (!this.#tab.polling()) this.#armGrace(key, kept);
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
  async #fetchOnce(key: string, by: FetchBy): Promise<Entry | undefined> {
    const interrupted = this.#session.mark(key);
    const epoch = this.#session.epoch;
    const controller = new AbortController();
    this.#aborts.add(controller);
    try {
      const early = interrupted();
      if (early) throw early;
      const exclusive = this.#ctx.options.exclusiveFetch
        ? await this.#exclusive.take(controller.signal)
        : null;
      if (by !== 'caller' && !this.#tab.leads()) {
        exclusive?.release();
        return undefined; // leadership moved on while this waited: the new leader answers
      }
      return await this.#call(key, epoch, controller, interrupted, (call) => {
        if (exclusive) this.#exclusive.releaseAfter(exclusive, call, controller.signal);
      });
    } catch (error) {
      throw interrupted() ?? asTokenCacheError(error);
    } finally {
      this.#aborts.delete(controller);
      this.#exclusive.progress();
    }
  }

  async #call(
    key: string,
    epoch: number,
    controller: AbortController,
    interrupted: () => TokenCacheError | undefined,
    started: (call: Promise<unknown>) => void,
  ): Promise<Entry> {
    const { counters, emit, clock, timers, timing, options } = this.#ctx;
    counters.fetches++;
    const startedMs = clock.now().mono;
    let entry: Entry;
    try {
      entry = await fetchEntry(
        key,
        epoch,
        {
          fetchToken: options.fetchToken,
          verifyToken: options.verifyToken,
          fetchTimeoutMs: timing.fetchTimeoutMs,
          cutoffMs: timing.cutoffMs,
          clock,
          timers,
          started,
        },
        controller.signal,
      );
    } catch (error) {
      const stop = interrupted();
      if (stop) throw stop;
      const e = asTokenCacheError(error);
      if (this.#tab.leaving()) throw e; // ended by the page leaving: no failure of the endpoint's
      this.#recentFailures.set(key, { error: e, untilMs: startedMs + outageWindowMs(timing.pollMs) });
      counters.fetchErrors++;
      emit('error', { key, error: e });
      throw e;
    }
    const stop = interrupted();
    if (stop) throw stop;
    this.#recentFailures.delete(key);
    const { servable, stored } = this.#arrivals.accept(entry);
    // The caller gets the token it fetched, unless the cache holds a newer servable one (R6).
    return stored ? entry : (servable ?? entry);
  }
}

/** Tells the tabs waiting for a fetch of `key` that it failed: a fetch failure only (R28). */
export function reportFailure(ctx: SyncContext, key: string, error: unknown): void {
  if (!(error instanceof TokenCacheError) || !isFetchFailureCode(error.code)) return;
  ctx.post('ask-failed', { key, code: error.code, message: error.message.slice(0, MAX_REPORTED_MESSAGE) });
}
