import { createTokenCacheWith } from '../../src/create.js';
import { TokenCacheError } from '../../src/errors.js';
import type { Locks } from '../../src/platform/locks.js';
import { memoryLocks } from '../../src/platform/memory-locks.js';
import { claimsOf } from '../helpers.js';
import { Bus } from './bus.js';
import { Endpoint } from './endpoint.js';
import { checkHanded, checkNotBeforeClear, checkRequest } from './event-checks.js';
import { CALL_BOUND_MS } from './invariants.js';
import { TabRuntime } from './tab-runtime.js';
import type { Call, CallKind, Clear, Tab } from './types.js';

export type { Call, CallKind, Clear, Tab } from './types.js';

/** The options every simulated tab runs with (fast, so that schedules cross many token lives). */
export const SIM_OPTIONS = {
  name: 'sim',
  pollIntervalMs: 1_000,
  refreshLeewaySeconds: 4,
  hardCutoffSeconds: 1,
  fetchTimeoutMs: 3_000,
  idleTimeoutSeconds: 15,
} as const;

/**
 * The simulated browser: one origin's tabs sharing a lock manager and a channel, one token
 * endpoint, one fake clock (vitest's); and the record of every call, token and sign-out that the
 * invariants are checked against.
 */
export class World {
  readonly locks: Locks = memoryLocks();
  readonly bus = new Bus(2);
  readonly tabs: Tab[] = [];
  readonly calls: Call[] = [];
  readonly clears: Clear[] = [];
  readonly endpoint: Endpoint;
  readonly exclusive: boolean;
  readonly violations: string[] = [];
  /** Every message on the channel: who sent it, what type, when. */
  readonly posted: { from: string | undefined; type: string; at: number }[] = [];
  /** When something happened to the group (a page's fate, a leader change, a sign-out, a peer). */
  readonly disruptions: number[] = [];
  /** Questions another script on the channel asked (a peer's force), and every peekToken. */
  readonly peerAsks: { key: string; seq: number; at: number }[] = [];
  readonly peeks: { tab: string; key: string; at: number }[] = [];
  /** When each tab was hung or away. */
  readonly pauses: { tab: string; from: number; to: number }[] = [];
  /** The latest epoch and token message a tab posted: what a peer on the channel sees. */
  lastEpoch = 0;
  lastToken: unknown;
  /** Each time a tab learned of a sign-out (a clear message, a clear event), in step order. */
  readonly learnings: { tab: string; seq: number }[] = [];
  /** Which clear each sign-out epoch on the channel stands for. */
  readonly #clearOfEpoch = new Map<number, number>();
  /** Which clear each server sign-out (R29) stands for, by the reason the endpoint gave. */
  readonly #clearOfReason = new Map<string, number>();
  /** Seeded tokens refused for a reason the rules do not allow (R31). */
  readonly seedRefusals: string[] = [];
  /** Every seed (R31): a key the app gave a token for, which may be refreshed after it. */
  readonly seeds: { tab: string; key: string; seq: number; at: number }[] = [];
  #seq = 0;

