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
 *
 * Away since a `beforeunload` (R11), the page may yet stay (another listener cancelled the
 * navigation, or it became a download), and then nothing brings it back but its own use: `stay`.
 */
export class Presence {
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #rejoin: () => void;
  readonly #deadlines = new Set<Deadline>();
  #away: { readonly back: Promise<void>; readonly resolve: () => void } | undefined;
  /** Away since a `beforeunload` no `pagehide` followed yet, and the timer that rejoins, once set. */
  #mayStay: { timer?: Cancel } | undefined;

  /** `rejoin`: what brings the tab back to the group (the coordinator's, which ends in `back`). */
  constructor(timers: Timers, clock: Clock, pollMs: number, rejoin: () => void) {
    this.#timers = timers;
    this.#clock = clock;
    this.#pollMs = pollMs;
    this.#rejoin = rejoin;
  }

  get away(): boolean {
    return this.#away !== undefined;
  }

  /** Resolves at once while the tab is in the group, else when it is back. */
  here(): Promise<void> {
    return this.#away?.back ?? Promise.resolve();
  }

  /** The tab leaves the group; `mayStay` at `beforeunload`, where calls waiting rejoin a poll later so that they settle. */
  leave(mayStay = false): void {
    if (this.#away) return;
    if (mayStay) this.#mayStay = {};
    if (mayStay && this.#deadlines.size > 0) this.stay();
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

  /**
   * In use after a `beforeunload`: the page stays unless `pagehide` comes first. The next page may
   * take a while to arrive, and Firefox checks for Web Locks just before `pagehide` (a read that
   * rejoined at once kept 4 of 20 pages out of its cache, measured), so the tab rejoins one poll
   * later; `now`: at once (in view again, online, or a call that must reach the other tabs).
   */
  stay(now = false): void {
    const stay = this.#mayStay;
    if (!stay) return;
    if (now) this.#rejoin();
    else stay.timer ??= this.#timers.after(this.#pollMs, this.#rejoin);
  }

  /** `pagehide` after `beforeunload`: the page goes after all, and only `back` brings it back. */
  gone(): void {
    this.#mayStay?.timer?.();
    this.#mayStay = undefined;
  }

  back(): void {
    this.gone();
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
