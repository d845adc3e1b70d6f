import { fetchEntry } from '../core/fetcher.js';
import type { Entry } from '../core/store.js';
import { asTokenCacheError, isFetchFailureCode, MAX_REPORTED_MESSAGE, TokenCacheError } from '../errors.js';
import { arrivalWaitMs } from '../rules.js';
import type { Arrivals } from './arrivals.js';
import type { Need, SyncContext } from './context.js';
import { ExclusiveLock } from './exclusive.js';
import { KeyLocks } from './key-locks.js';
import { OutageMemo } from './outage.js';
import type { Session } from './session.js';

/**
 * Every call of fetchToken goes through here, so that a key is fetched once among all tabs:
 * - in this tab, concurrent fetches of a key share one promise (R4);
 * - among tabs, the fetch runs under the key's Web Lock (sync/key-locks.ts), taken only if free; a
 *   tab that finds it taken waits for the holder's broadcast instead, and fetches itself only as
 *   a last resort;
 * - with `exclusiveFetch`, one lock `…:fetch` for all keys is held around every fetchToken call
 *   (R26, sync/exclusive.ts), so at most one runs at a time in the whole group;
 * - the outage budget (R24, sync/outage.ts): a failed fetch is the answer to the key's other callers for one poll
 *   interval; only `forceRefresh` ('new') fetches anyway.
 */

type Interrupted = () => TokenCacheError | undefined;

/** Who a fetch is for: the leader's work (`leader`, `refresh`), or a follower's own caller. */
export type FetchBy = 'leader' | 'refresh' | 'caller';

/** What the guard needs to know of its tab. */
export interface GuardedTab {
  /** This tab's poll runs: it ends grace periods (no wake-up of their own). */
  polling(): boolean;
  /** This tab leads: it may take a key's lock from a holder that does not deliver (R12). */
  leads(): boolean;
  /** This tab leads and may act now (confirmed with the lock manager after a stall, R12). */
  acting(): Promise<boolean>;
  /** This tab is leaving or has left the group: it keeps no lock. */
  leaving(): boolean;
  /** fetchToken said the session is gone (R29): the whole group signs out. */
  signedOut(reason: string): void;
}

export class FetchGuard {
  readonly #ctx: SyncContext;
  readonly #session: Session;
  readonly #arrivals: Arrivals;
  readonly #inflight = new Map<string, Promise<Entry | undefined>>();
  readonly #keyLocks: KeyLocks;
  readonly #tab: GuardedTab;
  readonly #outage: OutageMemo;
  readonly #aborts = new Set<AbortController>();
  readonly #exclusive: ExclusiveLock;

  constructor(ctx: SyncContext, session: Session, arrivals: Arrivals, tab: GuardedTab) {
    this.#ctx = ctx;
    this.#tab = tab;
    this.#session = session;
    this.#arrivals = arrivals;
    this.#exclusive = new ExclusiveLock(ctx);
    this.#keyLocks = new KeyLocks(ctx, arrivals);
    this.#outage = new OutageMemo(ctx.clock, ctx.timing.pollMs);
  }

  /** True while this tab fetches `key`. */
  fetching(key: string): boolean {
    return this.#inflight.has(key);
  }

  /** True while a failed fetch of `key` still answers its callers (the outage budget). */
  failedRecently(key: string): boolean {
    return this.#outage.failure(key) !== undefined;
  }

  /**
   * A token for `key` that meets the need, fetched once among tabs, `by` the leader (for its
   * callers or followers; `refresh` in the background) or by a follower's `caller` that found no
   * leader to answer it. Undefined when another tab is fetching it for a background refresh (that
   * tab's broadcast will do), or when this tab stopped leading before a leader's fetch could start
   * (R12: a leader fetches only while it holds its lock).
   */
  fetch(key: string, need: Need, by: FetchBy): Promise<Entry | undefined> {
    const failed = need === 'new' ? undefined : this.#outage.failure(key);
    if (failed) return Promise.reject(failed);
    const running = this.#inflight.get(key);
    if (running && need !== 'new') return running;
    // Whatever overtakes the fetch from here on (a sign-out, a close) ends it (R13).
    const interrupted = this.#session.mark(key);
    const p = this.#underKeyLock(key, need, by, interrupted).finally(() => {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    });
    this.#inflight.set(key, p);
    return p;
  }

  /** The endpoint answered again (here or in another tab): the outage memo of `key` is over. */
  forget(key: string): void {
    this.#outage.forget(key);
  }

  /** A token arrived from the group: a holder of the exclusive lock works. */
  progress(): void {
    this.#exclusive.progress();
  }