  constructor(exclusive: boolean) {
    this.exclusive = exclusive;
    this.endpoint = new Endpoint(() => this.nextSeq());
    const isClear = (data: unknown) => (data as { type?: unknown } | null)?.type === 'clear';
    const epochOf = (data: unknown) => Number((data as { epoch?: unknown } | null)?.epoch);
    this.bus.onPost = (from, data) => {
      this.posted.push({ from, type: String((data as { type?: unknown }).type), at: this.now });
      if (from !== undefined) this.lastEpoch = Math.max(this.lastEpoch, epochOf(data));
      if ((data as { type?: unknown }).type === 'token') this.lastToken = data;
      if (!isClear(data)) return undefined;
      const seq = [...this.clears].reverse().find((c) => c.tab === from)?.seq;
      if (seq !== undefined) this.#clearOfEpoch.set(epochOf(data), seq);
      return seq;
    };
    this.endpoint.onRequest = (request) => {
      if (process.env.SIM_TRACE)
        console.log(`#${request.seq} ${request.tab} '${request.key}' at ${request.startedAt % 100_000}`);
      checkRequest(this, request);
    };
    // The endpoint said the session is gone (R29): a sign-out of the group, made by that tab.
    this.endpoint.onRevoked = (request) => {
      this.#clearOfReason.set(`revoked #${request.seq}`, this.#signedOut(request.tab));
    };
    this.bus.onDeliver = ({ to, data, tag }) => {
      const tab = this.tabs.find((t) => t.id === to);
      if (!tab) return;
      if (process.env.SIM_TRACE)
        console.log(`${to} <- ${(data as { type: string }).type} at ${this.now % 100_000}`);
      tab.heardEpoch = epochOf(data);
      // A message tells of the sign-out its epoch stands for (a clear, or a tab that knows one).
      const told = typeof tag === 'number' ? tag : this.#clearOfEpoch.get(tab.heardEpoch);
      if (told !== undefined) this.#learn(tab, told);
    };
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  get now(): number {
    return Date.now();
  }

  /**
   * Opens a tab; `seed`: its page arrives with a token for that key, minted by the app's server
   * `ageMs` before (R31).
   */
  open(seed?: { key: string; ageMs: number }): Tab {
    const id = `t${this.tabs.length + 1}`;
    const runtime = new TabRuntime();
    // Each page's monotonic clock starts when it opens (its own time origin).
    const origin = performance.now();
    const cache = createTokenCacheWith(
      {
        ...SIM_OPTIONS,
        fetchToken: this.endpoint.fetchTokenFor(id, runtime),
        exclusiveFetch: this.exclusive,
      },
      {
        tabId: id,
        clock: { now: () => ({ wall: Date.now(), mono: performance.now() - origin }) },
        locks: runtime.locks(this.locks),
        timers: runtime.timers(),
        openTransport: this.bus.transportFor(id, runtime),
        watchLifecycle: runtime.watchLifecycle,
      },
    );
    const tab: Tab = {
      id,
      runtime,
      cache,
      state: 'open',
      cacheClosed: false,
      knownClear: 0, // a tab opened after a sign-out learns of it from the group
      learned: 0,
      heardEpoch: 0,
      awayClears: [],
      resumedAt: 0,
      clearEvents: 0,
      tokenEvents: [],
      identityEvents: [],
    };
    cache.on('identity', ({ current }) => tab.identityEvents.push(current));
    cache.on('token', ({ token, key }) => {
      tab.tokenEvents.push({ token, key, seq: this.nextSeq() });
      checkNotBeforeClear(this, tab, token, 'stored (token event)');
    });
    if (process.env.SIM_TRACE) {
      cache.on('leader', ({ isLeader }) => console.log(`${id} leader=${isLeader} at ${this.now % 100_000}`));
      cache.on('token', ({ token, source }) =>
        console.log(`${id} token ${claimsOf(token).jti} ${source} at ${this.now % 100_000}`),
      );
      cache.on('clear', ({ origin }) => console.log(`${id} clear ${origin} at ${this.now % 100_000}`));
      cache.on('error', ({ key, error }) =>
        console.log(`${id} error '${key}' ${error.message} at ${this.now % 100_000}`),
      );
    }
    cache.on('leader', () => this.disruptions.push(this.now));
    cache.on('clear', ({ origin, reason }) => {
      tab.clearEvents++;
      // Its own clear, or the one the message it is handling knows of (a clear, or news of a missed one).
      const seq =
        origin === 'local'
          ? this.clears.at(-1)?.seq
          : origin === 'server'
            ? this.#clearOfReason.get(reason ?? '')
            : this.#clearOfEpoch.get(tab.heardEpoch);
      this.#learn(tab, seq ?? 0);
    });
    this.tabs.push(tab);
    if (seed) this.seed(tab, seed.key, seed.ageMs);
    cache.peekToken(); // joins the group
    return tab;
  }

  /**
   * The app in `tab` hands its cache a token its server minted `ageMs` ago (R31). It may be
   * refused only as too old, or for a sign-out or close() that overtook it.
   */
  seed(tab: Tab, key: string, ageMs: number): void {
    const jwt = this.endpoint.mint(key, ageMs);
    this.seeds.push({ tab: tab.id, key, seq: this.nextSeq(), at: this.now });
    // The app's news: a token from elsewhere, which may be due for a refresh soon (it counts from
    // the page's start) whatever the endpoint just answered.
    this.disruptions.push(this.now);
    tab.cache.seed(key, jwt).catch((error: unknown) => {
      const code = error instanceof TokenCacheError ? error.code : String(error);
      if (!['token_ttl_too_short', 'cleared', 'signed_out', 'closed'].includes(code))
        this.seedRefusals.push(`R31 ${tab.id} seed('${key}') refused: ${code}`);
    });
  }

  /** A call of the public API in `tab`, recorded from start to end. */
  call(tab: Tab, kind: CallKind, key: string): void {
    const call: Call = {
      id: this.calls.length,
      tab,
      kind,
      key,
      seq: this.nextSeq(),
      startedAt: this.now,
      pausedMs: 0,
      learnedAtStart: tab.learned,
    };
    this.calls.push(call);
    const p =
      kind === 'fetch'
        ? tab.cache.getToken(key) // tokens.fetch is getToken plus a header; its retry is unit-tested
        : tab.cache.getToken(key, { forceRefresh: kind === 'force' });
    p.then(
      (token) => this.#settle(call, token, undefined),
      (error: unknown) =>
        this.#settle(call, undefined, error instanceof TokenCacheError ? error.code : String(error)),
    );
  }

  peek(tab: Tab, key: string): void {
    this.peeks.push({ tab: tab.id, key, at: this.now });
    const token = tab.cache.peekToken(key);
    if (token !== null) checkHanded(this, tab, token, `peekToken('${key}')`);
  }

  clear(tab: Tab): void {
    this.#signedOut(tab.id);
    tab.cache.clear();
  }

  /** Records a sign-out made by tab `tabId` (a clear(), or the endpoint's `signedOut`); its seq. */
  #signedOut(tabId: string): number {
    const c: Clear = { seq: this.nextSeq(), tab: tabId, at: this.now };
    this.disruptions.push(this.now);
    this.clears.push(c);
    for (const t of this.tabs) if (t.state === 'away') t.awayClears.push(c.seq);
    return c.seq;
  }

