import type { Instant } from '../core/clock.js';
import { checkedEntry } from '../core/fetcher.js';
import type { Entry, Reading } from '../core/store.js';
import { clearedError, closedError, leftError, type TokenCacheError, ttlTooShortError } from '../errors.js';
import type { Lifecycle, WatchLifecycle } from '../platform/lifecycle.js';
import { countingLocks } from '../platform/locks.js';
import { encode } from '../wire/protocol.js';
import type { OpenTransport, Transport } from '../wire/transport.js';
import { Answers } from './answers.js';
import { Arrivals } from './arrivals.js';
import { Asks } from './asks.js';
import type { Post, SyncContext } from './context.js';
import { FetchGuard } from './fetch-guard.js';
import { Inbox } from './inbox.js';
import { Leadership } from './leadership.js';
import { Presence } from './presence.js';
import { Refresher } from './refresher.js';
import { Resolver } from './resolver.js';
import { Session } from './session.js';
import { Usage } from './usage.js';

/** A tab's cache and seams, as the facade hands them over. */
export interface CoordinatorDeps extends Omit<SyncContext, 'post' | 'lockName'> {
  readonly openTransport: OpenTransport;
  readonly watchLifecycle: WatchLifecycle;
  /** False in a service worker: it never leads (the browser stops idle ones, R32). */
  readonly canLead: boolean;
}

/**
 * One tab's part in the group: wires leadership, the refresher, the fetch guard, questions and
 * answers, the inbox, idle tracking and the sign-out session, and follows the page's lifecycle.
 * It is made on the cache's first use (R19), so a cache that is never used starts nothing.
 */
export class Coordinator {
  readonly #ctx: SyncContext;
  readonly #session: Session;
  readonly #presence: Presence;
  readonly #arrivals: Arrivals;
  readonly #usage: Usage;
  readonly #guard: FetchGuard;
  readonly #leadership: Leadership;
  readonly #refresher: Refresher;
  readonly #asks: Asks;
  readonly #answers: Answers;
  readonly #inbox: Inbox;
  readonly #openTransport: OpenTransport;
  readonly #canLead: boolean;
  readonly #lifecycle: Lifecycle;
  #transport: Transport | undefined;
  readonly #resolver: Resolver;
  /** Seeds being checked, by key: a miss of the key waits for its seed (R31) before it fetches. */
  readonly #seeding = new Map<string, Promise<unknown>>();

