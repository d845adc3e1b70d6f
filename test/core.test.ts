import { describe, expect, it, vi } from 'vitest';
import { TokenCacheError } from '../src/index.js';
import { across } from './group.js';
import { claimsOf, pass, settledNow, useSimulatedTabs } from './helpers.js';

const tabs = useSimulatedTabs();

/** A lone tab after its first getToken: it started on that call, fetched, and leads. */
async function leaderWithToken(options = {}) {
  const cache = tabs.open(options);
  const token = await cache.getToken();
  await pass(0);
  expect(cache.isLeader).toBe(true);
  return { cache, token };
}

describe('R1-R3: fresh, stale, unservable', () => {
  it('serves a fresh token from memory with no fetch', async () => {
    const { cache, token } = await leaderWithToken();
    await pass(20_000);
    expect(await cache.getToken()).toBe(token);
    expect(tabs.server.requests).toBe(1);
    expect(cache.stats()).toMatchObject({ fetches: 1, hits: 1, misses: 1 });
  });

  it('serves a stale token at once, refreshes it exactly once in the background, then serves the new one', async () => {
    const { cache, token } = await leaderWithToken();
    tabs.server.latencyMs = 1_000;
    await pass(45_000); // 59 s usable, leeway 15 s: stale from 44 s; the poll at 45 s starts the refresh
    expect(tabs.server.requests).toBe(2);
    const calls = await Promise.all([1, 2, 3].map(() => settledNow(cache.getToken())));
    for (const c of calls) expect(c).toEqual({ done: true, value: token });
    expect(tabs.server.requests).toBe(2);
    await pass(1_000);
    const fresh = await cache.getToken();
    expect(fresh).not.toBe(token);
    await pass(10_000);
    expect(await cache.getToken()).toBe(fresh);
    expect(tabs.server.requests).toBe(2);
    expect(cache.stats().staleHits).toBe(3);
  });

  it('keeps serving the stale token when a background refresh fails, emits error and retries at the next poll', async () => {
    // Leeway 30 s: stale from 29 s, unservable from 54 s (59 s usable, cutoff 5 s).
    const { cache, token } = await leaderWithToken({ refreshLeewaySeconds: 30 });
    const errors: string[] = [];
    cache.on('error', ({ key, error }) => errors.push(`${key}:${error.code}`));
    tabs.server.mode = 'fail';
    await pass(30_500); // the poll at 30 s tries and fails
    expect(tabs.server.requests).toBe(2);
    expect(errors).toEqual(['default:fetch_failed']);
    expect(await cache.getToken()).toBe(token);
    await pass(5_000); // the next poll tries again, long before the cutoff
    expect(tabs.server.requests).toBe(3);
    expect(errors).toHaveLength(2);
    expect(await cache.getToken()).toBe(token);
    await pass(5_000); // backoff: the third try waits two polls (45 s)
    expect(tabs.server.requests).toBe(3);
    await pass(5_000);
    expect(tabs.server.requests).toBe(4);
    await pass(5_000); // and the fourth four polls, while the stale token can still be served
    expect(tabs.server.requests).toBe(4);
    expect(await cache.getToken()).toBe(token);
    await pass(5_000); // 55 s: unservable now, so every poll tries again
    expect(cache.peekToken()).toBeNull();
    expect(tabs.server.requests).toBe(5);
    tabs.server.mode = 'ok';
    await pass(5_000);
    expect(tabs.server.requests).toBe(6);
    expect(await cache.getToken()).not.toBe(token);
  });

  it('serves a token with 6 s left and fetches when 4 s are left (defaults)', async () => {
    tabs.server.ttlSeconds = 12; // usable 11 s
    const { cache, token } = await leaderWithToken();
    tabs.server.mode = 'fail'; // background refreshes fail: the token stays
    await pass(5_000);
    expect(await settledNow(cache.getToken())).toEqual({ done: true, value: token });
    await pass(2_000);
    expect(cache.peekToken()).toBeNull();
    // A miss within a poll of the last failed try gets that failure, with no request (R24).
    const requests = tabs.server.requests;
    const failed = (await cache.getToken().catch((e: unknown) => e)) as TokenCacheError;
    expect(failed.code).toBe('fetch_failed');
    expect(tabs.server.requests).toBe(requests);
    tabs.server.mode = 'ok';
    await pass(5_000); // the next poll tries again, and the endpoint answers
    expect(tabs.server.requests).toBe(requests + 1);
    const next = await settledNow(cache.getToken());
    expect(next.done).toBe(true);
    expect(next.value).not.toBe(token);
  });
});

