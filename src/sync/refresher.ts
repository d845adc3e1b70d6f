import { isInterruption } from '../errors.js';
import type { Cancel } from '../platform/timers.js';
import { backoffMs, refreshGapMs } from '../rules.js';
import type { SyncContext } from './context.js';
import type { FetchGuard } from './fetch-guard.js';
import type { Session } from './session.js';
import type { Usage } from './usage.js';

/** What the refresher needs to know of leadership. */
export interface LeaderCheck {
  readonly isLeader: boolean;
  /** Leads and may work now (confirmed after a freeze). */
  acting(): Promise<boolean>;
}

/**
 * The leader's refresh schedule (R5, R8, R21): a poll every pollIntervalMs, on the Worker timer,
 * while the leader holds any token (a leader with nothing to refresh sleeps); each poll refreshes
 * the tokens that are no longer fresh and still in use, and drops those that are idle and
 * unservable. A failed background refresh is retried at the next poll, then after 2, 4, … polls
 * while a stale token can still be served, and at every poll once none can.
 */
export class Refresher {
  readonly #ctx: SyncContext;
  readonly #guard: FetchGuard;
  readonly #usage: Usage;
  readonly #leader: LeaderCheck;
  readonly #session: Pick<Session, 'mark'>;
  readonly #failures = new Map<string, { count: number; nextMs: number }>();
  /** When each key's last background refresh started (monotonic ms). */
  readonly #lastTried = new Map<string, number>();
  #stopPoll: Cancel | undefined;

  constructor(
    ctx: SyncContext,
    guard: FetchGuard,
    usage: Usage,
    leader: LeaderCheck,
    session: Pick<Session, 'mark'>,
  ) {
    this.#ctx = ctx;
    this.#guard = guard;
    this.#usage = usage;
    this.#leader = leader;
    this.#session = session;
  }

  /** Starts polling if this tab leads and holds a token (called on leading and on every new token). */
  start(): void {
    if (this.#stopPoll || !this.#leader.isLeader || this.#ctx.store.size === 0) return;
    this.#stopPoll = this.#ctx.timers.every(this.#ctx.timing.pollMs, () => void this.#tick());
    void this.#tick();
  }

  stop(): void {
    this.#stopPoll?.();
    this.#stopPoll = undefined;
    this.#guard.graceByTimer();
  }

  get polling(): boolean {
    return this.#stopPoll !== undefined;
  }

  /** Refreshes `key` in the background (a stale read, a follower's nudge), with backoff after failures. */
  refresh(key: string): void {
    // A sign-out while the lock manager confirms the lead ends it (R13): nothing to renew.
    const interrupted = this.#session.mark();
    void this.#leader.acting().then((acting) => {
      if (acting && !interrupted()) this.#refreshNow(key);
    });
  }

  #refreshNow(key: string): void {
    if (this.#guard.fetching(key) || this.#guard.failedRecently(key)) return;
    const { store, clock, timing } = this.#ctx;
    const failed = this.#failures.get(key);
    const now = clock.now();
    if (failed && now.mono < failed.nextMs && store.servable(key, now)) return;
    // A refresh that brought no better token (the cache keeps a newer-issued one, R6) is tried
    // again at the next poll, not at every nudge meanwhile (R24).
    const last = this.#lastTried.get(key);
    if (last !== undefined && now.mono - last < refreshGapMs(timing.pollMs)) return;
    this.#lastTried.set(key, now.mono);
    this.#guard.fetch(key, 'fresh', 'refresh').then(
      () => this.#failures.delete(key),
      (error: unknown) => {
        if (isInterruption(error)) return;
        const count = (failed?.count ?? 0) + 1;
        this.#failures.set(key, { count, nextMs: clock.now().mono + backoffMs(count, timing.pollMs) });
      },
    );
  }

  /** Another tab got a token for `key`: its failures here are history. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  clear(): void {
    this.#failures.clear();
    this.#lastTried.clear();
  }

  async #tick(): Promise<void> {
    const interrupted = this.#session.mark();
    // Back from a freeze, the lock may have been stolen meanwhile (R12): known before any work.
    if (!(await this.#leader.acting())) return;
    const { store, clock } = this.#ctx;
    const now = clock.now();
    if (store.size === 0) {
      this.stop();
      return;
    }
    const due = store.keys().filter((key) => store.read(key, now)?.freshness !== 'fresh');
    if (due.length > 0) {
      const used = await this.#usage.inUse(due);
      // (A sign-out while the lock manager answered dropped every token due: none to renew, R13.)
      if (!this.#leader.isLeader || interrupted()) return;
      for (const key of due) {
        if (used.has(key)) this.#refreshNow(key);
        else if (!store.servable(key, clock.now())) {
          store.delete(key);
          this.#failures.delete(key);
          this.#lastTried.delete(key);
        }
      }
    }
    // After the refreshes, which reuse the key locks they still hold.
    this.#guard.releaseKept();
  }
}
