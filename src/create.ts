import { createNanoEvents, type Unsubscribe } from 'nanoevents';
import { TokenStore } from './cache.js';
import { type Clock, systemClock } from './clock.js';
import { Coordinator } from './coordinator.js';
import { onRevalidateMoment } from './environment.js';
import { closedError, TokenCacheError } from './errors.js';
import { type Counters, type Emit, type TokenCacheEvents, zeroCounters } from './events.js';
import { defaultLocks, type KeyLocks } from './locks.js';
import { resolveOptions, type TokenCacheOptions } from './options.js';
import { MAX_KEY_LENGTH } from './protocol.js';
import { createTimers, type Timers } from './timers.js';
import { openTransport, type Transport, type TransportHandlers } from './transport.js';

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
  stats(): TokenCacheStats;
  close(): Promise<void>;
}

/** The seams of a cache: what tests replace to drive it without a browser. */
export interface Internals {
  clock?: Clock;
  timers?: Timers;
  locks?: KeyLocks;
  openTransport?: (channelName: string, handlers: TransportHandlers) => Transport;
  tabId?: string;
}

const DEFAULT_KEY = 'default';

function randomId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function checkKey(key: unknown): TokenCacheError | undefined {
  if (typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH) return undefined;
  return new TokenCacheError(
    'invalid_options',
    `key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`,
  );
}

export function createTokenCacheWith(options: TokenCacheOptions, internals: Internals = {}): TokenCache {
  const o = resolveOptions(options);
  const clock = internals.clock ?? systemClock;
  const store = new TokenStore({ leewayMs: o.leewayMs, cutoffMs: o.cutoffMs });
  const counters = zeroCounters();
  const emitter = createNanoEvents<TokenCacheEvents>();
  const emit: Emit = (event, ...args) => {
    try {
      emitter.emit(event, ...args);
    } catch (error) {
      // A throwing handler must not break the cache; report it where the platform can.
      (globalThis as { reportError?: (e: unknown) => void }).reportError?.(error);
    }
  };
  const coordinator = new Coordinator({
    options: o,
    store,
    clock,
    counters,
    emit,
    timers: internals.timers ?? createTimers(),
    locks: internals.locks ?? defaultLocks(),
    openTransport: internals.openTransport ?? openTransport,
    tabId: internals.tabId ?? randomId(),
  });
  const stopRevalidate = onRevalidateMoment(() => coordinator.revalidate());
  let closed = false;

  return {
    getToken(key = DEFAULT_KEY, opts = {}) {
      if (closed) return Promise.reject(closedError());
      const bad = checkKey(key);
      if (bad) return Promise.reject(bad);
      if (!opts.forceRefresh) {
        const r = store.read(key, clock.now());
        if (r?.freshness === 'fresh') {
          counters.hits++;
          return Promise.resolve(r.entry.token);
        }
        if (r?.freshness === 'stale') {
          counters.staleHits++;
          coordinator.onStale(key, r.entry);
          return Promise.resolve(r.entry.token);
        }
        counters.misses++;
      }
      return coordinator.resolve(key, opts.forceRefresh === true).then((entry) => entry.token);
    },
    peekToken(key = DEFAULT_KEY) {
      if (closed || checkKey(key)) return null;
      const r = store.read(key, clock.now());
      if (!r || r.freshness === 'unservable') return null;
      if (r.freshness === 'stale') coordinator.onStale(key, r.entry);
      return r.entry.token;
    },
    clear() {
      coordinator.clear();
    },
    on(event, handler) {
      return emitter.on(event, handler);
    },
    get isLeader() {
      return coordinator.isLeader;
    },
    stats() {
      return { ...counters, isLeader: coordinator.isLeader, keys: store.size };
    },
    async close() {
      if (closed) return;
      closed = true;
      stopRevalidate();
      store.clear();
      await coordinator.close();
    },
  };
}