describe('R4, R7: deduplication and isolation', () => {
  it('three concurrent misses for one key cause one fetch; two keys two fetches, isolated', async () => {
    const cache = tabs.open();
    await pass(100);
    tabs.server.latencyMs = 200;
    const same = Promise.all([cache.getToken('a'), cache.getToken('a'), cache.getToken('a')]);
    const other = cache.getToken('b');
    await pass(200);
    const [a1, a2, a3] = await same;
    const b = await other;
    expect(a1).toBe(a2);
    expect(a2).toBe(a3);
    expect(tabs.server.byKey.get('a')).toBe(1);
    expect(tabs.server.byKey.get('b')).toBe(1);
    expect(claimsOf(a1 ?? '').key).toBe('a');
    expect(claimsOf(b).key).toBe('b');
    cache.clear();
    expect(cache.peekToken('a')).toBeNull();
  });
});

describe('R6: monotonic replacement', () => {
  it('a token with an older iat never replaces a newer servable one; forceRefresh still gets the brand-new one', async () => {
    const { cache, token } = await leaderWithToken();
    tabs.server.skewMs = -3_600_000; // the next token is issued an hour "earlier"
    const forced = await cache.getToken('default', { forceRefresh: true });
    expect(tabs.server.requests).toBe(2);
    expect(forced).not.toBe(token); // what the caller asked for: the token the server just issued
    expect(claimsOf(forced).jti).toBe('jti-2');
    expect(cache.peekToken()).toBe(token); // the cache keeps the newer-issued one while it is servable
  });

  it('a held token that can no longer be served blocks nothing, whatever its iat says', async () => {
    tabs.server.skewMs = 86_400_000; // one token from a server whose clock stepped a day ahead
    const { cache, token } = await leaderWithToken();
    tabs.server.skewMs = 0;
    await pass(60_000); // it expires; every refresh meanwhile brought an older-issued token
    const next = await cache.getToken();
    expect(next).not.toBe(token);
    expect(cache.peekToken()).toBe(next);
    const requests = tabs.server.requests;
    await pass(60_000);
    expect(tabs.server.requests - requests).toBe(1); // one refresh per lifetime again, not one per read
  });
});

describe('clocks: remaining life is measured on this machine', () => {
  for (const skew of [3_600_000, -3_600_000]) {
    it(`a server clock ${skew > 0 ? 'ahead of' : 'behind'} this one by 1 h changes nothing`, async () => {
      tabs.server.skewMs = skew;
      const { cache, token } = await leaderWithToken();
      await pass(40_000);
      expect(await cache.getToken()).toBe(token);
      expect(tabs.server.requests).toBe(1);
      await pass(6_000);
      expect(tabs.server.requests).toBe(2);
    });
  }

  it('the wall clock set back 1 h mid-life changes nothing', async () => {
    const { cache, token } = await leaderWithToken();
    await pass(20_000);
    vi.setSystemTime(Date.now() - 3_600_000);
    await pass(20_000);
    expect(await cache.getToken()).toBe(token);
    expect(tabs.server.requests).toBe(1);
    await pass(6_000);
    expect(tabs.server.requests).toBe(2);
  });

  it('the wall clock jumping ahead while the monotonic clock does not (sleep) ages the token by the jump', async () => {
    const { cache, token } = await leaderWithToken();
    tabs.server.mode = 'fail';
    await pass(10_000);
    vi.setSystemTime(Date.now() + 40_000); // 50 s aged: stale, 9 s left
    expect(cache.peekToken()).toBe(token);
    await pass(0);
    expect(tabs.server.requests).toBe(2); // the stale read started a refresh at once
    vi.setSystemTime(Date.now() + 5_000); // 55 s aged: 4 s left, under the cutoff
    expect(cache.peekToken()).toBeNull();
  });
});

