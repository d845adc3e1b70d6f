import type { Clock } from '../core/clock.js';
import type { Cancel, Timers } from '../platform/timers.js';

interface Deadline {
  leftMs: number;
  startedMs: number;
  stop: Cancel | undefined;
  readonly expire: () => void;
}

/**
 * Whether this tab is in the group or away from it (between `pagehide`/`freeze` and
 * `pageshow`/`resume`, R22), and the deadlines of its calls (R27), which count only the time it
 * runs: a call pending when the page entered the back/forward cache waits for it to come back,
 * then goes on (or learns of a sign-out that happened meanwhile, R13).
 */
export class Presence {
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #deadlines = new Set<Deadline>();
  #away: { readonly back: Promise<void>; readonly resolve: () => void } | undefined;

  constructor(timers: Timers, clock: Clock) {
    this.#timers = timers;
    this.#clock = clock;
  }

  /** Whether calls of this tab are waiting to settle. */
  get waiting(): boolean {
    return this.#deadlines.size > 0;
  }

  get away(): boolean {
    return this.#away !== undefined;
  }

  /** Resolves at once while the tab is in the group, else when it is back. */
  here(): Promise<void> {
    return this.#away?.back ?? Promise.resolve();
  }

  leave(): void {
    if (this.#away) return;
    let resolve: () => void = () => {};
    const back = new Promise<void>((r) => {
      resolve = r;
    });
    this.#away = { back, resolve };
    const now = this.#clock.now().mono;
    for (const d of this.#deadlines) {
      d.stop?.();
      d.stop = undefined;
      d.leftMs -= now - d.startedMs;
    }
  }

  back(): void {
    const away = this.#away;
    if (!away) return;
    this.#away = undefined;
    for (const d of this.#deadlines) this.#arm(d);
    away.resolve();
  }

  /** `work`, or `expired()` once it has run for `ms` of this tab's time without settling. */
  within<T>(work: Promise<T>, ms: number, expired: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const d: Deadline = { leftMs: ms, startedMs: 0, stop: undefined, expire: () => reject(expired()) };
      this.#deadlines.add(d);
      if (!this.away) this.#arm(d);
      work.then(resolve, reject).finally(() => {
        d.stop?.();
        this.#deadlines.delete(d);
      });
    });
  }

  #arm(d: Deadline): void {
    d.startedMs = this.#clock.now().mono;
    d.stop = this.#timers.after(Math.max(0, d.leftMs), () => {
      this.#deadlines.delete(d);
      d.expire();
    });
  }
}
