import { enforceOptions } from 'broadcast-channel';
import { afterEach, beforeEach, vi } from 'vitest';
import { createTokenCacheWith, type Internals, type TokenCache } from '../src/create.js';
import type { TokenCacheOptions } from '../src/options.js';
import type { Locks } from '../src/platform/locks.js';
import { memoryLocks } from '../src/platform/memory-locks.js';
import { libraryTransport } from '../src/wire/library-transport.js';

/** An unsigned JWT-shaped token: the library decodes, it does not verify (verifyToken does). */
export function makeJwt(claims: Record<string, unknown>): string {
  const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.c2ln`;
}

export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}

/**
 * A token server on the fake clock. `skewMs` puts the server's clock ahead of (or behind) this
 * machine's; `latencyMs` delays answers; `mode` makes it fail or answer garbage.
 */
export class FakeServer {
  ttlSeconds = 60;
  skewMs = 0;
  latencyMs = 0;
  mode: 'ok' | 'fail' | 'garbage' | 'no-exp' | 'hang' = 'ok';
  requests = 0;
  byKey = new Map<string, number>();
  private n = 0;

  issue(key: string, iat = Math.floor((Date.now() + this.skewMs) / 1000)): string {
    this.n++;
    return makeJwt({ sub: 'user_1', key, iat, exp: iat + this.ttlSeconds, jti: `jti-${this.n}` });
  }

  fetchToken = async (key: string, { signal }: { signal: AbortSignal }): Promise<string> => {
    this.requests++;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
    const mode = this.mode;
    if (mode === 'hang') return new Promise<string>(() => {});
    if (this.latencyMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.latencyMs);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(signal.reason);
        });
      });
    }
    if (mode === 'fail') throw new Error('503 Service Unavailable');
    if (mode === 'garbage') return 'not-a-jwt';
    if (mode === 'no-exp') return makeJwt({ sub: 'user_1', key, iat: Math.floor(Date.now() / 1000) });
    return this.issue(key);
  };
}

/** Fake timers (Date and performance too) and broadcast-channel's in-process transport. */
export function useSimulatedTabs(): {
  open(options?: Partial<TokenCacheOptions>, internals?: Internals): TokenCache;
  server: FakeServer;
  /** The lock manager the tabs of this test share (their browser's `navigator.locks`). */
  locks: Locks;
} {
  const caches: TokenCache[] = [];
  const ctx = {
    server: new FakeServer(),
    locks: memoryLocks(),
    open(options: Partial<TokenCacheOptions> = {}, internals: Internals = {}): TokenCache {
      const cache = createTokenCacheWith(
        { name: 'test', fetchToken: ctx.server.fetchToken, ...options } as TokenCacheOptions,
        { locks: ctx.locks, openTransport: libraryTransport, ...internals },
      );
      caches.push(cache);
      return cache;
    },
  };
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    enforceOptions({ type: 'simulate' });
    ctx.server = new FakeServer();
    ctx.locks = memoryLocks();
    caches.length = 0;
  });
  afterEach(async () => {
    const closing = Promise.all(caches.map((c) => c.close()));
    await vi.advanceTimersByTimeAsync(2_000);
    await closing;
    enforceOptions(null);
    vi.useRealTimers();
  });
  return ctx;
}

/** Lets `ms` of fake time pass, running every timer and the promises they settle. */
export async function pass(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Settles what is due now without letting time pass: a call that waits on a fetch or a timer stays pending. */
export async function settledNow<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  const state: { done: boolean; value?: T } = { done: false };
  p.then((value) => {
    state.done = true;
    state.value = value;
  });
  await pass(0);
  return state;
}
