import type { Entry, Reading } from '../core/store.js';
import { deadlineError, noTokenError, type TokenCacheError } from '../errors.js';
import type { Cancel } from '../platform/timers.js';
import { arrivalWaitMs, callBoundMs, leaderLate } from '../rules.js';
import type { Arrivals } from './arrivals.js';
import type { Asks } from './asks.js';
import type { Need, SyncContext } from './context.js';
import type { FetchGuard } from './fetch-guard.js';
import type { Leadership } from './leadership.js';
import type { Presence } from './presence.js';
import type { Refresher } from './refresher.js';
import type { Session } from './session.js';

/** The parts a resolver works with. */
export interface ResolverParts {
  readonly session: Session;
  readonly presence: Presence;
  readonly leadership: Leadership;
  readonly asks: Asks;
  readonly arrivals: Arrivals;
  readonly guard: FetchGuard;
  readonly refresher: Refresher;
}

type Interrupted = () => TokenCacheError | undefined;

/** Tries of a call that found no token while the tab stayed (leadership moving on meanwhile). */
const MAX_TRIES = 3;

/**
 * What a caller in this tab gets when the store cannot serve it (R3, R4, R12): concurrent misses
 * of a key share one resolution; the leader fetches; a follower asks the leader, and takes
 * leadership over when the question is not acknowledged in time. Stale hits (R2, R17) go the
 * same way in the background.
 *
 * Every resolution is held to three promises: it rejects `cleared` or `closed` the moment a
 * sign-out or close() overtakes it, and nothing it started may fetch after that (R13); it settles
 * within the R27 bound of this tab's running time; and a tab that leaves the group meanwhile
 * (back/forward cache) neither steals nor fetches for it: the call waits for the tab to come back.
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

  /**
   * A servable token for `key` (or a brand-new one with force), fetched once among all tabs;
   * after `seed`, a seed of the key being checked, which may bring it (R31).
   */
  resolve(key: string, force: boolean, seed?: Promise<unknown>): Promise<Entry> {
    const { session, presence } = this.#p;
    const shared = force ? undefined : this.#resolving.get(key);
    if (shared) return shared;
    const bound = callBoundMs(this.#ctx.timing);
    const work = this.#obtain(key, force, session.mark(key), force ? undefined : seed);
    work.catch(() => {}); // the caller hears of a failure through the tracked promise below
    const p = session
      .track(
        presence.within(work, bound, () => deadlineError(key, bound)),
        key,
      )
      .finally(() => {
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
    const { session, presence, leadership, refresher, asks } = this.#p;
    if (session.closed || presence.away) return;
    if (leadership.isLeader) {
      refresher.refresh(key);
      return;
    }
    if (now) this.#staleNudgeSent.delete(key);
    else if (!leaderLate(reading.remainingMs, this.#ctx.timing)) return;
    if (this.#staleNudgeSent.get(key) === reading.entry.iat) return;
    this.#staleNudgeSent.set(key, reading.entry.iat);
    const interrupted = session.mark(key);
    void asks.ask(key, 'stale').then(async (outcome) => {
      if (outcome === 'left' || interrupted()) return;
      if (outcome === 'unanswered') await this.#takeOver();
      if (leadership.isLeader && !interrupted()) refresher.refresh(key);
    });
  }

  /** A new token for `key` is held: the next stale one may nudge the leader again. */
  forgetNudge(key?: string): void {
    if (key === undefined) this.#staleNudgeSent.clear();
    else this.#staleNudgeSent.delete(key);
  }

  /** Tries until a token comes, a failure is reported, or a sign-out ends it; waits out absences. */
  async #obtain(
    key: string,
    force: boolean,
    interrupted: Interrupted,
    seed?: Promise<unknown>,
  ): Promise<Entry> {
    const need: Need = force ? 'new' : 'servable';
    if (seed) {
      await seed;
      const seeded = this.#p.arrivals.satisfied(key, need);
      if (seeded) return seeded;
    }
    for (let tries = 0; ; ) {
      await this.#p.presence.here();
      const stop = interrupted();
      if (stop) throw stop;
      let entry: Entry | undefined;
      try {
        entry = await this.#attempt(key, need, interrupted);
      } catch (error) {
        // A fetch ended by the page leaving is tried again when it is back.
        if (!this.#p.presence.away || interrupted()) throw interrupted() ?? error;
      }
      const after = interrupted();
      if (after) throw after;
      if (entry) return entry;
      // Nothing came: the tab left (it tries again when back), or leadership moved on while it
      // was about to fetch (it asks the new leader), within the call's deadline.
      if (!this.#p.presence.away && ++tries > MAX_TRIES) throw noTokenError(key);
    }
  }

  /** One try: the leader fetches; a follower asks, and fetches only if the leader is gone or mute. */
  async #attempt(key: string, need: Need, interrupted: Interrupted): Promise<Entry | undefined> {
    const { leadership, guard, presence } = this.#p;
    if (!(await leadership.acting())) {
      const answered = await this.#fromLeader(key, need, interrupted);
      if (answered !== null) return answered;
    }
    if (interrupted() || presence.away) return undefined;
    return guard.fetch(key, need, leadership.isLeader ? 'leader' : 'caller');
  }

  /**
   * A follower asks the leader for the token. Null when it is this tab's to fetch: no tab leads,
   * or the leader did not acknowledge in time (this tab took over, R12), or its answer did not
   * come; undefined when the tab left meanwhile. Rejects when the leader's fetch failed.
   *
   * While it waits for the answer it asks again once a poll: the leader it asked may have left
   * (its successor then gets the question) or hung (the next question goes unanswered, and this
   * tab takes over) since it acknowledged.
   */
  async #fromLeader(key: string, need: Need, interrupted: Interrupted): Promise<Entry | null | undefined> {
    const { leadership, arrivals, presence } = this.#p;
    const { timers, timing } = this.#ctx;
    // (Leadership may arrive meanwhile: a tab must not ask itself.)
    if (!(await leadership.leaderElsewhere()) || leadership.isLeader) return null;
    if (interrupted() || presence.away) return undefined; // a question from before a sign-out is never asked
    const cancel = new AbortController();
    const arrival = arrivals.waitFor(key, need, arrivalWaitMs(timing), cancel.signal);
    arrival.catch(() => {}); // awaited below only when the leader answers
    try {
      let outcome = await this.#ask(key, need);
      while (outcome === 'acked') {
        let stop: Cancel = () => {};
        const pause = new Promise<'again'>((resolve) => {
          stop = timers.after(timing.pollMs, () => resolve('again'));
        });
        const answered = await Promise.race([arrival, pause]).finally(stop);
        if (answered !== 'again') return answered ?? (presence.away ? undefined : null);
        if (interrupted() || presence.away) return undefined;
        if (leadership.isLeader) return null; // it leads now: its own to answer
        outcome = await this.#ask(key, need);
      }
      if (outcome === 'left' || interrupted()) return undefined;
      await this.#takeOver();
      return null;
    } finally {
      cancel.abort();
    }
  }

  /** One question, asked again if this tab learned of an earlier sign-out meanwhile (it opened after it). */
  async #ask(key: string, need: Need): Promise<'acked' | 'unanswered' | 'left'> {
    for (let i = 0; ; i++) {
      const outcome = await this.#p.asks.ask(key, need === 'new' ? 'force' : 'miss');
      if (outcome !== 'again') return outcome;
      if (i === 2) return 'acked';
    }
  }

  /** The leader did not answer: take leadership from it (R12). */
  async #takeOver(): Promise<void> {
    const { leadership, session, presence } = this.#p;
    if (!leadership.isLeader && !session.closed && !presence.away) await leadership.steal();
  }
}