  constructor(deps: CoordinatorDeps) {
    const post: Post = (type, body) => this.#post(type, body);
    const name = deps.options.name;
    const ctx: SyncContext = {
      ...deps,
      locks: countingLocks(deps.locks, (busy) => this.#lifecycle.locking(busy)),
      post,
      lockName: (part) => `tab-token-cache:${name}:${part}`,
    };
    this.#ctx = ctx;
    this.#openTransport = deps.openTransport;
    this.#canLead = deps.canLead;
    this.#session = new Session(deps.clock.now().wall, deps.tabId);
    this.#presence = new Presence(deps.timers, deps.clock, deps.timing.pollMs, () => this.#show());
    this.#arrivals = new Arrivals(ctx, (entry) => {
      // A token came (fetched here or elsewhere): failures remembered for its key are history.
      this.#resolver.forgetNudge(entry.key);
      this.#refresher.forget(entry.key);
      this.#guard.forget(entry.key);
      this.#guard.progress();
      this.#refresher.start();
    });
    this.#usage = new Usage(ctx);
    this.#guard = new FetchGuard(ctx, this.#session, this.#arrivals, {
      polling: () => this.#refresher.polling,
      leads: () => this.#leadership.isLeader,
      acting: () => this.#leadership.acting(),
      leaving: () => this.#session.closed || this.#presence.away,
      signedOut: (reason) => this.#signOut(undefined, false, reason),
    });
    this.#leadership = new Leadership(
      ctx.locks,
      ctx.lockName('leader'),
      {
        onLead: (reason) => {
          this.#asks.endAll('unanswered'); // questions this tab asked a leader are now its own to answer
          deps.emit('leader', { isLeader: true, reason });
          this.#refresher.start();
        },
        onStepDown: (reason) => {
          this.#refresher.stop();
          this.#answers.clear();
          deps.emit('leader', { isLeader: false, reason });
        },
      },
      deps.clock,
      deps.timing,
      ctx.timers,
    );
    this.#refresher = new Refresher(ctx, this.#guard, this.#usage, this.#leadership, this.#session);
    this.#asks = new Asks(ctx, () => this.#session.epoch);
    this.#answers = new Answers(ctx, this.#guard, this.#refresher);
    this.#inbox = new Inbox(ctx, {
      session: this.#session,
      arrivals: this.#arrivals,
      asks: this.#asks,
      answers: this.#answers,
      acting: (ageMs) => this.#leadership.acting(ageMs),
      failedElsewhere: (key, error) => this.#guard.failedElsewhere(key, error),
      signOut: (epoch, missed, reason) => this.#signOut(epoch, missed, reason),
    });
    this.#resolver = new Resolver(ctx, {
      session: this.#session,
      presence: this.#presence,
      leadership: this.#leadership,
      asks: this.#asks,
      arrivals: this.#arrivals,
      guard: this.#guard,
      refresher: this.#refresher,
    });
    this.#lifecycle = deps.watchLifecycle({
      revalidate: () => this.revalidate(),
      hide: (mayStay) => this.#hide(mayStay),
      show: () => this.#show(),
    });
    this.#join();
  }

  get isLeader(): boolean {
    return this.#leadership.isLeader;
  }

  /** A read of `key` in this tab (getToken, peekToken) at `now`: it keeps the key in use (R21), unless away. */
  touch(key: string, now: Instant): void {
    this.#presence.stay();
    // Away, it takes no use lock: Firefox would keep a page that waits for a Web Lock out of its cache.
    if (!this.#presence.away) this.#usage.touch(key, now);
  }

  /** A servable token for `key` (or a brand-new one with force), fetched once among all tabs. */
  resolve(key: string, force: boolean): Promise<Entry> {
    return this.#resolver.resolve(key, force, this.#seeding.get(key));
  }

  /** For a call starting now: the check that says whether a sign-out or close() overtook it (R13). */
  mark(key: string): () => TokenCacheError | undefined {
    return this.#session.mark(key);
  }

  /** A stale token was served (R2). */
  onStale(key: string, reading: Reading): void {
    this.#resolver.onStale(key, reading);
  }

  /**
   * Visible again or back online (R17): the tokens of keys this tab still reads that are not
   * fresh are revalidated through the leader; those of keys it stopped reading are not (R21), and
   * are dropped once they can no longer be served.
   */
  revalidate(): void {
    this.#presence.stay(true);
    if (this.#session.closed || this.#presence.away) return;
    const { store, clock } = this.#ctx;
    const now = clock.now();
    for (const key of store.keys()) {
      const r = store.read(key, now);
      if (!r || r.freshness === 'fresh') continue;
      if (this.#usage.readHere(key, now)) this.#resolver.onStale(key, r, true);
      else if (r.freshness === 'unservable') store.delete(key);
    }
  }

  /**
   * A token the app already holds (R31: rendered by its server into the page): checked as a
   * fetched one is (R15), kept and broadcast unless a newer servable one is held (R6). Its life is
   * counted from the start of this page (its server minted it for this page's request) and never
   * past its `exp` on this machine's wall clock, whichever ends first. True when kept.
   */
  seed(key: string, jwt: string): Promise<boolean> {
    this.#presence.stay(true); // a seed is broadcast
    const kept = this.#seed(key, jwt);
    const done: Promise<unknown> = kept
      .catch(() => {})
      .finally(() => {
        if (this.#seeding.get(key) === done) this.#seeding.delete(key);
      });
    this.#seeding.set(key, done);
    return kept;
  }

  async #seed(key: string, jwt: string): Promise<boolean> {
    const interrupted = this.#session.mark(key);
    const { options, clock } = this.#ctx;
    const { cutoffMs } = this.#ctx.timing;
    const entry = await checkedEntry(jwt, key, { ...options, cutoffMs }, clock.now(), 0, 'seed');
    const stop = interrupted();
    if (stop) throw stop;
    const now = clock.now();
    const lifeMs = Math.min(entry.lifeMs - now.mono, (entry.exp - 1) * 1000 - now.wall);
    if (lifeMs <= cutoffMs) throw ttlTooShortError(key, entry.exp - entry.iat, lifeMs, cutoffMs);
    return this.#arrivals.accept({ ...entry, lifeMs, since: now, epoch: this.#session.epoch }).stored;
  }

  /** Sign out everywhere (R13). */
  clear(): void {
    this.#presence.stay(true); // so that the other tabs hear it
    if (!this.#session.closed) this.#signOut();
  }

  async close(): Promise<void> {
    if (this.#session.closed) return;
    this.#session.close(); // every pending call rejects `closed` now
    this.#lifecycle.stop();
    this.#stopWork(closedError());
    this.#presence.back(); // work parked for the page's return ends: it sees the close
    await this.#leave();
    this.#ctx.timers.dispose();
  }

  /**
   * A sign-out: here (`remote` undefined), or another tab's, with its epoch; `reason` when the
   * token endpoint said the session is gone (R29: here, or in the tab that fetched).
   */
  #signOut(remote?: number, missed = false, reason?: string): void {
    if (!this.#session.signOut(this.#ctx.clock.now().wall, remote, missed, reason)) return; // that one was applied
    this.#stopWork(clearedError());
    this.#ctx.emit('clear', {
      origin: reason !== undefined ? 'server' : remote === undefined ? 'local' : 'remote',
      reason,
    });
    if (remote === undefined) this.#post('clear', { reason });
  }

  /** Ends what is under way (fetches, questions, waits) and forgets every token and failure. */
  #stopWork(reason: TokenCacheError): void {
    const leaving = this.#session.closed || this.#presence.away;
    this.#asks.endAll('left');
    this.#arrivals.endAll();
    this.#guard.abortAll(reason, leaving);
    this.#ctx.store.clear();
    this.#refresher.clear();
    this.#resolver.forgetNudge();
    this.#answers.clear();
  }

  /** Joins the group (on first use, and back from the back/forward cache): channel, snapshot, election. */
  #join(): void {
    if (this.#session.closed || this.#transport) return;
    const { counters, options } = this.#ctx;
    this.#transport = this.#openTransport(`tab-token-cache:${options.name}`, {
      onMessage: (raw) => this.#inbox.receive(raw),
      onMalformed: () => {
        counters.messagesRejected++;
      },
    });
    this.#post('snapshot-request', {});
    if (this.#canLead) this.#leadership.join();
  }

  /**
   * The page goes (`pagehide`, `freeze`, or `beforeunload` while it holds or waits for a lock):
   * it closes, navigates away, or enters the back/forward cache (R11, R22). Leave the group at
   * once, so that the next leader takes over without waiting for the browser to tear the page
   * down, and no lock or message keeps a cached page out of the cache or evicts it; end what is under way (a fetch, a question: neither turns into a fetch of
   * this tab's); drop the tokens, so that a tab restored after a sign-out elsewhere serves none
   * from before it. Calls pending wait for the page to come back.
   */
  #hide(mayStay = false): void {
    if (this.#session.closed) return;
    if (!mayStay) this.#presence.gone(); // `pagehide` after `beforeunload`: the page goes after all
    if (this.#presence.away) return;
    this.#presence.leave(mayStay);
    this.#stopWork(leftError());
    void this.#leave();
  }

  /** Back (`pageshow` from the back/forward cache, `resume`): rejoin, and the pending calls go on. */
  #show(): void {
    if (this.#session.closed || !this.#presence.away) return;
    this.#join();
    this.#presence.back();
  }

  #leave(): Promise<void> {
    this.#leadership.leave();
    this.#usage.releaseAll();
    this.#guard.releaseKept(true);
    const transport = this.#transport;
    this.#transport = undefined;
    return transport ? transport.close() : Promise.resolve();
  }

  #post: Post = (type, body) => {
    const transport = this.#transport;
    if (!transport || this.#session.closed) return;
    const { options, tabId } = this.#ctx;
    const message = encode({ name: options.name, from: tabId, epoch: this.#session.epoch }, type, body);
    transport.post(message).catch(() => {
      // A channel that cannot post (closing, or a message the browser cannot clone) loses one
      // message; askers fall back after the answer timeout.
    });
  };
}