describe('R15: bad tokens from fetchToken', () => {
  const cases = [
    { mode: 'garbage', code: 'invalid_token' },
    { mode: 'no-exp', code: 'invalid_token' },
  ] as const;
  for (const { mode, code } of cases) {
    it(`${mode} gives ${code} and caches nothing`, async () => {
      const cache = tabs.open();
      await pass(100);
      tabs.server.mode = mode;
      const error = await cache.getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenCacheError);
      expect((error as TokenCacheError).code).toBe(code);
      expect(cache.peekToken()).toBeNull();
      expect(cache.stats()).toMatchObject({ keys: 0, broadcastsSent: 0 });
    });
  }

  it('a token whose life is no longer than the cutoff gives token_ttl_too_short', async () => {
    tabs.server.ttlSeconds = 6; // usable 5 s = hardCutoffSeconds
    const cache = tabs.open();
    await pass(100);
    const error = (await cache.getToken().catch((e: unknown) => e)) as TokenCacheError;
    expect(error.code).toBe('token_ttl_too_short');
    expect(cache.peekToken()).toBeNull();
  });

  it('a token verifyToken rejects gives verification_failed, and no message contains the token', async () => {
    const seen: string[] = [];
    const cache = tabs.open({
      verifyToken: (jwt: string) => {
        seen.push(jwt);
        throw new Error('bad signature');
      },
    });
    await pass(100);
    const error = (await cache.getToken().catch((e: unknown) => e)) as TokenCacheError;
    expect(error.code).toBe('verification_failed');
    expect(error.message).toContain('bad signature');
    expect(seen).toHaveLength(1);
    expect(error.message).not.toContain(seen[0]);
    expect(cache.peekToken()).toBeNull();
  });

  it('fetchToken throwing gives fetch_failed with the cause', async () => {
    const cache = tabs.open();
    await pass(100);
    tabs.server.mode = 'fail';
    const error = (await cache.getToken().catch((e: unknown) => e)) as TokenCacheError;
    expect(error.code).toBe('fetch_failed');
    expect((error.cause as Error).message).toBe('503 Service Unavailable');
    expect(cache.stats().fetchErrors).toBe(1);
  });

  it('a fetchToken that never settles is aborted through its signal after fetchTimeoutMs', async () => {
    let signal: AbortSignal | undefined;
    const cache = tabs.open({
      fetchTimeoutMs: 3_000,
      fetchToken: (_key, ctx) => {
        signal = ctx.signal;
        return new Promise<string>(() => {});
      },
    });
    await pass(100);
    const result = cache.getToken().catch((e: unknown) => e);
    await pass(2_999);
    expect(signal?.aborted).toBe(false);
    await pass(1);
    const error = (await result) as TokenCacheError;
    expect(error.code).toBe('fetch_failed');
    expect(signal?.aborted).toBe(true);
  });
});

describe('timers', () => {
  it('replacing a token leaves no timer of the old one: one fetch per lifetime over ten lifetimes', async () => {
    const { cache } = await leaderWithToken();
    await pass(10 * 45_000);
    // One refresh per 45 s (stale at 44 s, noticed at the next 5 s poll), nothing more.
    expect(tabs.server.requests).toBe(11);
    expect(cache.stats().fetches).toBe(11);
  });
});

