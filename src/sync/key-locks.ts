import type { Entry } from '../core/store.js';
import { acquire, type Held } from '../platform/locks.js';
import type { Cancel } from '../platform/timers.js';
import { lockStealAfterMs } from '../rules.js';
import type { Arrivals } from './arrivals.js';
import type { Need, SyncContext } from './context.js';

/** A grace lock kept after publishing a token, until `untilMs`. */
interface Grace {
  readonly held: Held;
  readonly untilMs: number;
  /** The grace timer, where no poll ends the grace. */
  stop?: Cancel;
}

/** What a tab gets when it wants to fetch a key: the key's lock, the token it waited for, or nothing. */
export type KeyLockOutcome = { held: Held } | { entry: Entry } | null;

/**
 * The per-key Web Locks that make a key fetched once among tabs (R4, R12):
 * - `…:fetch:<key>` is held only while fetchToken runs. A tab that finds it taken waits for the
 *   holder's token; the leader, which must refresh, takes the lock from a holder that delivers
 *   nothing for `lockStealAfterMs`: past its fetch timeout, so a working holder is never robbed.
 * - `…:fetched:<key>` is held for a grace period after publishing a token, so that a tab that gets
 *   the fetch lock just after it (before the broadcast reached it) waits a moment for the token
 *   instead of fetching again. It is never taken from anyone: a frozen holder of it costs the
 *   next fetcher one grace period, not a fetch timeout. A polling tab ends its graces at a poll
 *   (no wake-up of their own), others by a timer.
 */
export class KeyLocks {
  readonly #ctx: SyncContext;
  readonly #arrivals: Arrivals;
  readonly #graces = new Map<string, Grace>();

  constructor(ctx: SyncContext, arrivals: Arrivals) {
    this.#ctx = ctx;
    this.#arrivals = arrivals;
  }

  /** The fetch lock of `key`, or what its holder delivered; null when it is not this tab's to take. */
  async take(key: string, need: Need, leads: () => boolean, leaving: () => boolean): Promise<KeyLockOutcome> {
    const name = this.#ctx.lockName(`fetch:${key}`);
    // (This tab's own grace, which a poll may end while the lock below is being taken, is no news.)
    const mine = this.#graces.has(key);
    const free = await acquire(this.#ctx.locks, name, { ifAvailable: true });
    if (free)
      return !mine && (await this.#justPublished(key)) ? this.#afterHolder(key, need, free) : { held: free };
    if (!leads()) return null;
    const waiting = new AbortController();
    const queued = acquire(this.#ctx.locks, name, { signal: waiting.signal }).catch(() => null);
    const arrived = this.#arrival(key, need, lockStealAfterMs(this.#ctx.timing), waiting.signal);
    const first = await Promise.race([
      queued.then((held) => ({ held })),
      arrived.then((entry) => ({ entry })),
    ]);
    waiting.abort();
    if ('held' in first && first.held) {
      return (await this.#justPublished(key))
        ? this.#afterHolder(key, need, first.held)
        : { held: first.held };
    }
    void queued.then((held) => held?.release()); // granted as the token came: not needed
    if ('entry' in first && first.entry) return { entry: first.entry };
    if (!leads() || leaving()) return null; // not this tab's to take
    const taken = await acquire(this.#ctx.locks, name, { steal: true }).catch(() => null);
    return taken && { held: taken };
  }

  /** A token for `key` was published from here: hold its grace lock a moment (none when leaving). */
  async published(key: string, polling: boolean, leaving: () => boolean): Promise<void> {
    this.#end(key);
    const held = await acquire(this.#ctx.locks, this.#ctx.lockName(`fetched:${key}`), { ifAvailable: true });
    if (!held) return;
    if (leaving()) return held.release();
    const grace: Grace = { held, untilMs: this.#ctx.clock.now().mono + this.#ctx.timing.lockGraceMs };
    this.#graces.set(key, grace);
    if (!polling) this.#arm(key, grace);
  }

  /** Lets go of the graces that are over (at every poll), or of all of them (leaving, closing). */
  releaseGraces(all = false): void {
    const now = this.#ctx.clock.now().mono;
    for (const [key, grace] of [...this.#graces]) if (all || now >= grace.untilMs) this.#end(key);
  }

  /** The poll stopped: the graces still running end by timer. */
  graceByTimer(): void {
    for (const [key, grace] of this.#graces) if (!grace.stop) this.#arm(key, grace);
  }

  /**
   * The lock, taken just after another tab published under it: its token (or failure report) may
   * still be on its way here, so it is waited for a grace period before this tab fetches again.
   */
  async #afterHolder(key: string, need: Need, held: Held): Promise<KeyLockOutcome> {
    const entry = await this.#arrival(key, need, this.#ctx.timing.lockGraceMs);
    if (!entry) return { held };
    held.release();
    return { entry };
  }

  /** True when another tab published a token for `key` a moment ago (it holds the grace lock). */
  async #justPublished(key: string): Promise<boolean> {
    if (this.#graces.has(key)) return false;
    const name = this.#ctx.lockName(`fetched:${key}`);
    const probe = await acquire(this.#ctx.locks, name, { ifAvailable: true, mode: 'shared' });
    probe?.release();
    return probe === null;
  }

  #arrival(key: string, need: Need, ms: number, cancel?: AbortSignal): Promise<Entry | undefined> {
    return this.#arrivals.satisfied(key, need)
      ? Promise.resolve(this.#arrivals.satisfied(key, need))
      : this.#arrivals.waitFor(key, need, ms, cancel);
  }

  #arm(key: string, grace: Grace): void {
    const left = Math.max(0, grace.untilMs - this.#ctx.clock.now().mono);
    grace.stop = this.#ctx.timers.after(left, () => this.#graces.get(key) === grace && this.#end(key), true);
  }

  #end(key: string): void {
    const grace = this.#graces.get(key);
    if (!grace) return;
    grace.stop?.();
    grace.held.release();
    this.#graces.delete(key);
  }
}
