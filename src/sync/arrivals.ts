import { type Entry, expiresAt, remainingMs } from '../core/store.js';
import type { TokenCacheError } from '../errors.js';
import type { WireToken } from '../wire/protocol.js';
import type { Need, SyncContext } from './context.js';

interface Waiter {
  readonly need: Need;
  /** The token held for the key when the wait began: for `new`, not an answer. */
  readonly before: string | undefined;
  resolve(entry: Entry | undefined): void;
  reject(error: TokenCacheError): void;
}

/**
 * Where tokens arrive, and those who wait for them. A token fetched or seeded here, or received
 * from another tab, is offered to the store; if stored, it is announced (`token` event, and
 * `identity` when it names another user than the last one, R30), broadcast when it came from
 * this tab (R9, R31), and every waiter whose need it meets is woken.
 */
export class Arrivals {
  readonly #ctx: SyncContext;
  readonly #onStored: (entry: Entry) => void;
  readonly #waiters = new Map<string, Set<Waiter>>();
  /** The signed-in identity of the latest token stored here (R30); kept across sign-outs. */
  #identity: string | undefined;

  constructor(ctx: SyncContext, onStored: (entry: Entry) => void) {
    this.#ctx = ctx;
    this.#onStored = onStored;
  }

  /** Offers a token to the store. Returns what is servable for its key now, and whether this token was stored. */
  accept(entry: Entry): { servable: Entry | undefined; stored: boolean } {
    const { store, clock, emit, counters, post } = this.#ctx;
    const now = clock.now();
    const stored = store.offer(entry, now) === 'stored';
    if (stored) {
      const current = entry.identity;
      const previous = this.#identity;
      emit('token', {
        key: entry.key,
        token: entry.token,
        source: entry.source,
        expiresAt: expiresAt(entry, now),
      });
      // Another identity than the one this tab knew: the user changed (R30), said once per change.
      if (current) {
        this.#identity = current;
        if (previous && current !== previous) emit('identity', { previous, current });
      }
      if (entry.source === 'fetch' || entry.source === 'seed') {
        post('token', wire(entry, now));
        counters.broadcastsSent++;
      }
      this.#onStored(entry);
    }
    const servable = store.servable(entry.key, now);
    // A brand-new token answers `new` even where the cache keeps an older-issued servable one (R6).
    const brandNew = store.freshness(remainingMs(entry, now)) === 'unservable' ? undefined : entry;
    for (const w of [...(this.#waiters.get(entry.key) ?? [])]) {
      const answer = w.need !== 'new' ? servable : stored ? servable : brandNew;
      if (answer && (w.need !== 'new' || answer.token !== w.before)) w.resolve(answer);
    }
    return { servable, stored };
  }

  /** The token held for `key` if it meets the need already. */
  satisfied(key: string, need: Need): Entry | undefined {
    if (need === 'new') return undefined;
    const r = this.#ctx.store.read(key, this.#ctx.clock.now());
    if (!r || r.freshness === 'unservable' || (need === 'fresh' && r.freshness === 'stale')) return undefined;
    return r.entry;
  }

  /**
   * Resolves when a token for `key` that meets the need arrives, or with undefined after `ms` or
   * when `cancel` aborts; rejects when the fetch it waits for fails (`fail`).
   */
  waitFor(key: string, need: Need, ms: number, cancel?: AbortSignal): Promise<Entry | undefined> {
    return new Promise<Entry | undefined>((resolve, reject) => {
      let set = this.#waiters.get(key);
      if (!set) {
        set = new Set();
        this.#waiters.set(key, set);
      }
      const waiters = set;
      const done = () => {
        stopTimer();
        cancel?.removeEventListener('abort', onCancel);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
      };
      const waiter: Waiter = {
        need,
        before: this.#ctx.store.read(key, this.#ctx.clock.now())?.entry.token,
        resolve: (entry) => {
          done();
          resolve(entry);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onCancel = () => waiter.resolve(undefined);
      const stopTimer = this.#ctx.timers.after(ms, () => waiter.resolve(undefined));
      cancel?.addEventListener('abort', onCancel, { once: true });
      waiters.add(waiter);
    });
  }

  /** The fetch awaited for `key` failed. */
  fail(key: string, error: TokenCacheError): void {
    for (const w of [...(this.#waiters.get(key) ?? [])]) w.reject(error);
  }

  /** Stops every wait, with nothing (the tab leaves the group, is signed out or closed). */
  endAll(): void {
    for (const set of [...this.#waiters.values()]) for (const w of [...set]) w.resolve(undefined);
  }
}

/** A token as it travels to other tabs. */
export function wire(entry: Entry, now: ReturnType<SyncContext['clock']['now']>): WireToken {
  return { key: entry.key, token: entry.token, expiresAt: expiresAt(entry, now) };
}