describe('R18: options', () => {
  it('rejects a leeway below the bound, naming it', () => {
    const make = () => tabs.open({ refreshLeewaySeconds: 14 });
    expect(make).toThrow(TokenCacheError);
    expect(make).toThrow(/hardCutoffSeconds \+ 2 \* pollIntervalMs \/ 1000 = 5 \+ 2 \* 5000 \/ 1000 = 15/);
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['non-positive poll', { pollIntervalMs: 0 }],
    ['missing name', { name: undefined }],
    ['missing fetchToken', { fetchToken: undefined }],
    ['unknown option', { pollInterval: 5000 }],
    ['negative cutoff', { hardCutoffSeconds: -1 }],
  ];
  for (const [what, options] of bad) {
    it(`rejects ${what} with invalid_options`, () => {
      try {
        tabs.open(options);
        expect.unreachable();
      } catch (error) {
        expect((error as TokenCacheError).code).toBe('invalid_options');
      }
    });
  }

  it('rejects a bad key with invalid_options', async () => {
    const cache = tabs.open();
    const error = (await cache.getToken('').catch((e: unknown) => e)) as TokenCacheError;
    expect(error.code).toBe('invalid_options');
  });
});

describe('peekToken', () => {
  it('returns a servable token or null, and never starts a wait', async () => {
    const cache = tabs.open();
    await pass(100);
    expect(cache.peekToken()).toBeNull();
    await pass(1_000);
    expect(tabs.server.requests).toBe(0);
    const token = await cache.getToken();
    expect(cache.peekToken()).toBe(token);
    expect(cache.peekToken('other')).toBeNull();
  });
});

describe('R19, R20: close, SSR, storage', () => {
  it('after close() every call rejects with closed and leadership is released', async () => {
    const { cache } = await leaderWithToken();
    const leader: boolean[] = [];
    cache.on('leader', ({ isLeader }) => leader.push(isLeader));
    const closing = cache.close();
    await pass(50);
    await closing;
    expect(cache.isLeader).toBe(false);
    expect(leader).toEqual([false]);
    const error = (await cache.getToken().catch((e: unknown) => e)) as TokenCacheError;
    expect(error.code).toBe('closed');
    expect(cache.peekToken()).toBeNull();
  });

  it('close() while a fetch is in flight rejects the caller with closed', async () => {
    const cache = tabs.open();
    await pass(100);
    tabs.server.latencyMs = 5_000;
    const pending = cache.getToken().catch((e: unknown) => e);
    await pass(10);
    const closing = cache.close();
    await pass(50);
    await closing;
    expect(((await pending) as TokenCacheError).code).toBe('closed');
  });

  it('imports in Node with no window, touching no browser global', async () => {
    expect('window' in globalThis).toBe(false);
    // Browser globals, watched: a read or a write of any of them while the library loads is
    // recorded (those Node has, such as BroadcastChannel, keep their value; the others read as
    // undefined, as they do in Node).
    const names = [
      'window',
      'self',
      'document',
      'navigator',
      'location',
      'history',
      'localStorage',
      'sessionStorage',
      'indexedDB',
      'cookieStore',
      'BroadcastChannel',
      'Worker',
      'addEventListener',
      'removeEventListener',
    ];
    const touched: string[] = [];
    const saved = new Map(names.map((n) => [n, Object.getOwnPropertyDescriptor(globalThis, n)]));
    for (const name of names) {
      const had = saved.get(name);
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get: () => {
          touched.push(name);
          return had?.get ? had.get.call(globalThis) : had?.value;
        },
        set: () => {
          touched.push(`${name} =`);
        },
      });
    }
    // The module cache would hand back the library this file imported before the watch began:
    // load it anew, so that whatever it does at load runs now.
    vi.resetModules();
    let mod: typeof import('../src/index.js');
    try {
      mod = await import('../src/index.js');
    } finally {
      for (const name of names) {
        const had = saved.get(name);
        if (had) Object.defineProperty(globalThis, name, had);
        else delete (globalThis as Record<string, unknown>)[name];
      }
    }
    expect(mod.TokenCacheError).not.toBe(TokenCacheError); // loaded anew, not from the cache
    expect(typeof mod.createTokenCache).toBe('function');
    expect(touched).toEqual([]);
    expect('window' in globalThis).toBe(false);
  });

  it('writes nothing to localStorage, sessionStorage, IndexedDB or cookies', async () => {
    // Stand-ins that record every operation on them and on everything they hand out: reads,
    // writes, property definitions and deletions, calls (a method called bound or not), `new`.
    const touched: string[] = [];
    const spy = (path: string): unknown => {
      const note = (what: string) => {
        touched.push(what);
        return true;
      };
      const of = (prop: string | symbol) => `${path}.${String(prop)}`;
      return new Proxy(function stub() {}, {
        get: (_t, prop) => {
          note(of(prop));
          return prop === 'then' ? undefined : spy(of(prop)); // not a thenable: awaiting one must not hang
        },
        set: (_t, prop) => note(`${of(prop)} =`),
        defineProperty: (_t, prop) => note(`define ${of(prop)}`),
        deleteProperty: (_t, prop) => note(`delete ${of(prop)}`),
        has: (_t, prop) => note(`${String(prop)} in ${path}`),
        getOwnPropertyDescriptor: (t, prop) => {
          note(`descriptor ${of(prop)}`);
          return Reflect.getOwnPropertyDescriptor(t, prop);
        },
        ownKeys: (t) => {
          note(`keys of ${path}`);
          return Reflect.ownKeys(t);
        },
        setPrototypeOf: () => note(`setPrototypeOf ${path}`),
        apply: (_t, _this, args) => {
          note(`${path}(${args.length} args)`);
          return spy(`${path}()`);
        },
        construct: () => {
          note(`new ${path}`);
          return spy(`new ${path}`) as object;
        },
      });
    };
    const stores = ['localStorage', 'sessionStorage', 'indexedDB', 'cookieStore'];
    const stubs = new Map<string, unknown>(stores.map((name) => [name, spy(name)]));
    stubs.set('document', spy('document'));
    stubs.set('BroadcastChannel', undefined);
    // window.localStorage and the like reach the same stand-ins; the rest of window is recorded too.
    const win = spy('window') as object;
    stubs.set(
      'window',
      new Proxy(win, {
        get: (t, prop, r) => (stubs.has(String(prop)) ? stubs.get(String(prop)) : Reflect.get(t, prop, r)),
      }),
    );
    for (const [name, stub] of stubs) vi.stubGlobal(name, stub);
    try {
      // Loaded anew after the stand-ins are in place, so that whatever the library captures at
      // load (a bound `setItem`, say) is captured from them.
      vi.resetModules();
      const { createTokenCacheWith } = await import('../src/create.js');
      // No native channel: the fallback transport (broadcast-channel, loaded on first use) runs.
      await import('../src/wire/library-transport.js');
      const make = () =>
        createTokenCacheWith({ name: 'test', fetchToken: tabs.server.fetchToken }, { locks: tabs.locks });
      const leader = make();
      await leader.getToken();
      await pass(100);
      const follower = make();
      await pass(100);
      await across(follower.getToken('other'), 100);
      await across(follower.getToken('other', { forceRefresh: true }), 100);
      await pass(60_000); // refreshes, broadcasts
      follower.peekToken();
      follower.clear();
      await across(follower.getToken(), 100);
      const closing = Promise.all([leader.close(), follower.close()]);
      await pass(50);
      await closing;
      for (const [name, stub] of stubs)
        expect((globalThis as Record<string, unknown>)[name], name).toBe(stub);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(touched.filter((t) => /localStorage|sessionStorage|indexedDB|cookie/i.test(t))).toEqual([]);
  });
});
