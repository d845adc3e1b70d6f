import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import type { TokenCacheOptions } from '../src/options.js';
import { groupOf, leaders } from './group.js';
import { pass, useSimulatedTabs } from './helpers.js';

const tabs = useSimulatedTabs();
const { group } = groupOf(tabs);

const FAST: Partial<TokenCacheOptions> = {
  pollIntervalMs: 500,
  refreshLeewaySeconds: 1.5,
  hardCutoffSeconds: 0.5,
};

/** Calls getToken on `cache` every `everyMs` for `forMs`, `callers` times at once; swallows failures. */
async function hammer(caches: readonly TokenCache[], callers: number, everyMs: number, forMs: number) {
  const codes = new Set<string>();
  const calls: Promise<unknown>[] = [];
  for (let t = 0; t < forMs; t += everyMs) {
    for (const cache of caches) {
      for (let i = 0; i < callers; i++) {
        calls.push(cache.getToken().catch((e: { code?: string }) => codes.add(String(e.code))));
      }
    }
    await pass(everyMs);
  }
  await pass(2_000);
  await Promise.all(calls);
  return codes;
}

describe('R24: the outage budget', () => {
  it("while the endpoint fails, the leader's own callers and the followers' cost one request per poll interval", async () => {
    const caches = await group(4, FAST);
    const leader = leaders(caches)[0] as TokenCache;
    const followers = caches.filter((c) => c !== leader);
    tabs.server.mode = 'fail';
    const start = Date.now();
    const leaderCalls = hammer([leader], 10, 100, 5_000);
    const followerCalls = hammer(followers, 3, 100, 5_000);
    const codes = new Set([...(await leaderCalls), ...(await followerCalls)]);
    const elapsed = Date.now() - start;
    expect([...codes]).toEqual(['fetch_failed']);
    // 10 callers x 10 a second in the leader's tab and 9 in the followers': one try per 500 ms.
    expect(tabs.server.requests).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 500));
    expect(tabs.server.requests).toBeGreaterThanOrEqual(Math.floor(5_000 / 500));
  });

  it('forceRefresh is an explicit retry: it always fetches, outage or not', async () => {
    const [cache] = await group(1, FAST);
    tabs.server.mode = 'fail';
    await (cache as TokenCache).getToken().catch(() => {});
    expect(tabs.server.requests).toBe(1);
    for (let i = 0; i < 3; i++) {
      await (cache as TokenCache).getToken('default', { forceRefresh: true }).catch(() => {});
    }
    expect(tabs.server.requests).toBe(4);
  });
});

describe('R26: exclusiveFetch', () => {
  /** The most fetchToken calls in flight at once, across every tab. */
  function concurrencyProbe(): { fetchToken: TokenCacheOptions['fetchToken']; max: () => number } {
    let now = 0;
    let max = 0;
    return {
      fetchToken: async (key, context) => {
        now++;
        max = Math.max(max, now);
        try {
          return await tabs.server.fetchToken(key, context);
        } finally {
          now--;
        }
      },
      max: () => max,
    };
  }

  for (const exclusive of [true, false]) {
    it(`${exclusive ? 'true: at most one' : 'false: several'} fetchToken in flight at once across keys and tabs`, async () => {
      const probe = concurrencyProbe();
      const caches = await group(3, { fetchToken: probe.fetchToken, exclusiveFetch: exclusive });
      tabs.server.latencyMs = 300;
      const keys = ['a', 'b', 'c', 'd'];
      const got = Promise.all(caches.flatMap((c) => keys.map((k) => c.getToken(k))));
      await pass(3_000);
      const tokens = await got;
      expect(new Set(tokens).size).toBe(keys.length);
      expect(tabs.server.requests).toBe(keys.length);
      if (exclusive) expect(probe.max()).toBe(1);
      else expect(probe.max()).toBe(keys.length);
    });
  }
});