  /** Another tab's fetch of `key` failed: its failure answers callers here too, for one poll (R24). */
  failedElsewhere(key: string, error: TokenCacheError): void {
    this.#exclusive.progress();
    this.#outage.reported(key, error);
  }

  /**
   * Ends every fetch in flight with `error` and forgets every failure (clear, close, leaving the
   * group); when leaving, lets go of every lock too.
   */
  abortAll(error: TokenCacheError, leaving = false): void {
    for (const controller of this.#aborts) controller.abort(error);
    this.#aborts.clear();
    this.#inflight.clear(); // a later caller never joins work from before
    this.#outage.clear();
    if (!leaving) return;
    this.releaseKept(true);
    this.#exclusive.releaseAll();
  }

  /** Lets go of the grace locks whose time is over (at every poll), or of all of them. */
  releaseKept(all = false): void {
    this.#keyLocks.releaseGraces(all);
  }

  /** The poll stopped: the grace periods still running end by timer. */
  graceByTimer(): void {
    this.#keyLocks.graceByTimer();
  }

  async #underKeyLock(
    key: string,
    need: Need,
    by: FetchBy,
    interrupted: Interrupted,
  ): Promise<Entry | undefined> {
    const tab = this.#tab;
    const got = await this.#keyLocks.take(key, need, tab.leads, tab.leaving);
    if (got && 'entry' in got) return got.entry;
    if (got) {
      // What this tab publishes (a token, or a failure report) gets a moment to reach the others
      // before the next fetcher could start: the grace lock.
      let published = false;
      try {
        const held = this.#arrivals.satisfied(key, need);
        if (held) return held;
        const entry = await this.#fetchOnce(key, need, by, interrupted);
        published = entry !== undefined;
        return entry;
      } catch (error) {
        // Tabs waiting for this tab's broadcast (the lock told them it was fetching) learn at once.
        published = reportFailure(this.#ctx, key, error);
        throw error;
      } finally {
        // The grace lock first: a tab that gets the key lock next sees that a token just came.
        if (published && !tab.leaving()) await this.#keyLocks.published(key, tab.polling(), tab.leaving);
        got.held.release();
      }
    }
    if (by === 'refresh') return undefined;
    const arrived = await this.#arrivals.waitFor(key, need, arrivalWaitMs(this.#ctx.timing));
    return arrived ?? (await this.#fetchOnce(key, need, by, interrupted));
  }

  /** One call of fetchToken. A clear() or close() while it runs drops its token (R13). */
  async #fetchOnce(
    key: string,
    need: Need,
    by: FetchBy,
    interrupted: Interrupted,
  ): Promise<Entry | undefined> {
    const epoch = this.#session.epoch;
    const controller = new AbortController();
    this.#aborts.add(controller);
    try {
      const early = interrupted();
      if (early) throw early;
      const exclusive = this.#ctx.options.exclusiveFetch
        ? await this.#exclusive.take(controller.signal)
        : null;
      if (by !== 'caller' && !(await this.#tab.acting())) {
        exclusive?.release();
        return undefined; // leadership moved on while this waited: the new leader answers
      }
      return await this.#call(key, need, epoch, controller, interrupted, (call, aborted) => {
        if (exclusive) this.#exclusive.releaseAfter(exclusive, call, aborted);
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
    need: Need,
    epoch: number,
    controller: AbortController,
    interrupted: Interrupted,
    started: (call: Promise<unknown>, aborted: AbortSignal) => void,
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
          identityOf: options.identityOf,
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
      if (e.code === 'signed_out') {
        this.#tab.signedOut(e.reason ?? '');
        throw e;
      }
      if (this.#tab.leaving()) throw e; // ended by the page leaving: no failure of the endpoint's
      this.#outage.failed(key, e, startedMs);
      counters.fetchErrors++;
      emit('error', { key, error: e });
      throw e;
    }
    const stop = interrupted();
    if (stop) throw stop;
    this.#outage.forget(key);
    const { servable, stored } = this.#arrivals.accept(entry);
    // The caller gets the token it fetched, unless the cache holds a newer servable one (R6) and
    // the caller did not ask for a brand-new one.
    return stored || need === 'new' ? entry : (servable ?? entry);
  }
}

/** Tells the tabs waiting for a fetch of `key` that it failed: a fetch failure only (R28). True if told. */
export function reportFailure(ctx: SyncContext, key: string, error: unknown): boolean {
  if (!(error instanceof TokenCacheError) || !isFetchFailureCode(error.code)) return false;
  ctx.post('ask-failed', { key, code: error.code, message: error.message.slice(0, MAX_REPORTED_MESSAGE) });
  return true;
}