  /** The tab stops running (hung, or in the back/forward cache): its calls' clocks stop. */
  pause(tab: Tab): void {
    tab.pausedAt ??= this.now;
  }

  resume(tab: Tab): void {
    if (tab.pausedAt === undefined) return;
    const paused = this.now - tab.pausedAt;
    for (const call of this.calls)
      if (call.tab === tab && call.settledAt === undefined) call.pausedMs += paused;
    this.pauses.push({ tab: tab.id, from: tab.pausedAt, to: this.now });
    tab.pausedAt = undefined;
    tab.resumedAt = this.now;
  }

  /** True while `tabId` was hung or away at fake time `at` (or is now, and `at` is past its pause). */
  pausedAt(tabId: string, at: number): boolean {
    const tab = this.tabs.find((t) => t.id === tabId);
    if (tab?.pausedAt !== undefined && at >= tab.pausedAt) return true;
    return this.pauses.some((p) => p.tab === tabId && at >= p.from && at <= p.to);
  }

  #learn(tab: Tab, seq: number): void {
    tab.learned++;
    this.learnings.push({ tab: tab.id, seq: this.nextSeq() });
    tab.knownClear = Math.max(tab.knownClear, seq);
  }

  #settle(call: Call, token: string | undefined, error: string | undefined): void {
    call.settledAt = this.now;
    if (call.tab.pausedAt !== undefined) call.pausedMs += this.now - call.tab.pausedAt;
    call.token = token;
    call.error = error;
    call.learnedAtEnd = call.tab.learned;
    // I3 at the moment it settles too (a long step would hide a call that settled late).
    const ran = call.settledAt - call.startedAt - call.pausedMs;
    if (ran > CALL_BOUND_MS + 20)
      this.violations.push(
        `I3 ${call.tab.id} ${call.kind}('${call.key}') #${call.id} settled after ${ran} ms`,
      );
    if (token) checkHanded(this, call.tab, token, `${call.kind}('${call.key}') #${call.id}`);
  }
}
