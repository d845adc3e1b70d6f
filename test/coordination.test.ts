import { BroadcastChannel } from 'broadcast-channel';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { TokenCache } from '../src/create.js';
import type { TokenCacheError } from '../src/index.js';
import { mainThreadTimers, type Timers } from '../src/platform/timers.js';
import { PROTOCOL, VERSION } from '../src/wire/protocol.js';
import { across, closeNow, groupOf, leaders, silenceable } from './group.js';
import { pass, useSimulatedTabs } from './helpers.js';

const tabs = useSimulatedTabs();

const { open, group, silenceableLeaderWith } = groupOf(tabs);

describe('R8, R9: one leader, one poller, every token broadcast', () => {
  it('three tabs: one leader; over five lifetimes one fetch per lifetime, followers never fetch', async () => {
    const caches = await group(3);
    expect(leaders(caches)).toHaveLength(1);
    const leader = leaders(caches)[0] as TokenCache;
    const followers = caches.filter((c) => c !== leader);
    const first = await across(followers[0]?.getToken());
    for (const c of caches) expect(c.peekToken()).toBe(first);
    for (let lifetime = 0; lifetime < 5; lifetime++) {
      await pass(45_000);
      const now = leader.peekToken();
      for (const f of followers) {
        expect(f.peekToken()).toBe(now);
        expect(await f.getToken()).toBe(now);
      }
    }
    // The first token, then one refresh per 45 s lifetime: not lifetimes x tabs.
    expect(tabs.server.requests).toBe(6);
    for (const f of followers) {
      expect(f.stats().fetches).toBe(0);
      expect(f.stats().broadcastsReceived).toBeGreaterThanOrEqual(5);
    }
    expect(leader.stats().broadcastsSent).toBe(6);
  });
});

describe('R10: snapshot', () => {
  it('a new tab beside a leader holding tokens gets them with no fetch', async () => {
    const [leader] = await group(1);
    const a = await leader?.getToken('a');
    const b = await leader?.getToken('b');
    expect(tabs.server.requests).toBe(2);
    const sources: string[] = [];
    const late = open();
    late.on('token', (e) => sources.push(`${e.key}:${e.source}`));
    await pass(100);
    expect(late.peekToken('a')).toBe(a);
    expect(late.peekToken('b')).toBe(b);
    expect(await late.getToken('a')).toBe(a);
    expect(sources.sort()).toEqual(['a:snapshot', 'b:snapshot']);
    expect(tabs.server.requests).toBe(2);
    expect(late.stats().fetches).toBe(0);
  });
});

describe('R4: one fetch across tabs', () => {
  it('three tabs missing a key at once cause one fetch', async () => {
    const caches = await group(3);
    tabs.server.latencyMs = 300;
    const all = Promise.all(caches.map((c) => c.getToken('k')));
    await pass(500);
    const got = await all;
    expect(new Set(got).size).toBe(1);
    expect(tabs.server.requests).toBe(1);
  });

  it('with the leader silenced, the followers fall back and fetch once', async () => {
    const { control, leader, followers } = await silenceableLeaderWith(2);
    expect(leader.isLeader).toBe(true);
    control.silence(true);
    const all = Promise.all(followers.map((c) => c.getToken('k')));
    await pass(2_000); // answer timeout (1 s at the default poll), then the fallback fetch
    const got = await all;
    expect(got[0]).toBe(got[1]);
    expect(tabs.server.requests).toBe(1);
    expect(leader.stats().fetches).toBe(0);
  });
});

describe('R4 fallback when the endpoint fails', () => {
  it('followers falling back together: one fetches, and its failure reaches the other at once', async () => {
    const { control, followers } = await silenceableLeaderWith(2);
    control.silence(true);
    tabs.server.mode = 'fail';
    const codes: string[] = [];
    const calls = followers.map((f) =>
      f.getToken('k').catch((e: unknown) => {
        codes.push((e as TokenCacheError).code);
      }),
    );
    await pass(1_100); // the answer timeout (1 s), the fallback fetch, its failure message
    expect(codes).toEqual(['fetch_failed', 'fetch_failed']);
    await Promise.all(calls);
    expect(tabs.server.requests).toBe(1);
  });
});

describe('R11: the leader goes away', () => {
  it('closing the leader: another leads and keeps refreshing; closing a follower changes nothing', async () => {
    const caches = await group(3);
    const leader = leaders(caches)[0] as TokenCache;
    await leader.getToken();
    await pass(50);
    const rest = caches.filter((c) => c !== leader);
    await closeNow(leader);
    await pass(100);
    expect(leaders(rest)).toHaveLength(1);
    const next = leaders(rest)[0] as TokenCache;
    const follower = rest.find((c) => c !== next) as TokenCache;
    await pass(45_000);
    expect(tabs.server.requests).toBe(2);
    expect(follower.peekToken()).toBe(next.peekToken());
    await closeNow(follower);
    await pass(45_000);
    expect(next.isLeader).toBe(true);
    expect(tabs.server.requests).toBe(3);
  });
});

