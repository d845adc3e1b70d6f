import { acquire, type Held, type Locks } from '../platform/locks.js';

export interface LeadershipEvents {
  onLead(): void;
  onStepDown(): void;
}

/**
 * Leadership (R11, R12, R22): the Web Lock `tab-token-cache:<name>:leader`, held directly.
 *
 * A tab that joins queues for the lock; the browser grants it to one tab at a time and hands it
 * on by itself when the holder closes, navigates away or crashes (R11): no `unload` handler is
 * needed, so none is registered. A tab that needs a leader that does not answer steals the lock
 * (R12); the tab it was stolen from steps down and queues again. A tab leaving for the
 * back/forward cache lets go of the lock and of its place in the queue (R22).
 */
export class Leadership {
  readonly #locks: Locks;
  readonly #name: string;
  readonly #events: LeadershipEvents;
  #joined = false;
  #held: Held | undefined;
  #queued: AbortController | undefined;

  constructor(locks: Locks, lockName: string, events: LeadershipEvents) {
    this.#locks = locks;
    this.#name = lockName;
    this.#events = events;
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
    this.#queued?.abort();
    this.#queued = undefined;
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    held.release();
    this.#events.onStepDown();
  }

  /** Takes leadership from a holder that does not answer (R12). */
  async steal(): Promise<void> {
    if (!this.#joined || this.#held) return;
    this.#queued?.abort();
    this.#queued = undefined;
    const held = await acquire(this.#locks, this.#name, { steal: true });
    if (held) this.#take(held);
  }

  /** True when another tab holds leadership. */
  async leaderElsewhere(): Promise<boolean> {
    if (this.#held) return false;
    const { held } = await this.#locks.query();
    return !this.#held && held.some((lock) => lock.name === this.#name);
  }

  /**
   * Whether this tab still leads, after a round trip to the lock manager: a tab back from a freeze
   * learns there that its lock was stolen meanwhile, before it does any leader's work.
   */
  async confirm(): Promise<boolean> {
    await this.#locks.query();
    return this.isLeader;
  }

  #queue(): void {
    if (!this.#joined || this.#held || this.#queued) return;
    const queued = new AbortController();
    this.#queued = queued;
    acquire(this.#locks, this.#name, { signal: queued.signal }).then(
      (held) => {
        if (this.#queued === queued) this.#queued = undefined;
        if (held) this.#take(held);
      },
      () => {
        if (this.#queued === queued) this.#queued = undefined; // aborted by leave() or steal()
      },
    );
  }

  #take(held: Held): void {
    if (!this.#joined || this.#held) {
      held.release();
      return;
    }
    this.#held = held;
    this.#queued?.abort();
    this.#queued = undefined;
    void held.lost.then((stolen) => {
      if (this.#held !== held) return;
      this.#held = undefined;
      this.#events.onStepDown();
      if (stolen) this.#queue();
    });
    this.#events.onLead();
  }
}
