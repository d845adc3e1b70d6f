import { type Entry, expiresAt, type TokenStore } from './cache.js';
import type { Clock } from './clock.js';
import { closedError, TokenCacheError } from './errors.js';
import type { Counters, Emit } from './events.js';
import { fetchEntry } from './fetcher.js';
import type { KeyLocks, Release } from './locks.js';
import type { ResolvedOptions } from './options.js';
import { type AskReason, type Message, messenger, validate, type WireToken } from './protocol.js';
import type { Timers } from './timers.js';
import { type TokenClaims, usableLifeMs, verify } from './token.js';
import type { Transport, TransportHandlers } from './transport.js';

export interface CoordinatorDeps {
  readonly options: ResolvedOptions;
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly counters: Counters;
  readonly emit: Emit;
  readonly timers: Timers;
  readonly locks: KeyLocks;
  readonly openTransport: (channelName: string, handlers: TransportHandlers) => Transport;
  readonly tabId: string;
}

/** What a fetch must achieve: a servable token, a fresh one, or a brand-new one (forceRefresh). */
type Need = 'servable' | 'fresh' | 'new';

interface Waiter {
  readonly need: Need;
  resolve(entry: Entry | undefined): void;
  reject(error: TokenCacheError): void;
}

const MAX_BACKOFF_POLLS = 16;

/**
 * Owns leadership and everything that crosses tabs: the channel, the leader's heartbeat and
 * poller, followers' forwarded misses and their watch on the leader, per-key refresh locks, and
 * sign-out generations. The store holds the tokens; this decides who fetches them and when.
 */
export class Coordinator {
  readonly #d: CoordinatorDeps;
  readonly #o: ResolvedOptions;
  readonly #transport: Transport;
  readonly #message: ReturnType<typeof messenger>;
  /** The group's sign-out generation: raised by clear(), adopted from any tab that is ahead. */
  #epoch = 0;
  /** Sign-outs this tab has seen: a fetch that started before one never lands. */
  #generation = 0;
  #leading = false;
  #closed = false;
  #leaderSilent = false;
  #lastHeard: number;
  #heardAny = false;
  #lastTick: number | undefined;
  #lastWatch: number;
  /** A leader back from a freeze refreshes nothing until then (monotonic ms). */
  #quietUntil = 0;
  #stopPoll: (() => void) | undefined;
  readonly #stopWatch: () => void;
  readonly #inflight = new Map<string, Promise<Entry | undefined>>();
  readonly #pending = new Map<string, Promise<Entry>>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  /** Questions to the leader awaiting its acknowledgement: true when it answered, false to give up. */
  readonly #acks = new Map<string, (answered: boolean) => void>();
  readonly #aborts = new Set<AbortController>();
  readonly #kept = new Map<string, { release: Release; timer: ReturnType<typeof setTimeout> }>();
  readonly #failures = new Map<string, { count: number; nextMono: number }>();
  /** The last failed fetch of a key, answered again to followers' misses until the next poll. */
  readonly #recentFailure = new Map<string, { error: TokenCacheError; untilMono: number }>();
  readonly #nudged = new Map<string, number>();
  #seq = 0;

