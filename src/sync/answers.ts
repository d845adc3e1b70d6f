import { asTokenCacheError, isInterruption } from '../errors.js';
import type { AskReason, WireToken } from '../wire/protocol.js';
import { wire } from './arrivals.js';
import type { SyncContext } from './context.js';
import type { FetchGuard } from './fetch-guard.js';
import type { Refresher } from './refresher.js';

/**
 * The leader's side of the conversation: it acknowledges every question at once (R12), answers
 * with the tokens it holds (R10: snapshots), and fetches what a follower misses, once (R4), within
 * the outage budget (R24).
 */
export class Answers {
  readonly #ctx: SyncContext;
  readonly #guard: FetchGuard;
  readonly #refresher: Refresher;

  constructor(ctx: SyncContext, guard: FetchGuard, refresher: Refresher) {
    this.#ctx = ctx;
    this.#guard = guard;
    this.#refresher = refresher;
  }

  /** Sends tab `to` the servable tokens of `keys` (all by default). */
  snapshot(to: string, keys: readonly string[] = this.#ctx.store.keys()): void {
    const now = this.#ctx.clock.now();
    const tokens: WireToken[] = [];
    for (const key of keys) {
      const entry = this.#ctx.store.servable(key, now);
      if (entry) tokens.push(wire(entry, now));
    }
    this.#ctx.post('snapshot', { to, tokens });
  }

  ask(from: string, id: string, key: string, reason: AskReason): void {
    this.#ctx.post('ack', { to: from, id });
    const r = this.#ctx.store.read(key, this.#ctx.clock.now());
    if (reason !== 'force' && r && r.freshness !== 'unservable') {
      this.snapshot(from, [key]);
      if (r.freshness === 'stale') this.#refresher.refresh(key);
      return;
    }
    if (reason === 'stale') {
      this.#refresher.refresh(key);
      return;
    }
    this.#guard.fetch(key, reason === 'force' ? 'new' : 'servable', true).then(
      (entry) => {
        if (entry) this.snapshot(from, [key]);
      },
      (error: unknown) => {
        if (isInterruption(error)) return;
        const e = asTokenCacheError(error);
        this.#ctx.post('ask-failed', { key, code: e.code, message: e.message });
      },
    );
  }
}
