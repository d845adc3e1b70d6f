import type { Entry, Reading } from '../core/store.js';
import { noTokenError } from '../errors.js';
import { arrivalWaitMs, leaderLate } from '../rules.js';
import type { Arrivals } from './arrivals.js';
import type { Asks } from './asks.js';
import type { Need, SyncContext } from './context.js';
import type { FetchGuard } from './fetch-guard.js';
import type { Leadership } from './leadership.js';
import type { Refresher } from './refresher.js';
import type { Session } from './session.js';

/** The parts a resolver works with. */
export interface ResolverParts {
  readonly session: Session;
  readonly leadership: Leadership;
  readonly asks: Asks;
  readonly arrivals: Arrivals;
  readonly guard: FetchGuard;
  readonly refresher: Refresher;
}

/**
 * What a caller in this tab gets when the store cannot serve it (R3, R4, R12): concurrent misses
 * of a key share one resolution; the leader fetches; a follower asks the leader, and takes
 * leadership over when the question is not acknowledged in time. Stale hits (R2, R17) go the
 * same way in the background.
 */
export class Resolver {
  readonly #ctx: SyncContext;
  readonly #p: ResolverParts;
  /** Concurrent misses of a key in this tab share one resolution (R4). */
  readonly #resolving = new Map<string, Promise<Entry>>();
  /** The stale token (by iat) each key's leader was already asked about. */
  readonly #staleNudgeSent = new Map<string, number>();

  constructor(ctx: SyncContext, parts: ResolverParts) {
    this.#ctx = ctx;
    this.#p = parts;
  }

  /** A servable token for `key` (or a brand-new one with force), fetched once among all tabs. */
  resolve(key: string, force: boolean): Promise<Entry> {
    const closed = this.#p.session.checkOpen();
    if (closed) return Promise.reject(closed);
    const shared = force ? undefined : this.#resolving.get(key);
    if (shared) return shared;
    const p = this.#obtain(key, force).finally(() => {
      if (this.#resolving.get(key) === p) this.#resolving.delete(key);
    });
    if (!force) this.#resolving.set(key, p);
    return p;
  }

  /**
   * A stale token was served (R2): the leader refreshes it; a follower tells the leader only once
   * the leader is late with it (or when `now`, R17), and takes over if it gets no answer (R12).
   */
  onStale(key: string, reading: Reading, now = false): void {
    const { session, leadership, refresher, asks } = this.#p;
    if (session.closed) return;
    if (leadership.isLeader) {
      refresher.refresh(key);
      return;
    }
    if (now) this.#staleNudgeSent.delete(key);
    else if (!leaderLate(reading.remainingMs, this.#ctx.timing)) return;
    if (this.#staleNudgeSent.get(key) === reading.entry.iat) return;
    this.#staleNudgeSent.set(key, reading.entry.iat);
    void asks.ask(key, 'stale').then(async (acknowledged) => {
      if (!acknowledged) await this.#takeOver();
      if (leadership.isLeader) refresher.refresh(key);
    });
  }

  /** A new token for `key` is held: the next stale one may nudge the leader again. */
  forgetNudge(key?: string): void {
    if (key === undefined) this.#staleNudgeSent.clear();
    else this.#staleNudgeSent.delete(key);
  }

  async #obtain(key: string, force: boolean): Promise<Entry> {
    const need: Need = force ? 'new' : 'servable';
    const answered = (await this.#p.leadership.acting())
      ? undefined
      : await this.#fromLeader(key, need, force);
    if (answered) return answered;
    const entry = await this.#p.guard.fetch(key, need, true);
    if (!entry) throw this.#p.session.checkOpen() ?? noTokenError(key);
    return entry;
  }

  /**
   * A follower asks the leader for the token. Undefined when it is this tab's to fetch: no tab
   * leads, the leader did not acknowledge in time (this tab took over, R12), or its answer did not
   * come. Rejects when the leader's fetch failed.
   */
  async #fromLeader(key: string, need: Need, force: boolean): Promise<Entry | undefined> {
    const { leadership, arrivals, asks } = this.#p;
    // (Leadership may arrive meanwhile: a tab must not ask itself.)
    if (!(await leadership.leaderElsewhere()) || leadership.isLeader) return undefined;
    const cancel = new AbortController();
    const arrival = arrivals.waitFor(key, need, arrivalWaitMs(this.#ctx.timing), cancel.signal);
    arrival.catch(() => {}); // awaited below only when the leader answers
    try {
      if (await asks.ask(key, force ? 'force' : 'miss')) return await arrival;
      await this.#takeOver();
      return undefined;
    } finally {
      cancel.abort();
    }
  }

  /** The leader did not answer: take leadership from it (R12). */
  async #takeOver(): Promise<void> {
    const { leadership, session } = this.#p;
    if (!leadership.isLeader && !session.closed) await leadership.steal();
  }
}
