import type { AskReason, WireToken } from '../wire/protocol.js';
import { wire } from './arrivals.js';
import type { Need, SyncContext } from './context.js';
import { type FetchGuard, reportFailure } from './fetch-guard.js';
import { PeerForces } from './peer-forces.js';
import type { Refresher } from './refresher.js';

/**
 * The leader's side of the conversation: it acknowledges every question at once (R12), answers
 * with the tokens it holds (R10: snapshots), and fetches what a follower misses, once (R4), within
 * the outage budget (R24); a peer's `force` goes to PeerForces (R28).
 */
export class Answers {
  readonly #ctx: SyncContext;
  readonly #guard: FetchGuard;
  readonly #refresher: Refresher;
  readonly #forces: PeerForces;

  constructor(ctx: SyncContext, guard: FetchGuard, refresher: Refresher) {
    this.#ctx = ctx;
    this.#guard = guard;
    this.#refresher = refresher;
    this.#forces = new PeerForces(ctx, guard);
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

  /** A follower's question; `ack-only` for one from before a sign-out this tab knows of. */
  ask(from: string, id: string, key: string, reason: AskReason | 'ack-only'): void {
    this.#ctx.post('ack', { to: from, id });
    if (reason === 'ack-only') return;
    const r = this.#ctx.store.read(key, this.#ctx.clock.now());
    if (reason !== 'force' && r && r.freshness !== 'unservable') {
      this.snapshot(from, [key]);
      if (r.freshness === 'stale') this.#refresher.refresh(key);
      return;
    }
    if (reason === 'stale') this.#refresher.refresh(key);
    else if (reason === 'force') this.#forces.ask(from, key);
    else this.#fetchFor(from, key, 'servable');
  }

  /** Forgets the forced fetches pending (the tab steps down, leaves, or is signed out). */
  clear(): void {
    this.#forces.clear();
  }

  /** Fetches for followers: the token is broadcast (and sent to `to`), a failure reported. */
  #fetchFor(to: string | undefined, key: string, need: Need): void {
    this.#guard.fetch(key, need, 'leader').then(
      (entry) => {
        if (entry && to !== undefined) this.snapshot(to, [key]);
      },
      (error: unknown) => reportFailure(this.#ctx, key, error),
    );
  }
}
