import { afterEach, describe, expect, it, vi } from 'vitest';
import { pageFates } from '../simulation/pages.js';
import { openWorld, outcomes, pass, tab } from '../simulation/scenario.js';
import type { World } from '../simulation/world.js';

// Issue 16, items 1 and 2: nothing started before a sign-out comes back after it (R13), and
// close() ends every call at once (R19, R27). Scripted on the simulated browser; every invariant
// of the simulation is checked after every 10 ms.

afterEach(() => {
  vi.useRealTimers();
});

const requestsAfter = (world: World, at: number) => world.endpoint.requests.filter((r) => r.startedAt >= at);

describe('R13: a sign-out is never undone', () => {
  it('signed out while a question to a hung leader is pending: the call rejects at once, nothing comes back', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    pageFates.hang(world, leader, 2_500);
    world.call(follower, 'get', 'k');
    await pass(world, 200);
    const signedOutAt = world.now;
    world.clear(follower);
    await pass(world, 0);
    expect(outcomes(world)).toEqual(['cleared']);
    await pass(world, 6_000); // the leader thaws and works through what piled up
    for (const t of world.tabs) expect(t.cache.peekToken('k')).toBeNull();
    expect(requestsAfter(world, signedOutAt)).toEqual([]);
  });

  it('a tab hung while a clear and the lead reach it: the poll it starts on thaw renews nothing the clear dropped', async () => {
    // Found by the simulation (SIM_SEED=-715880038): the lock grant came before the clear in the
    // hung tab's backlog; its first poll read the keys due, then, while the lock manager answered
    // which keys are in use, the clear dropped them; the poll renewed them anyway.
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    world.call(follower, 'get', 'a');
    await pass(world, 10_000);
    world.clear(leader);
    pageFates.hang(world, follower, 5_002);
    pageFates.close(world, leader, 0);
    await pass(world, 8_000);
    expect(follower.cache.isLeader).toBe(true);
    expect(requestsAfter(world, world.clears[0]?.at ?? 0)).toEqual([]);
  });

  it('a question that crosses another tab sign-out on the way to the leader refreshes nothing', async () => {
    const world = await openWorld(3);
    const [, asker, clearer] = [tab(world, 0), tab(world, 1), tab(world, 2)];
    world.call(asker, 'get', 'k');
    await pass(world, 100);
    world.endpoint.mode = 'fail'; // the leader cannot refresh: the token goes stale everywhere
    await pass(world, 17_000);
    const signedOutAt = world.now;
    world.clear(clearer); // reaches the leader before the question below
    asker.runtime.lifecycle('revalidate'); // visible again: asks the leader about its stale token
    world.endpoint.mode = 'ok';
    await pass(world, 5_000);
    expect(requestsAfter(world, signedOutAt)).toEqual([]);
    for (const t of world.tabs) expect(t.cache.peekToken('k')).toBeNull();
  });
});

describe('R19, R27: close() ends every call at once', () => {
  it('a call waiting on an unanswered question rejects `closed` when its cache closes', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    pageFates.hang(world, leader, 2_000);
    world.call(follower, 'get', 'k');
    await pass(world, 100);
    pageFates['close-cache'](world, follower, 0);
    await pass(world, 0);
    expect(outcomes(world)).toEqual(['closed']);
  });

  it('close() leaves nothing behind: no lock, no fetch running, no timer', async () => {
    const world = await openWorld(1);
    const only = tab(world, 0);
    world.endpoint.latencyMs = 2_000;
    world.call(only, 'get', 'k');
    await pass(world, 100);
    expect(world.endpoint.inFlight()).toHaveLength(1);
    pageFates['close-cache'](world, only, 0);
    await pass(world, 0);
    expect(outcomes(world)).toEqual(['closed']);
    expect(world.endpoint.inFlight()).toEqual([]); // its fetch was aborted
    expect(await world.locks.query()).toEqual({ held: [], pending: [] });
    vi.clearAllTimers(); // the endpoint's own answer timer
    await pass(world, 60_000);
    expect(world.endpoint.requests).toHaveLength(1);
  });
});
