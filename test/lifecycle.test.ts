import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import type { TokenCacheError } from '../src/errors.js';
import { memoryLocks } from '../src/platform/memory-locks.js';
import { across, countingTimers, fakeLifecycle, groupOf, leaders, recordingTransport } from './group.js';
import { pass, useSimulatedTabs } from './helpers.js';

const tabs = useSimulatedTabs();
const { open, group, leaderWithPage } = groupOf(tabs);

describe('R22: the back/forward cache', () => {
  it('a leader entering it lets go of every lock at once; back, it rejoins as a follower and resyncs with no fetch', async () => {
    const { page, leader, others, token } = await leaderWithPage();
    expect(leader.isLeader).toBe(true);
    page.hide();
    expect(leader.isLeader).toBe(false);
    await pass(10);
    expect(leaders(others)).toHaveLength(1);
    // Nothing of the cached page is left: the new leader holds the lock, the other follower waits.
    const { held, pending } = await tabs.locks.query();
    expect(held.filter((l) => l.name.endsWith(':leader'))).toHaveLength(1);
    expect(pending.filter((l) => l.name.endsWith(':leader'))).toHaveLength(1);
    expect(leader.peekToken()).toBeNull(); // it serves nothing while away
    await pass(30_000);
    page.show();
    await pass(50);
    expect(leader.peekToken()).toBe(token);
    expect(leaders([leader, ...others])).toHaveLength(1);
    expect(leader.isLeader).toBe(false);
    expect(tabs.server.requests).toBe(1);
  });

  it('a page in the cache hears no message: its channel is closed while it is away', async () => {
    const page = fakeLifecycle();
    const channel = recordingTransport();
    const leader = open();
    await pass(200);
    open({}, { watchLifecycle: page.watch, openTransport: channel.openTransport }); // the follower that goes away
    await pass(200);
    await leader.getToken();
    await pass(50);
    page.hide();
    const heard = channel.received.length;
    await pass(60_000); // the leader refreshes and broadcasts
    expect(tabs.server.requests).toBe(2);
    expect(channel.received.length).toBe(heard);
  });

  it.each([
    ['the leader is fetching for it', true],
    ['its question is not yet answered', false],
  ])(
    'a tab restored after a sign-out elsewhere learns of it on return (a call pending in it as it left: %s)',
    async (_, answered) => {
      // Every token whose request started before the sign-out.
      const fromBefore = new Set<string>();
      let signedOut = false;
      const fetchToken: typeof tabs.server.fetchToken = async (key, init) => {
        const before = !signedOut;
        const token = await tabs.server.fetchToken(key, init);
        if (before) fromBefore.add(token);
        return token;
      };
      const page = fakeLifecycle();
      const caches = await group(2, { fetchToken });
      const away = open({ fetchToken }, { watchLifecycle: page.watch });
      await pass(100);
      const before = await across(caches[0]?.getToken(), 100);
      expect(away.peekToken()).toBe(before);
      expect(away.isLeader).toBe(false);
      const clears: string[] = [];
      away.on('clear', ({ origin }) => clears.push(origin));
      const served: string[] = [];
      away.on('token', ({ token }) => served.push(token));
      // A call pending in the tab as it goes.
      tabs.server.latencyMs = 1_000;
      const pending = away.getToken('other').then(
        (token) => ({ token }),
        (error: TokenCacheError) => ({ error: error.code }),
      );
      if (answered) {
        await pass(100);
        expect(tabs.server.requests).toBe(2); // the leader fetches it
      }
      page.hide();
      await pass(10);
      signedOut = true;
      caches[1]?.clear(); // while it is away: it hears nothing
      await pass(2_000); // what was fetched before the sign-out has had time to come back
      tabs.server.latencyMs = 0;
      page.show();
      expect(away.peekToken()).toBeNull(); // it cannot know yet, and serves nothing from before
      await pass(100);
      // Back, it has learnt of the sign-out and kept what R13 and R22 promise.
      const outcome = await Promise.race([pending, Promise.resolve('still pending')]);
      expect({
        clears,
        pending: outcome,
        peek: away.peekToken(),
        peekOther: away.peekToken('other'),
      }).toEqual({
        clears: ['remote'],
        pending: { error: 'cleared' },
        peek: null,
        peekOther: null,
      });
      // The next read fetches anew; no token from before the sign-out is ever served.
      const after = (await across(away.getToken(), 100)) as string;
      served.push(after);
      expect(after).not.toBe(before);
      expect(served.filter((t) => fromBefore.has(t))).toEqual([]);
      await pass(50);
      for (const c of caches) expect(c.peekToken()).toBe(after);
    },
  );
});

describe('R19: a cache starts on first use', () => {
  it('creating a cache opens no channel, takes no lock and runs no timer until it is used', async () => {
    const channel = recordingTransport();
    const timers = countingTimers();
    const locks = memoryLocks();
    let lockCalls = 0;
    const counted = {
      request: (...args: Parameters<typeof locks.request>) => {
        lockCalls++;
        return locks.request(...args);
      },
      query: () => locks.query(),
    };
    const cache = tabs.open({}, { openTransport: channel.openTransport, timers, locks: counted });
    await pass(60_000);
    expect(cache.isLeader).toBe(false);
    expect(cache.stats().fetches).toBe(0);
    expect(channel.sent).toEqual([]);
    expect(lockCalls).toBe(0);
    expect(timers.intervals).toEqual([]);
    await cache.getToken();
    expect(channel.sent).toContain('snapshot-request');
    expect(lockCalls).toBeGreaterThan(0);
  });

  it('a sign-out from a tab that never asked for a token still reaches every tab', async () => {
    const [tab] = await group(1);
    await (tab as TokenCache).getToken();
    const unused = tabs.open();
    const clears: string[] = [];
    tab?.on('clear', ({ origin }) => clears.push(origin));
    unused.clear();
    await pass(50);
    expect(clears).toEqual(['remote']);
    expect(tab?.peekToken()).toBeNull();
  });
});
