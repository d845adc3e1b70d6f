import { createNanoEvents, type Unsubscribe } from 'nanoevents';
import type { TokenFetchInit } from './authorized-fetch.js';
import { type Clock, systemClock } from './core/clock.js';
import { TokenStore } from './core/store.js';
import { closedError, invalidOptions, type TokenCacheError } from './errors.js';
import { type Counters, type Emit, type TokenCacheEvents, zeroCounters } from './events.js';
import { type ResolvedOptions, resolveOptions, type TokenCacheOptions } from './options.js';
import { type WatchLifecycle, watchLifecycle } from './platform/lifecycle.js';
import { defaultLocks, type Locks } from './platform/locks.js';
import { inServiceWorker } from './platform/scope.js';
import { createTimers, type Timers } from './platform/timers.js';
import { timingOf } from './rules.js';
import { Coordinator } from './sync/coordinator.js';
import { MAX_KEY_LENGTH } from './wire/protocol.js';
import { type OpenTransport, openTransport } from './wire/transport.js';

export interface GetTokenOptions {
  /** Skip the cache and wait for a brand-new token. */
  forceRefresh?: boolean;
}

export interface TokenCacheStats extends Counters {
  isLeader: boolean;
  /** Keys this tab holds a token for. */
  keys: number;
}

export interface TokenCache {
  getToken(key?: string, options?: GetTokenOptions): Promise<string>;
  peekToken(key?: string): string | null;
  clear(): void;
  on<E extends keyof TokenCacheEvents>(event: E, handler: TokenCacheEvents[E]): Unsubscribe;
  readonly isLeader: boolean;
  /** The options this cache runs with, every default filled in (frozen). */
  readonly options: ResolvedOptions;
  /** `fetch` with `Authorization: Bearer <token>`, one retry with a new token on 401 (R25). */
  fetch(input: RequestInfo | URL, init?: TokenFetchInit): Promise<Response>;
  /**
   * A token the app already has (rendered by its server into the page, R31): checked like a
   * fetched one, kept and shared with the other tabs unless a newer one is held. Resolves true
   * when kept; rejects with the TokenCacheError of a bad token.
   */
  seed(key: string, jwt: string): Promise<boolean>;
  stats(): TokenCacheStats;
  close(): Promise<void>;
}

/** The seams of a cache: what tests replace to drive it without a browser. */
export interface Internals {
  clock?: Clock;
  timers?: Timers;
  locks?: Locks;
  openTransport?: OpenTransport;
  watchLifecycle?: WatchLifecycle;
  tabId?: string;
  /** False: this member never leads (a service worker, R32). */
  canLead?: boolean;
}

const DEFAULT_KEY = 'default';

function randomId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function checkKey(key: unknown): TokenCacheError | undefined {
  if (typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH) return undefined;
  return invalidOptions(`key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
}

/**
 * The facade: validates the call, serves from the store when it can (R1, R2) and hands the rest
 * to the coordinator, which it makes on first use (R19): creating a cache starts nothing.
 */
export function createTokenCacheWith(input: TokenCacheOptions, internals: Internals = {}): TokenCache {
  const options = resolveOptions(input);
  const timing = timingOf(options);
  const clock = internals.clock ?? systemClock;
  const store = new TokenStore({ leewayMs: timing.leewayMs, cutoffMs: timing.cutoffMs });
  const counters = zeroCounters();
  const emitter = createNanoEvents<TokenCacheEvents>();
  /** Errors already emitted, so that tokens.fetch reports a failure once. */
  const emittedErrors = new WeakSet<TokenCacheError>();
  const emit: Emit = (event, ...args) => {
    if (event === 'error') emittedErrors.add((args[0] as Parameters<TokenCacheEvents['error']>[0]).error);
    try {
      emitter.emit(event, ...args);
    } catch (error) {
      // A throwing handler must not break the cache; report it where the platform can.
      (globalThis as { reportError?: (e: unknown) => void }).reportError?.(error);
    }
  };
  let coordinator: Coordinator | undefined;
  let closed = false;
  const started = (): Coordinator => {
    coordinator ??= new Coordinator({
      options,
      timing,
      store,
      clock,
      counters,
      emit,
      timers: internals.timers ?? createTimers(),
      locks: internals.locks ?? defaultLocks(),
      openTransport: internals.openTransport ?? openTransport,
      watchLifecycle: internals.watchLifecycle ?? watchLifecycle,
      tabId: internals.tabId ?? randomId(),
      canLead: internals.canLead ?? !inServiceWorker(),
    });
    return coordinator;
  };

  /** Why a call with `key` is refused before it starts: the cache is closed, or the key is bad. */
  const refuse = (key: unknown): TokenCacheError | undefined => (closed ? closedError() : checkKey(key));

  const cache: TokenCache = {
    getToken(key = DEFAULT_KEY, opts = {}) {
      const refused = refuse(key);
      if (refused) return Promise.reject(refused);
      const c = started();
      const now = clock.now();
      c.touch(key, now);
      const force = opts.forceRefresh === true;
      if (!force) {
        const r = store.read(key, now);
        if (r?.freshness === 'fresh') {
          counters.hits++;
          return Promise.resolve(r.entry.token);
        }
        if (r?.freshness === 'stale') {
          counters.staleHits++;
          c.onStale(key, r);
          return Promise.resolve(r.entry.token);
        }
        counters.misses++;
      }
      return c.resolve(key, force).then((entry) => entry.token);
    },
    peekToken(key = DEFAULT_KEY) {
      if (closed || checkKey(key)) return null;
      const c = started();
      const now = clock.now();
      c.touch(key, now);
      const r = store.read(key, now);
      if (!r || r.freshness === 'unservable') return null;
      if (r.freshness === 'stale') c.onStale(key, r);
      return r.entry.token;
    },
    clear() {
      if (!closed) started().clear();
    },
    seed(key, jwt) {
      const refused = refuse(key);
      if (refused) return Promise.reject(refused);
      return started().seed(key, jwt);
    },
    on(event, handler) {
      return emitter.on(event, handler);
    },
    get isLeader() {
      return coordinator?.isLeader ?? false;
    },
    options,
    stats() {
      return { ...counters, isLeader: coordinator?.isLeader ?? false, keys: store.size };
    },
    // Loaded on the first call: a page that never calls it never loads it.
    async fetch(input, init) {
      if (closed) throw closedError();
      const interrupted = started().mark(init?.tokenKey ?? DEFAULT_KEY);
      const { authorizedFetch } = await import('./authorized-fetch.js');
      // A sign-out or close() while the code loaded overtook this call (R13): no token from after it.
      const stop = interrupted();
      if (stop) throw stop;
      return authorizedFetch(
        {
          getToken: (key, options) => cache.getToken(key, options),
          reportError: (key, error) => {
            if (!emittedErrors.has(error)) emit('error', { key, error });
          },
        },
        input,
        init,
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      store.clear();
      await coordinator?.close();
    },
  };
  return cache;
}