describe('R12: a leader alive but not working', () => {
  it('a follower steals leadership and keeps tokens fresh, one fetch per lifetime; the old leader steps down without fetching', async () => {
    const { control, leader, followers } = await silenceableLeaderWith(3);
    const first = await leader.getToken();
    await pass(50);
    const leaderEvents: boolean[] = [];
    leader.on('leader', ({ isLeader }) => leaderEvents.push(isLeader));
    control.silence(true);
    for (let lifetime = 0; lifetime < 4; lifetime++) {
      for (let s = 0; s < 45; s++) {
        await pass(1_000);
        for (const f of followers) expect(f.peekToken()).not.toBeNull();
      }
    }
    expect(leader.isLeader).toBe(false);
    expect(leaderEvents).toEqual([false]);
    expect(leaders(followers)).toHaveLength(1);
    expect(followers[0]?.peekToken()).not.toBe(first);
    // The first token, then one per 45 s lifetime among the three followers.
    expect(tabs.server.requests).toBeLessThanOrEqual(5);
    expect(tabs.server.requests).toBeGreaterThanOrEqual(4);
    const before = tabs.server.requests;
    control.silence(false);
    await pass(45_000);
    expect(leaders([leader, ...followers])).toHaveLength(1);
    expect(tabs.server.requests).toBe(before + 1);
    expect(leader.stats().fetches).toBe(1);
  });
});

describe('R3, R4 during an outage', () => {
  it("followers' misses while the endpoint fails cost one try per poll interval, not one per caller", async () => {
    const caches = await group(4);
    const leader = leaders(caches)[0] as TokenCache;
    const followers = caches.filter((c) => c !== leader);
    const codes = new Set<string>();
    tabs.server.mode = 'fail';
    for (let second = 0; second < 4; second++) {
      const calls = followers.map((f) =>
        f.getToken().catch((e: unknown) => {
          codes.add((e as TokenCacheError).code);
        }),
      );
      await pass(1_000);
      await Promise.all(calls);
    }
    expect([...codes]).toEqual(['fetch_failed']);
    expect(tabs.server.requests).toBe(1);
    expect(leader.stats().fetchErrors).toBe(1);
    tabs.server.mode = 'ok';
    await pass(1_000);
    const token = await across(followers[0]?.getToken());
    expect(tabs.server.requests).toBe(2);
    expect(token).not.toBeUndefined();
  });
});

describe('R12: a follower back from a freeze', () => {
  it('catches up on the token it missed from the leader, without a fetch', async () => {
    const leader = open();
    await pass(200);
    const control = silenceable();
    const follower = open({}, control);
    await pass(200);
    const first = await leader.getToken();
    await pass(50);
    expect(follower.peekToken()).toBe(first);
    control.silence(true);
    await pass(51_000); // the leader refreshed at 45 s; the frozen follower missed it
    expect(tabs.server.requests).toBe(2);
    control.silence(false);
    expect(follower.peekToken()).toBe(first); // stale (8 s left), served at once; the leader is asked
    await pass(50);
    expect(follower.peekToken()).toBe(leader.peekToken());
    expect(follower.peekToken()).not.toBe(first);
    expect(tabs.server.requests).toBe(2);
    expect(follower.stats().fetches).toBe(0);
  });
});

describe('R13: sign out everywhere', () => {
  it('clear() while a fetch is in flight: no tab holds a token afterwards and the late token is dropped', async () => {
    const caches = await group(3);
    const leader = leaders(caches)[0] as TokenCache;
    const follower = caches.find((c) => c !== leader) as TokenCache;
    await leader.getToken();
    await pass(50);
    tabs.server.latencyMs = 2_000;
    const forced = follower.getToken('default', { forceRefresh: true }).catch((e: unknown) => e);
    await pass(500);
    expect(tabs.server.requests).toBe(2);
    const clears: string[] = [];
    for (const c of caches) c.on('clear', ({ origin }) => clears.push(origin));
    follower.clear();
    await pass(50);
    expect(clears.sort()).toEqual(['local', 'remote', 'remote']);
    for (const c of caches) expect(c.peekToken()).toBeNull();
    expect(((await forced) as TokenCacheError).code).toBe('cleared');
    await pass(3_000);
    for (const c of caches) expect(c.peekToken()).toBeNull();
    const next = await across(follower.getToken(), 2_100);
    expect(tabs.server.requests).toBe(3);
    await pass(50);
    for (const c of caches) expect(c.peekToken()).toBe(next);
  });
});

