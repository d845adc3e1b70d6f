import type { Instant } from '../core/clock.js';
import type { Entry, Reading } from '../core/store.js';
import { clearedError, closedError, type TokenCacheError } from '../errors.js';
import type { WatchLifecycle } from '../platform/lifecycle.js';
import { encode } from '../wire/protocol.js';
import type { OpenTransport, Transport } from '../wire/transport.js';
import { Answers } from './answers.js';
import { Arrivals } from './arrivals.js';
import { Asks } from './asks.js';
import type { Post, SyncContext } from './context.js';
import { FetchGuard } from './fetch-guard.js';
import { Inbox } from './inbox.js';
import { Leadership } from './leadership.js';
import { Refresher } from './refresher.js';
import { Resolver } from './resolver.js';
import { Session } from './session.js';
import { Usage } from './usage.js';

/** A tab's cache and seams, as the facade hands them over. */
export interface CoordinatorDeps extends Omit<SyncContext, 'post' | 'lockName'> {
  readonly openTransport: OpenTransport;
  readonly watchLifecycle: WatchLifecycle;
}

/**
 * One tab's part in the group: wires leadership, the refresher, the fetch guard, questions and
 * answers, the inbox, idle tracking and the sign-out session, and follows the page's lifecycle.
 * It is made on the cache's first use (R19), so a cache that is never used starts nothing.
 */
export class Coordinator {
  readonly #ctx: SyncContext;
  readonly #session = new Session();
  readonly #arrivals: Arrivals;
  readonly #usage: Usage;
  readonly #guard: FetchGuard;
  readonly #leadership: Leadership;
  readonly #refresher: Refresher;
  readonly #asks: Asks;
  readonly #inbox: Inbox;
  readonly #openTransport: OpenTransport;
  readonly #stopLifecycle: () => void;
  #transport: Transport | undefined;
  readonly #resolver: Resolver;

  constructor(deps: CoordinatorDeps) {
    const post: Post = (type, body) => this.#post(type, body);
    const name = deps.options.name;
    const ctx: SyncContext = { ...deps, post, lockName: (part) => `tab-token-cache:${name}:${part}` };
    this.#ctx = ctx;
    this.#openTransport = deps.openTransport;
    this.#arrivals = new Arrivals(ctx, (entry) => {
      this.#resolver.forgetNudge(entry.key);
      this.#refresher.start();
    });
    this.#usage = new Usage(ctx);
    this.#guard = new FetchGuard(ctx, this.#session, this.#arrivals, () => this.#refresher.polling);
    this.#leadership = new Leadership(
      deps.locks,
      ctx.lockName('leader'),
      {
        onLead: () => {
          this.#asks.giveUpAll(); // questions this tab asked a leader are now its own to answer
          deps.emit('leader', { isLeader: true });
          this.#refresher.start();
        },
        onStepDown: () => {
          this.#refresher.stop();
          deps.emit('leader', { isLeader: false });
        },
      },
      deps.clock,
      deps.timing.pollMs,
      ctx.timers,
    );
    this.#refresher = new Refresher(ctx, this.#guard, this.#usage, this.#leadership);
    this.#asks = new Asks(ctx);
    this.#inbox = new Inbox(ctx, {
      session: this.#session,
      arrivals: this.#arrivals,
      asks: this.#asks,
      answers: new Answers(ctx, this.#guard, this.#refresher),
      acting: () => this.#leadership.acting(),
      heardFrom: (key) => {
        this.#refresher.forget(key);
        this.#guard.forget(key);
      },
      signOut: (epoch) => this.#signOut(epoch, 'remote'),
    });
    this.#resolver = new Resolver(ctx, {
      session: this.#session,
      leadership: this.#leadership,
      asks: this.#asks,
      arrivals: this.#arrivals,
      guard: this.#guard,
      refresher: this.#refresher,
    });
    this.#stopLifecycle = deps.watchLifecycle({
      revalidate: () => this.revalidate(),
      hide: () => this.#hide(),
      show: () => this.#join(),
    });
    this.#join();
  }

  get isLeader(): boolean {
    return this.#leadership.isLeader;
  }

  /** A read of `key` in this tab (getToken, peekToken) at `now`: it keeps the key in use (R21). */
  touch(key: string, now: Instant): void {
    this.#usage.touch(key, now);
  }

  /** A servable token for `key` (or a brand-new one with force), fetched once among all tabs. */
  resolve(key: string, force: boolean): Promise<Entry> {
    return this.#resolver.resolve(key, force);
  }

  /** A stale token was served (R2). */
  onStale(key: string, reading: Reading): void {
    this.#resolver.onStale(key, reading);
  }

  /** Visible again or back online (R17): every token that is not fresh is revalidated. */
  revalidate(): void {
    const now = this.#ctx.clock.now();
    for (const key of this.#ctx.store.keys()) {
      const r = this.#ctx.store.read(key, now);
      if (r && r.freshness !== 'fresh') this.#resolver.onStale(key, r, true);
    }
  }

  /** Sign out everywhere (R13). */
  clear(): void {
    if (!this.#session.closed) this.#signOut(0, 'local');
  }

  async close(): Promise<void> {
    if (this.#session.closed) return;
    this.#session.close();
    this.#stopLifecycle();
    this.#interrupt(closedError());
    await this.#leave();
    this.#ctx.timers.dispose();
  }

  #signOut(atLeastEpoch: number, origin: 'local' | 'remote'): void {
    this.#session.signOut(atLeastEpoch);
    this.#ctx.store.clear();
    this.#refresher.clear();
    this.#resolver.forgetNudge();
    this.#interrupt(clearedError());
    this.#ctx.emit('clear', { origin });
    if (origin === 'local') this.#post('clear', {});
  }

  /** Ends every fetch and wait in flight with `error`. */
  #interrupt(error: TokenCacheError): void {
    this.#guard.abortAll(error);
    this.#arrivals.fail(undefined, error);
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
    this.#leadership.join();
  }

  /**
   * The page goes (`pagehide`): it closes, navigates away, or enters the back/forward cache
   * (R11, R22). Leave the group at once, so that the next leader takes over without waiting for
   * the browser to tear the page down, and no lock or message keeps a cached page out of the
   * cache or evicts it; drop the tokens, so that a tab restored after a sign-out elsewhere serves
   * none from before it. Restored, it rejoins and gets them as a snapshot.
   */
  #hide(): void {
    this.#asks.giveUpAll();
    this.#ctx.store.clear();
    this.#resolver.forgetNudge();
    void this.#leave();
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
