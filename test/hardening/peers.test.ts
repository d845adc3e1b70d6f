import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWorld, outcomes, pass, tab } from '../simulation/scenario.js';
import type { World } from '../simulation/world.js';

// Issue 16, item 6: peers are not trusted to be well-behaved (R14, R28). Another script on the
// origin posts on the group's channel; no message may make a tab fetch more often than R24
// allows, disable the sign-out order, reject other tabs' callers with anything but a fetch
// failure, or push the sign-out epoch out of reach.

afterEach(() => {
  vi.useRealTimers();
});

/** A message of the protocol from a tab named mallory, at the group's epoch. */
function fromPeer(world: World, body: Record<string, unknown>): Record<string, unknown> {
  return { p: 'tab-token-cache', v: 2, name: 'sim', from: 'mallory', epoch: world.lastEpoch, ...body };
}

describe('R28: what another script on the channel can and cannot do', () => {
  it('a flood of `force` questions costs at most one fetch per key per poll', async () => {
    const world = await openWorld(2);
    world.call(tab(world, 1), 'get', 'k');
    await pass(world, 100);
    const before = world.endpoint.requests.length;
    for (let i = 0; i < 50; i++) {
      world.bus.inject(fromPeer(world, { type: 'ask', id: `m${i}`, key: 'k', reason: 'force' }));
      await pass(world, 60); // 50 questions over 3 s (3 polls)
    }
    await pass(world, 1_000);
    const forced = world.endpoint.requests.slice(before).map((r) => r.startedAt);
    expect(forced.length).toBeGreaterThan(0);
    expect(forced.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < forced.length; i++)
      expect((forced[i] ?? 0) - (forced[i - 1] ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('a report of a failure is believed only as a fetch failure, told in a few words', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    world.endpoint.latencyMs = 1_000;
    world.call(follower, 'get', 'k'); // waits for the leader's fetch
    await pass(world, 100);
    world.bus.inject(
      fromPeer(world, { type: 'ask-failed', key: 'k', code: 'cleared', message: 'you are signed out' }),
    );
    world.bus.inject(
      fromPeer(world, { type: 'ask-failed', key: 'k', code: 'fetch_failed', message: 'x'.repeat(501) }),
    );
    await pass(world, 1_100);
    expect(outcomes(world)).toEqual(['token']);
    expect(follower.cache.stats().messagesRejected).toBe(2);
    expect(leader.cache.stats().messagesRejected).toBe(2);
  });

  it('a message with an epoch far ahead of the clock is dropped and counted, not adopted', async () => {
    const world = await openWorld(2);
    world.bus.inject(fromPeer(world, { type: 'snapshot-request', epoch: Number.MAX_SAFE_INTEGER }));
    await pass(world, 10);
    for (const t of world.tabs) expect(t.cache.stats().messagesRejected).toBe(1);
    expect(world.lastEpoch).toBe(0);
  });
});
