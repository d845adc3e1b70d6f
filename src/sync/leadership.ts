import type { Clock } from '../core/clock.js';
import type { LeaderReason } from '../events.js';
import { acquire, type Held, type Locks } from '../platform/locks.js';
import type { Cancel, Timers } from '../platform/timers.js';
import { mustConfirmLead, type Timing } from '../rules.js';

export interface LeadershipEvents {
  onLead(reason: LeaderReason): void;
  onStepDown(reason: LeaderReason): void;
}

/**
 * Leadership (R11, R12, R22): the Web Lock `tab-token-cache:<name>:leader`, held directly.
 *
 * A tab that joins queues for the lock; the browser grants it to one tab at a time and hands it
 * on by itself when the holder closes, navigates away or crashes (R11): no `unload` handler is
 * needed, so none is registered. A tab that needs a leader that does not answer steals the lock
 * (R12); the tab it was stolen from steps down and queues again. A tab leaving for the
 * back/forward cache lets go of the lock and of its place in the queue (R22).
 *
 * A tab that was frozen or hung finds, when it runs again, a backlog of tasks (poll ticks,
 * questions, its app's reads) that may run before it learns that its lock was stolen meanwhile.
 * So the leader's work asks `acting()` first: after a silence longer than the answer timeout (the
 * least a follower waits before it steals) it is confirmed with the lock manager before anything
 * is acknowledged, fetched or broadcast.
 */
export class Leadership {
  readonly #locks: Locks;
  readonly #name: string;
  readonly #events: LeadershipEvents;
  readonly #clock: Clock;
  readonly #timing: Timing;
  #joined = false;
  /** When this tab last knew it led (monotonic ms). */
  #lastSureMs = 0;
  #confirming: Promise<boolean> | undefined;
  #held: Held | undefined;
  #queued: AbortController | undefined;
  readonly #timers: Pick<Timers, 'after'>;
  /** A queue request the browser refused, to be made again a poll later. */
  #retry: Cancel | undefined;
  /** The steal under way: concurrent steals in this tab are one steal (R12). */
  #stealing: Promise<void> | undefined;

  constructor(
    locks: Locks,
    lockName: string,
    events: LeadershipEvents,
    clock: Clock,
    timing: Timing,
    timers: Pick<Timers, 'after'>,
  ) {
    this.#locks = locks;
    this.#name = lockName;
    this.#events = events;
    this.#clock = clock;
    this.#timing = timing;
    this.#timers = timers;
  }

  get isLeader(): boolean {
    return this.#held !== undefined;
  }

  /** Queues for leadership (again after `leave`). */
  join(): void {
    this.#joined = true;
    this.#queue();
  }

  /** Lets go of leadership and of the place in the queue. */
  leave(): void {
    this.#joined = false;
    this.#retry?.();
    this.#retry = undefined;
    this.#queued?.abort();
    this.#queued = undefined;
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    held.release();
    this.#events.onStepDown('left');
  }

  /** Takes leadership from a holder that does not answer (R12); concurrent calls share one steal. */
  steal(): Promise<void> {
    if (!this.#joined || this.#held) return Promise.resolve();
    this.#stealing ??= this.#steal().finally(() => {
      this.#stealing = undefined;
    });
    return this.#stealing;
  }

  async #steal(): Promise<void> {
    this.#queued?.abort();
    this.#queued = undefined;
    // A refused steal (the page is going away) leaves this tab a follower; it queues again.
    const held = await acquire(this.#locks, this.#name, { steal: true }).catch(() => null);
    if (held) this.#take(held, 'stole');
    else this.#queue();
  }

  /** True when another tab holds leadership. */
  async leaderElsewhere(): Promise<boolean> {
    if (this.#held) return false;
    const { held } = await this.#locks.query();
    return !this.#held && held.some((lock) => lock.name === this.#name);
  }

  /**
   * Whether this tab leads and may do the leader's work now, for a question `ageMs` old if it is
   * one. After a stall (a freeze, a hang, a suspended machine), or for a question that waited
   * longer than the answer timeout, only after a round trip to the lock manager, where a tab
   * learns that its lock was stolen meanwhile (R12, `mustConfirmLead`).
   */
  acting(ageMs?: number): Promise<boolean> {
    if (!this.#held) return Promise.resolve(false);
    const now = this.#clock.now().mono;
    if (!this.#confirming && !mustConfirmLead(now - this.#lastSureMs, ageMs, this.#timing)) {
      this.#lastSureMs = now;
      return Promise.resolve(true);
    }
    this.#confirming ??= this.#locks.query().then(
      () => this.#sure(),
      () => this.#sure(),
    );
    return this.#confirming;
  }

  #sure(): boolean {
    this.#confirming = undefined;
    this.#lastSureMs = this.#clock.now().mono;
    return this.isLeader;
  }

  #queue(): void {
    if (!this.#joined || this.#held || this.#queued) return;
    const queued = new AbortController();
    const { signal } = queued;
    this.#queued = queued;
    const granted = (held: Held | null, reason: LeaderReason) => {
      if (this.#queued === queued) this.#queued = undefined;
      if (held && signal.aborted)
        held.release(); // left, or stealing, meanwhile
      else if (held) this.#take(held, reason);
    };
    // Free at once: nobody led (`elected`). Else wait in the queue: a grant there means the leader
    // closed, left or crashed (`took-over`, R30).
    acquire(this.#locks, this.#name, { ifAvailable: true })
      .then((now) => {
        if (now || signal.aborted) return granted(now, 'elected');
        return acquire(this.#locks, this.#name, { signal }).then((held) => granted(held, 'took-over'));
      })
      .catch(() => {
        if (this.#queued === queued) this.#queued = undefined;
        // Aborted by leave() or steal(); or refused by the browser, which Chromium does now and
        // then to a tab a script has just opened ("The provided callback is no longer runnable"):
        // then queue again a poll later (not at once: a browser that refuses every time must not
        // make this a loop), so that this tab can still take over when the leader goes (R11).
        if (signal.aborted || !this.#joined || this.#retry) return;
        this.#retry = this.#timers.after(
          this.#timing.pollMs,
          () => {
            this.#retry = undefined;
            this.#queue();
          },
          true, // background work: it never keeps a Node process alive (R19)
        );
      });
  }

  #take(held: Held, reason: LeaderReason): void {
    if (!this.#joined || this.#held) {
      held.release();
      return;
    }
    this.#held = held;
    this.#lastSureMs = this.#clock.now().mono;
    this.#queued?.abort();
    this.#queued = undefined;
    void held.lost.then((stolen) => {
      if (this.#held !== held) return;
      this.#held = undefined;
      this.#events.onStepDown(stolen ? 'stolen' : 'left');
      if (stolen) this.#queue();
    });
    this.#events.onLead(reason);
  }
}