describe('R14: validation of incoming messages', () => {
  it('1,000 random malformed messages: no throw, all counted, tokens unaffected', async () => {
    const caches = await group(2);
    const token = await across(caches[0]?.getToken());
    const hostile = new BroadcastChannel('tab-token-cache:test');
    const base = {
      p: fc.constant(PROTOCOL),
      v: fc.constant(VERSION),
      name: fc.constant('test'),
      from: fc.constant('x'),
      epoch: fc.constant(0),
    };
    const messages = fc.sample(
      fc.oneof(
        fc.anything(),
        fc.record({ ...base, type: fc.constantFrom('token', 'snapshot', 'ask', 'ack', 'bogus') }),
        fc.record({
          ...base,
          type: fc.constant('token'),
          key: fc.string(),
          token: fc.string(),
          expiresAt: fc.double(),
        }),
        fc.record({ ...base, v: fc.integer({ min: VERSION + 1, max: 9 }), type: fc.constant('clear') }),
        fc.record({
          ...base,
          epoch: fc.oneof(fc.double({ noInteger: true }), fc.string(), fc.constant(-1)),
          type: fc.constant('clear'),
        }),
      ),
      { numRuns: 1_000, seed: 42 },
    );
    for (const m of messages) {
      const posted = hostile.postMessage(m);
      await pass(6);
      await posted;
    }
    for (const c of caches) {
      expect(c.stats().messagesRejected).toBe(1_000);
      expect(c.peekToken()).toBe(token);
    }
    await across(hostile.close());
  });

  it('a message claiming the largest epoch is dropped and counted: sign-outs still order tokens (R28)', async () => {
    const caches = await group(3);
    await across(caches[0]?.getToken());
    const hostile = new BroadcastChannel('tab-token-cache:test');
    for (const type of ['snapshot-request', 'clear'] as const) {
      void hostile.postMessage({
        p: PROTOCOL,
        v: VERSION,
        name: 'test',
        from: 'mallory',
        epoch: Number.MAX_SAFE_INTEGER,
        type,
      });
    }
    await pass(50);
    for (const c of caches) expect(c.stats().messagesRejected).toBe(1); // the clear signs out, the other is dropped
    // A token fetched before the next sign-out must not come back after it.
    tabs.server.latencyMs = 500;
    const late = caches[0]?.getToken().catch((e: unknown) => (e as TokenCacheError).code);
    await pass(100);
    caches[1]?.clear();
    await pass(1_000);
    expect(await late).toBe('cleared');
    for (const c of caches) expect(c.peekToken()).toBeNull();
    await across(hostile.close());
  });

  it('a token for another cache name on the same channel is ignored', async () => {
    const [cache] = await group(1);
    const hostile = new BroadcastChannel('tab-token-cache:test');
    const jwt = tabs.server.issue('default');
    const posted = hostile.postMessage({
      p: PROTOCOL,
      v: VERSION,
      name: 'other',
      from: 'x',
      epoch: 0,
      type: 'token',
      key: 'default',
      token: jwt,
      expiresAt: Date.now() + 30_000,
    });
    await pass(50);
    await posted;
    expect(cache?.peekToken()).toBeNull();
    expect(cache?.stats().messagesRejected).toBe(1);
    await across(hostile.close());
  });

  it('a broadcast token that verifyToken rejects is dropped and counted', async () => {
    const good = open();
    await pass(100);
    const strict = open({
      verifyToken: () => {
        throw new Error('not ours');
      },
    });
    await pass(100);
    await good.getToken();
    await pass(50);
    expect(strict.peekToken()).toBeNull();
    expect(strict.stats().messagesRejected).toBeGreaterThanOrEqual(1);
  });
});

describe('R17: visible again, online again', () => {
  /**
   * A leader whose poll never ticks (a background tab whose timer is held back), while its lock
   * and channel work: only the follower's revalidation can get the stale token refreshed.
   */
  const pollHeldBack = (): Timers => {
    const base = mainThreadTimers();
    return { kind: 'main', every: () => () => {}, after: base.after, dispose: base.dispose };
  };

  it.each([
    ['becomes visible', 'document', 'visibilitychange'],
    ['comes back online', 'window', 'online'],
  ] as const)('a follower that %s asks the leader to revalidate stale tokens', async (_, target, event) => {
    const listeners = new Map<string, () => void>();
    const fake = {
      visibilityState: 'visible',
      addEventListener: (type: string, fn: () => void) => listeners.set(type, fn),
      removeEventListener: () => {},
    };
    vi.stubGlobal(target, fake);
    try {
      const leader = open({}, { timers: pollHeldBack() });
      await pass(200);
      const follower = open();
      await pass(200);
      const token = await across(follower.getToken(), 100);
      expect(leader.isLeader).toBe(true);
      expect(tabs.server.requests).toBe(1);
      await pass(45_000); // 59 s usable, leeway 15 s: stale since 44 s, and nobody has refreshed it
      expect(tabs.server.requests).toBe(1);
      listeners.get(event)?.();
      await pass(50);
      expect(tabs.server.requests).toBe(2);
      // Through the leader: the follower asked, the leader fetched and broadcast.
      expect(leader.stats().fetches).toBe(2);
      expect(follower.stats().fetches).toBe(0);
      expect(leader.isLeader).toBe(true);
      const fresh = leader.peekToken();
      expect(fresh).not.toBe(token);
      expect(follower.peekToken()).toBe(fresh);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
