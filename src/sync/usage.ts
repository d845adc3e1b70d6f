import { elapsedMs, type Instant } from '../core/clock.js';
import { acquire, type Held } from '../platform/locks.js';
import type { Cancel } from '../platform/timers.js';
import { idleCheckInMs, isIdle, releaseDue } from '../rules.js';
import type { SyncContext } from './context.js';

/**
 * Which keys are in use (R21). A tab that reads a key holds the shared Web Lock
 * `tab-token-cache:<name>:use:<key>` for as long as its last read is within the idle timeout; the
 * leader sees every tab's reads in `navigator.locks.query()`. A read costs no message, and a tab
 * wakes once per idle timeout at most, to let go of the keys it stopped reading.
 */
export class Usage {
  readonly #ctx: SyncContext;
  readonly #lastRead = new Map<string, Instant>();
  /** The use lock of each key read here: held, or on its way. */
  readonly #locks = new Map<string, Promise<Held | null>>();
  #stopTimer: Cancel | undefined;

  constructor(ctx: SyncContext) {
    this.#ctx = ctx;
  }

  get #keysIdle(): boolean {
    return this.#ctx.timing.idleMs !== Infinity;
  }

  /** A read of `key` in this tab, at `now`. */
  touch(key: string, now: Instant): void {
    if (!this.#keysIdle) return;
    this.#lastRead.set(key, now);
    if (!this.#locks.has(key)) {
      const held = acquire(this.#ctx.locks, this.#lockName(key), { mode: 'shared' }).catch(() => null);
      this.#locks.set(key, held);
    }
    if (!this.#stopTimer) this.#schedule(this.#ctx.timing.idleMs);
  }

  /** True while this tab's last read of `key` is within the idle timeout (always when keys never go idle). */
  readHere(key: string, now: Instant): boolean {
    return !this.#idleHere(key, now);
  }

  /** The keys among `keys` that some tab read within the idle timeout. */
  async inUse(keys: readonly string[]): Promise<Set<string>> {
    const now = this.#ctx.clock.now();
    const used = new Set(keys.filter((key) => !this.#idleHere(key, now)));
    if (used.size === keys.length) return used;
    const { held } = await this.#ctx.locks.query();
    const names = new Set(held.map((lock) => lock.name));
    for (const key of keys) if (names.has(this.#lockName(key))) used.add(key);
    return used;
  }

  /** Lets go of every use lock (close, or entering the back/forward cache). */
  releaseAll(): void {
    this.#stopTimer?.();
    this.#stopTimer = undefined;
    for (const key of [...this.#locks.keys()]) this.#release(key);
    this.#lastRead.clear();
  }

  #idleHere(key: string, now: Instant): boolean {
    if (!this.#keysIdle) return false;
    const last = this.#lastRead.get(key);
    return last === undefined || isIdle(elapsedMs(last, now), this.#ctx.timing);
  }

  #schedule(ms: number): void {
    this.#stopTimer = this.#ctx.timers.after(
      ms,
      () => {
        this.#stopTimer = undefined;
        this.#expire();
      },
      true,
    );
  }

  /** The one wake-up per idle timeout: keys not read since are let go. */
  #expire(): void {
    const now = this.#ctx.clock.now();
    let next = Infinity;
    for (const [key, last] of [...this.#lastRead]) {
      const since = elapsedMs(last, now);
      if (releaseDue(since, this.#ctx.timing)) {
        this.#lastRead.delete(key);
        this.#release(key);
      } else {
        next = Math.min(next, idleCheckInMs(since, this.#ctx.timing));
      }
    }
    if (next !== Infinity) this.#schedule(next);
  }

  #release(key: string): void {
    const held = this.#locks.get(key);
    this.#locks.delete(key);
    void held?.then((h) => h?.release());
  }

  #lockName(key: string): string {
    return this.#ctx.lockName(`use:${key}`);
  }
}
