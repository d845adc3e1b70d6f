import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import { across, groupOf, leaders, recordingTransport } from './group.js';
import { pass, useSimulatedTabs } from './helpers.js';

const tabs = useSimulatedTabs();
const { open, group } = groupOf(tabs);

const IDLE_S = 30;

describe('R21: idle keys', () => {
  it('a key no tab reads is not refreshed after the idle timeout and is dropped; the next read fetches it once', async () => {
    const caches = await group(3, { idleTimeoutSeconds: IDLE_S });
    const leader = leaders(caches)[0] as TokenCache;
    const follower = caches.find((c) => c !== leader) as TokenCache;
    const first = await across(follower.getToken('k'), 100);
    expect(tabs.server.requests).toBe(1);
    await pass(10 * IDLE_S * 1000); // ten idle timeouts, nobody reads
    expect(tabs.server.requests).toBe(1);
    expect(leader.stats().keys).toBe(0); // dropped once unservable
    const next = await across(follower.getToken('k'), 100);
    expect(next).not.toBe(first);
    expect(tabs.server.requests).toBe(2);
    await pass(50);
    for (const c of caches) expect(c.peekToken('k')).toBe(next);
    expect(tabs.server.requests).toBe(2);
  });

  it("a follower's reads keep the key refreshed by the leader, with no message per read", async () => {
    const caches = await group(2, { idleTimeoutSeconds: IDLE_S });
    const leader = leaders(caches)[0] as TokenCache;
    leader.getToken('other').catch(() => {}); // the leader's tab reads something else
    await pass(50);
    const channel = recordingTransport();
    const follower = open({ idleTimeoutSeconds: IDLE_S }, { openTransport: channel.openTransport });
    await across(follower.getToken('k'), 100);
    const requests = tabs.server.requests;
    const sentBefore = channel.sent.length;
    for (let s = 0; s < 180; s += 10) {
      await pass(10_000);
      expect(follower.peekToken('k')).not.toBeNull(); // served from memory: fresh every time
    }
    // Three minutes of 60 s tokens: refreshed once per 45 s for the follower, never asked for.
    expect(tabs.server.byKey.get('k')).toBe(1 + 4);
    expect(channel.sent.slice(sentBefore)).toEqual([]);
    expect(tabs.server.requests - requests).toBe(4);
  });

  it('with idleTimeoutSeconds Infinity a key read once is refreshed for as long as the group lives', async () => {
    const caches = await group(2, { idleTimeoutSeconds: Number.POSITIVE_INFINITY });
    await across(caches[1]?.getToken('k'), 100);
    await pass(45_000 * 10);
    expect(tabs.server.requests).toBe(11);
  });
});