  constructor(deps: CoordinatorDeps) {
    this.#d = deps;
    this.#o = deps.options;
    this.#message = messenger(this.#o.name, deps.tabId);
    this.#lastHeard = deps.clock.now().mono;
    this.#lastWatch = this.#lastHeard;
    this.#transport = deps.openTransport(`tab-token-cache:${this.#o.name}`, {
      onMessage: (data) => this.#onMessage(data),
      onMalformed: () => {
        this.#d.counters.messagesRejected++;
      },
    });
    this.#post('snapshot-request', {});
    this.#transport.awaitLeadership().then(
      () => this.#becomeLeader(),
      () => {}, // the election ends only by close()
    );
    this.#stopWatch = deps.timers.every(Math.max(10, this.#o.pollIntervalMs / 4), () => this.#watch());
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** A servable token for `key` (or a new one with force), fetched once among all tabs. */
  resolve(key: string, force: boolean): Promise<Entry> {
    if (this.#closed) return Promise.reject(closedError());
    const shared = force ? undefined : this.#pending.get(key);
    if (shared) return shared;
    const p = this.#acquire(key, force).finally(() => {
      if (this.#pending.get(key) === p) this.#pending.delete(key);
    });
    if (!force) this.#pending.set(key, p);
    return p;
  }

  /** A stale token was served: get it refreshed in the background, by the leader if one is working. */
  onStale(key: string, entry: Entry): void {
    if (this.#closed) return;
    if (this.#leading || this.#leaderSilent) {
      this.#refresh(key);
      return;
    }
    if (this.#nudged.get(key) === entry.iat) return;
    this.#nudged.set(key, entry.iat);
    this.#post('ask', { id: this.#nextId(), key, reason: 'stale' });
  }

  /** Visible again or back online (R17): every token that is not fresh is revalidated. */
  revalidate(): void {
    const now = this.#d.clock.now();
    for (const key of this.#d.store.keys()) {
      const r = this.#d.store.read(key, now);
      if (r && r.freshness !== 'fresh') {
        this.#nudged.delete(key);
        this.onStale(key, r.entry);
      }
    }
  }

  /** Sign out everywhere (R13). */
  clear(): void {
    if (this.#closed) return;
    this.#applyClear(this.#epoch + 1, 'local');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatch();
    this.#stopPoll?.();
    this.#d.timers.dispose();
    this.#abortAll(closedError());
    for (const { release, timer } of this.#kept.values()) {
      clearTimeout(timer);
      release();
    }
    this.#kept.clear();
    const wasLeader = this.#leading;
    this.#leading = false;
    const closing = this.#transport.close();
    if (wasLeader) this.#d.emit('leader', { isLeader: false });
    await closing;
  }

  // --- leadership -------------------------------------------------------------------------

  #becomeLeader(): void {
    if (this.#closed || this.#leading) return;
    this.#leading = true;
    this.#leaderSilent = false;
    this.#lastTick = undefined;
    this.#d.emit('leader', { isLeader: true });
    // Questions this tab asked a leader are now its own to answer.
    for (const giveUp of this.#acks.values()) giveUp(false);
    this.#stopPoll = this.#d.timers.every(this.#o.pollIntervalMs, () => this.#tick());
    this.#tick();
  }

  /** The leader's poll: a heartbeat, then a refresh of every token that is no longer fresh (R8). */
  #tick(): void {
    if (this.#closed || !this.#leading) return;
    const now = this.#d.clock.now();
    const gap = this.#lastTick === undefined ? 0 : now.mono - this.#lastTick;
    this.#lastTick = now.mono;
    if (gap > 2 * this.#o.pollIntervalMs) {
      // Back from a freeze: the followers kept the tokens fresh meanwhile (R12). Ask for what
      // they hold (before the heartbeat that ends their watch), and refresh nothing for one poll
      // interval, while their answers (and ticks queued during the freeze) arrive.
      this.#post('snapshot-request', {});
      this.#quietUntil = now.mono + this.#o.pollIntervalMs;
    }
    this.#post('heartbeat', {});
    if (now.mono >= this.#quietUntil) this.#refreshAllStale(now);
  }

  /** Followers: notice a leader that holds leadership but does not work (R12). */
  #watch(): void {
    if (this.#closed || this.#leading) return;
    const now = this.#d.clock.now();
    const gap = now.mono - this.#lastWatch;
    this.#lastWatch = now.mono;
    if (gap > this.#o.pollIntervalMs) {
      // This tab was frozen or throttled itself: the silence it saw is its own, not the
      // leader's. Give the leader a fresh window and catch up on the tokens.
      this.#lastHeard = now.mono;
      this.#leaderSilent = false;
      this.#post('snapshot-request', {});
      return;
    }
    this.#leaderSilent = now.mono - this.#lastHeard > 2 * this.#o.pollIntervalMs;
    if (this.#leaderSilent) this.#refreshAllStale(now);
  }

  #heard(): void {
    this.#heardAny = true;
    this.#lastHeard = this.#d.clock.now().mono;
    this.#leaderSilent = false;
  }

  async #leaderReachable(): Promise<boolean> {
    if (this.#leaderSilent) return false;
    if (this.#heardAny && this.#d.clock.now().mono - this.#lastHeard <= 2 * this.#o.pollIntervalMs)
      return true;
    try {
      return await this.#transport.hasLeader();
    } catch {
      return false;
    }
  }

  // --- fetching ---------------------------------------------------------------------------

  async #acquire(key: string, force: boolean): Promise<Entry> {
    if (this.#leading && !force && this.#d.clock.now().mono < this.#quietUntil) {
      // Just back from a freeze: the followers' tokens are on their way.
      const arrived = await this.#waitFor(key, 'servable', this.#o.answerTimeoutMs);
      if (arrived) return arrived;
    }
    // (Leadership may arrive while the question is asked: a lone tab must not wait on itself.)
    if (!this.#leading && (await this.#leaderReachable()) && !this.#leading && !this.#transport.isLeader) {
      const answered = await this.#ask(key, force ? 'force' : 'miss');
      if (answered) return answered;
      // The leader did not answer in time: fetch here (R4's fallback), still once among tabs.
    }
    const entry = await this.#fetchGuarded(key, force ? 'new' : 'servable', true);
    if (!entry) throw this.#checkOpen() ?? noTokenError(key);
    return entry;
  }

  /**
   * The leader fetches for a follower's miss. A failure of the last poll interval is answered
   * again instead: during an outage, N followers asking every second cost the endpoint one try
   * per poll interval, not N per second.
   */
  #fetchForFollower(key: string, force: boolean): Promise<Entry | undefined> {
    const failed = this.#recentFailure.get(key);
    if (!force && failed && this.#d.clock.now().mono < failed.untilMono) return Promise.reject(failed.error);
    return this.#fetchGuarded(key, force ? 'new' : 'servable', true);
  }

  #refreshAllStale(now: ReturnType<Clock['now']>): void {
    for (const key of this.#d.store.keys()) {
      const r = this.#d.store.read(key, now);
      if (r && r.freshness !== 'fresh') this.#refresh(key);
    }
  }

  /** Background refresh with backoff after failures (R5). Errors surface as `error` events. */
  #refresh(key: string): void {
    if (this.#closed || this.#inflight.has(key)) return;
    const failed = this.#failures.get(key);
    const now = this.#d.clock.now();
    // Backoff spares the endpoint while a stale token can still be served; once it cannot,
    // every poll tries again, so the tabs recover within a poll of the endpoint's recovery.
    const servable = this.#d.store.servable(key, now) !== undefined;
    if (failed && servable && now.mono < failed.nextMono) return;
    this.#fetchGuarded(key, 'fresh', false).then(
      () => this.#failures.delete(key),
      (error: unknown) => {
        if (!(error instanceof TokenCacheError) || error.code === 'cleared' || error.code === 'closed')
          return;
        const count = (failed?.count ?? 0) + 1;
        const polls = Math.min(2 ** (count - 1), MAX_BACKOFF_POLLS);
        const poll = this.#o.pollIntervalMs;
        this.#failures.set(key, { count, nextMono: this.#d.clock.now().mono + polls * poll - poll / 2 });
      },
    );
  }

  /**
   * Fetches `key` once in this tab (concurrent calls share one promise) and once among tabs: the
   * fetch runs under a per-key lock taken only if free, and is skipped when the token that
   * arrived meanwhile already meets the need. When another tab holds the lock, a caller that
   * must have a token waits for that tab's broadcast, then fetches itself as a last resort.
   */
  #fetchGuarded(key: string, need: Need, mustAnswer: boolean): Promise<Entry | undefined> {
    const running = this.#inflight.get(key);
    if (running && need !== 'new') return running;
    const p = this.#lockedFetch(key, need, mustAnswer).finally(() => {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    });
    this.#inflight.set(key, p);
    return p;
  }

  async #lockedFetch(key: string, need: Need, mustAnswer: boolean): Promise<Entry | undefined> {
    // A lock this tab still holds from its last fetch of the key is this tab's to reuse.
    const kept = this.#kept.get(key);
    if (kept) {
      clearTimeout(kept.timer);
      this.#kept.delete(key);
    }
    const release =
      kept?.release ?? (await this.#d.locks.tryAcquire(`tab-token-cache:${this.#o.name}:${key}`));
    if (release) {
      try {
        return this.#satisfied(key, need) ?? (await this.#fetchOnce(key));
      } catch (error) {
        // Tabs waiting for this tab's broadcast (the lock told them it was fetching) learn at once.
        if (error instanceof TokenCacheError && error.code !== 'cleared' && error.code !== 'closed') {
          this.#post('ask-failed', { key, code: error.code, message: error.message });
        }
        throw error;
      } finally {
        // Keep the lock a little longer, so the others hold our broadcast before they may take it.
        const timer = setTimeout(() => {
          this.#kept.delete(key);
          release();
        }, this.#o.lockGraceMs);
        this.#kept.set(key, { release, timer });
      }
    }
    if (!mustAnswer) return undefined;
    const arrived = await this.#waitFor(key, need, this.#o.fetchTimeoutMs + this.#o.answerTimeoutMs);
    return arrived ?? (await this.#fetchOnce(key));
  }

  #satisfied(key: string, need: Need): Entry | undefined {
    if (need === 'new') return undefined;
    const r = this.#d.store.read(key, this.#d.clock.now());
    if (!r || r.freshness === 'unservable' || (need === 'fresh' && r.freshness === 'stale')) return undefined;
    return r.entry;
  }

  /** One call of fetchToken. A clear() or close() while it runs drops its token (R13). */
  async #fetchOnce(key: string): Promise<Entry> {
    const closed = this.#checkOpen();
    if (closed) throw closed;
    const generation = this.#generation;
    const controller = new AbortController();
    this.#aborts.add(controller);
    this.#d.counters.fetches++;
    let entry: Entry;
    try {
      entry = await fetchEntry(key, this.#epoch, this.#o, this.#d.clock, controller.signal);
    } catch (error) {
      const interrupted =
        this.#checkOpen() ?? (generation !== this.#generation ? clearedError(key) : undefined);
      if (interrupted) throw interrupted;
      const e = error instanceof TokenCacheError ? error : new TokenCacheError('fetch_failed', String(error));
      this.#recentFailure.set(key, {
        error: e,
        untilMono: this.#d.clock.now().mono + this.#o.pollIntervalMs,
      });
      this.#d.counters.fetchErrors++;
      this.#d.emit('error', { key, error: e });
      throw e;
    } finally {
      this.#aborts.delete(controller);
    }
    const interrupted =
      this.#checkOpen() ?? (generation !== this.#generation ? clearedError(key) : undefined);
    if (interrupted) throw interrupted;
    this.#failures.delete(key);
    this.#recentFailure.delete(key);
    return this.#accept({ ...entry, epoch: this.#epoch }) ?? entry;
  }

  /** Offers a token to the store; announces and broadcasts it if stored. Returns what is servable now. */
  #accept(entry: Entry): Entry | undefined {
    const now = this.#d.clock.now();
    const result = this.#d.store.offer(entry, now);
    if (result === 'stored') {
      this.#nudged.delete(entry.key);
      this.#d.emit('token', {
        key: entry.key,
        token: entry.token,
        source: entry.source,
        expiresAt: expiresAt(entry, now),
      });
      if (entry.source === 'fetch') {
        this.#post('token', this.#wire(entry, now));
        this.#d.counters.broadcastsSent++;
      }
    }
    this.#notify(entry.key, result === 'stored');
    return this.#d.store.servable(entry.key, now);
  }

  #wire(entry: Entry, now = this.#d.clock.now()): WireToken {
    return { key: entry.key, token: entry.token, expiresAt: expiresAt(entry, now) };
  }

  // --- asking the leader ------------------------------------------------------------------

  /** Forwards a miss to the leader. Undefined when it did not answer in time. */
  async #ask(key: string, reason: AskReason): Promise<Entry | undefined> {
    const id = this.#nextId();
    const acked = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.#o.answerTimeoutMs);
      this.#acks.set(id, (answered) => {
        clearTimeout(timer);
        resolve(answered);
      });
    });
    const unanswered = new AbortController();
    const answered = this.#waitFor(
      key,
      reason === 'force' ? 'new' : 'servable',
      this.#o.answerTimeoutMs + this.#o.fetchTimeoutMs + this.#o.answerTimeoutMs,
      unanswered.signal,
    );
    this.#post('ask', { id, key, reason });
    try {
      return await Promise.race([answered, acked.then((ok) => (ok ? answered : undefined))]);
    } finally {
      this.#acks.delete(id);
      unanswered.abort(); // a waiter left behind would outlive the question
    }
  }

  /** Resolves when a token for `key` that meets the need is stored here, or undefined after `ms`. */
  #waitFor(key: string, need: Need, ms: number, cancel?: AbortSignal): Promise<Entry | undefined> {
    return new Promise<Entry | undefined>((resolve, reject) => {
      let set = this.#waiters.get(key);
      if (!set) {
        set = new Set();
        this.#waiters.set(key, set);
      }
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
      };
      const waiter: Waiter = {
        need,
        resolve: (entry) => {
          done();
          resolve(entry);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const timer = setTimeout(() => waiter.resolve(undefined), ms);
      cancel?.addEventListener('abort', () => waiter.resolve(undefined), { once: true });
      waiters.add(waiter);
    });
  }

  #notify(key: string, stored: boolean): void {
    const waiters = this.#waiters.get(key);
    if (!waiters) return;
    const entry = this.#d.store.servable(key, this.#d.clock.now());
    if (!entry) return;
    for (const w of [...waiters]) if (stored || w.need !== 'new') w.resolve(entry);
  }

  #rejectWaiters(key: string | undefined, error: TokenCacheError): void {
    const sets = key === undefined ? [...this.#waiters.values()] : [this.#waiters.get(key)];
    for (const set of sets) for (const w of [...(set ?? [])]) w.reject(error);
  }

  // --- the channel ------------------------------------------------------------------------

  #post<T extends Message['type']>(type: T, body: object): void {
    if (this.#closed) return;
    const message = this.#message(this.#epoch, { type, ...body } as never);
    this.#transport.post(message).catch(() => {
      // A channel that cannot post (closing, or a message the browser cannot clone) loses one
      // message; the poller and the followers' fallbacks recover from that.
    });
  }

  #onMessage(raw: unknown): void {
    if (this.#closed) return;
    const v = validate(raw, this.#o.name);
    if (!v.ok) {
      this.#d.counters.messagesRejected++;
      return;
    }
    const m = v.message;
    if (m.from === this.#d.tabId) return;
    if (m.type === 'clear') {
      // Every clear signs this tab out, even from a tab that had not caught up with the group's
      // generation: this tab's generation only ever rises, past both.
      this.#applyClear(Math.max(this.#epoch + 1, m.epoch), 'remote');
      return;
    }
    // A tab ahead of us saw a sign-out that happened before this tab existed: adopt its generation.
    if (m.epoch > this.#epoch) this.#epoch = m.epoch;
    switch (m.type) {
      case 'heartbeat':
        this.#heard();
        return;
      case 'snapshot-request':
        if (this.#leading || this.#leaderSilent) this.#sendSnapshot(m.from);
        return;
      case 'ask':
        this.#onAsk(m.from, m.id, m.key, m.reason);
        return;
      case 'ack':
        if (m.to === this.#d.tabId) {
          this.#heard();
          this.#acks.get(m.id)?.(true);
        }
        return;
      case 'ask-failed':
        this.#rejectWaiters(m.key, new TokenCacheError(m.code, m.message));
        return;
      case 'token':
        void this.#receive(m.epoch, [m], v.claims, 'broadcast');
        return;
      case 'snapshot':
        if (m.to !== this.#d.tabId) return;
        this.#heard();
        void this.#receive(m.epoch, m.tokens, v.claims, 'snapshot');
        return;
    }
  }

  #sendSnapshot(to: string, keys = this.#d.store.keys()): void {
    const now = this.#d.clock.now();
    const tokens: WireToken[] = [];
    for (const key of keys) {
      const entry = this.#d.store.servable(key, now);
      if (entry) tokens.push(this.#wire(entry, now));
    }
    this.#post('snapshot', { to, tokens });
  }

  /** The leader answers a follower's question about a key. */
  #onAsk(from: string, id: string, key: string, reason: AskReason): void {
    if (!this.#leading) return;
    this.#post('ack', { to: from, id });
    const r = this.#d.store.read(key, this.#d.clock.now());
    if (reason !== 'force' && r && r.freshness !== 'unservable') {
      this.#sendSnapshot(from, [key]);
      if (r.freshness === 'stale') this.#refresh(key);
      return;
    }
    if (reason === 'stale') {
      this.#refresh(key);
      return;
    }
    this.#fetchForFollower(key, reason === 'force').then(
      (entry) => {
        if (entry) this.#sendSnapshot(from, [key]);
      },
      (error: unknown) => {
        if (!(error instanceof TokenCacheError) || error.code === 'closed') return;
        this.#post('ask-failed', { key, code: error.code, message: error.message });
      },
    );
  }

  /** Applies tokens from another tab: validated, verified, never from before a sign-out. */
  async #receive(
    epoch: number,
    tokens: readonly WireToken[],
    claims: readonly TokenClaims[],
    source: 'broadcast' | 'snapshot',
  ): Promise<void> {
    if (epoch < this.#epoch) return; // from before a sign-out this tab has seen
    const generation = this.#generation;
    for (const [i, wire] of tokens.entries()) {
      const c = claims[i];
      if (!c) continue;
      if (this.#o.verifyToken) {
        try {
          await verify(wire.token, wire.key, this.#o.verifyToken);
        } catch {
          this.#d.counters.messagesRejected++;
          continue;
        }
        if (this.#closed || generation !== this.#generation) return;
      }
      const now = this.#d.clock.now();
      const lifeMs = Math.min(wire.expiresAt - now.wall, usableLifeMs(c));
      if (source === 'broadcast') this.#d.counters.broadcastsReceived++;
      if (lifeMs <= this.#o.cutoffMs) continue;
      this.#failures.delete(wire.key);
      this.#accept({
        key: wire.key,
        token: wire.token,
        iat: c.iat,
        exp: c.exp,
        lifeMs,
        since: now,
        epoch,
        source,
      });
    }
  }

  #applyClear(epoch: number, origin: 'local' | 'remote'): void {
    // Saturates: a generation past what every tab accepts would make this tab's clears unheard.
    this.#epoch = Math.min(epoch, Number.MAX_SAFE_INTEGER);
    this.#generation++;
    this.#d.store.clear();
    this.#failures.clear();
    this.#recentFailure.clear();
    this.#nudged.clear();
    this.#abortAll(clearedError());
    this.#d.emit('clear', { origin });
    if (origin === 'local') this.#post('clear', {});
  }

  #abortAll(error: TokenCacheError): void {
    for (const controller of this.#aborts) controller.abort(error);
    this.#aborts.clear();
    this.#rejectWaiters(undefined, error);
  }

  #checkOpen(): TokenCacheError | undefined {
    return this.#closed ? closedError() : undefined;
  }

  #nextId(): string {
    this.#seq++;
    return `${this.#d.tabId}.${this.#seq}`;
  }
}

function clearedError(key?: string): TokenCacheError {
  return new TokenCacheError(
    'cleared',
    `clear() signed out every tab while ${key ? `the token for key "${key}"` : 'this call'} was on its way; its token was dropped. Sign in again, then call getToken`,
  );
}

function noTokenError(key: string): TokenCacheError {
  return new TokenCacheError('fetch_failed', `No token could be obtained for key "${key}"`);
}
