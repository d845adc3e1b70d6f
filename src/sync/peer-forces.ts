import type { Entry } from '../core/store.js';
import type { Cancel } from '../platform/timers.js';
import { peerForceWindowMs } from '../rules.js';
import { wire } from './arrivals.js';
import type { SyncContext } from './context.js';
import { type FetchGuard, reportFailure } from './fetch-guard.js';

/** The keys with forced fetches pending at once; more are refused (R28: no unbounded state). */
const MAX_KEYS = 64;
/** The askers remembered per key. */
const MAX_ASKERS = 64;

interface Forced {
  readonly askers: Set<string>;
  /** When the window of the last forced fetch ends (monotonic ms). */
  untilMs: number;
  /** The fetch queued for the end of the window. */
  queued?: Cancel;
}

/**
 * Followers' `forceRefresh` questions, at the leader (R24, R28): they cost at most one fetch per
 * key per poll; those that come within the window of the last one are answered together by one
 * fetch at its end. Each asker gets the brand-new token itself, even where the cache keeps an
 * older-issued one that is still servable (R6: a server whose clock stepped ahead).
 */
export class PeerForces {
  readonly #ctx: SyncContext;
  readonly #guard: FetchGuard;
  readonly #forced = new Map<string, Forced>();

  constructor(ctx: SyncContext, guard: FetchGuard) {
    this.#ctx = ctx;
    this.#guard = guard;
  }

  ask(from: string, key: string): void {
    let forced = this.#forced.get(key);
    if (!forced) {
      if (this.#forced.size >= MAX_KEYS) return;
      forced = { askers: new Set(), untilMs: 0 };
      this.#forced.set(key, forced);
    }
    if (forced.askers.size < MAX_ASKERS) forced.askers.add(from);
    this.#schedule(key, forced);
  }

  /** Ends every window and forgets every asker (the tab steps down, leaves, or is signed out). */
  clear(): void {
    for (const forced of this.#forced.values()) forced.queued?.();
    this.#forced.clear();
  }

  #schedule(key: string, forced: Forced): void {
    if (forced.queued || this.#guard.fetching(key)) return; // the fetch queued or under way answers it
    const now = this.#ctx.clock.now().mono;
    if (now < forced.untilMs) {
      forced.queued = this.#ctx.timers.after(forced.untilMs - now, () => {
        forced.queued = undefined;
        if (this.#forced.get(key) === forced) this.#schedule(key, forced);
      });
      return;
    }
    forced.untilMs = now + peerForceWindowMs(this.#ctx.timing.pollMs);
    this.#guard.fetch(key, 'new', 'leader').then(
      (entry) => entry && this.#answer(forced, entry),
      (error: unknown) => reportFailure(this.#ctx, key, error),
    );
  }

  /** Every asker so far gets the token (those that asked while it was being fetched too). */
  #answer(forced: Forced, entry: Entry): void {
    const tokens = [wire(entry, this.#ctx.clock.now())];
    for (const to of forced.askers) this.#ctx.post('snapshot', { to, tokens });
    forced.askers.clear();
  }
}
