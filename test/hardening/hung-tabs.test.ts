import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { resolveOptions } from '../../src/options.js';
import { memoryLocks } from '../../src/platform/memory-locks.js';
import { mainThreadTimers } from '../../src/platform/timers.js';
import { timingOf } from '../../src/rules.js';
import { Leadership } from '../../src/sync/leadership.js';
import { CALL_BOUND_MS } from '../simulation/invariants.js';
import { pageFates } from '../simulation/pages.js';
import { freshClock, openWorld, outcomes, pass, tab } from '../simulation/scenario.js';

// Issue 16, items 4 and 6: a hung, frozen or slow tab never stalls the group, and is never
// robbed of a fetch it may still be making (R12, R26, R27). Scripted on the simulated browser,
// where a hung tab keeps its locks and runs what piled up when it thaws; every invariant (one
// fetch per key in flight, one in all with exclusiveFetch, no refresh token presented twice,
// every call settles within R27) is checked after every 10 ms.

afterEach(() => {
  vi.useRealTimers();
});

describe('R12: a leader stalled longer than the answer timeout confirms before it acts', () => {
  it('a leader whose lock was stolen while it hung acknowledges and fetches nothing of its backlog', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    pageFates.hang(world, leader, 1_500); // over the answer timeout (500 ms), under two polls
    world.call(follower, 'get', 'k');
    await pass(world, 3_000);
    expect(outcomes(world)).toEqual(['token']);
    expect(follower.cache.isLeader).toBe(true);
    expect(world.endpoint.requests.map((r) => r.tab)).toEqual([follower.id]);
    expect(leader.cache.stats().fetches).toBe(0);
    expect(world.posted.filter((m) => m.from === leader.id && m.type === 'ack')).toEqual([]);
  });

  it('a key fetch lock is not taken before its holder fetch could have timed out', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    world.call(follower, 'get', 'x'); // both hold a token: whichever leads polls
    await pass(world, 100);
    world.endpoint.latencyMs = 2_000; // under fetchTimeoutMs (3 s)
    world.call(leader, 'get', 'k');
    await pass(world, 20);
    pageFates.hang(world, leader, 1_000); // its request is at the server meanwhile
    world.call(follower, 'get', 'k'); // unanswered: the follower takes leadership
    await pass(world, 3_000);
    expect(follower.cache.isLeader).toBe(true);
    expect(world.endpoint.requests.filter((r) => r.key === 'k')).toHaveLength(1); // it waited for the holder's token
    expect(outcomes(world)).toEqual(['token', 'token', 'token']);
  });

  it('concurrent steals in one tab are one steal', async () => {
    freshClock();
    const locks = memoryLocks();
    const timing = timingOf(resolveOptions({ name: 'sim', fetchToken: () => '' }));
    const events: string[] = [];
    const lead = (id: string) =>
      new Leadership(
        locks,
        'leader',
        { onLead: () => events.push(`${id} leads`), onStepDown: () => events.push(`${id} steps down`) },
        systemClock,
        timing,
        mainThreadTimers(),
      );
    const holder = lead('holder');
    holder.join();
    await vi.advanceTimersByTimeAsync(0);
    const thief = lead('thief');
    thief.join();
    await Promise.all([thief.steal(), thief.steal(), thief.steal()]);
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['holder leads', 'holder steps down', 'thief leads']);
    expect(thief.isLeader).toBe(true);
  });
});

describe('R26: exclusiveFetch with a hung holder', () => {
  it('reads in another tab settle within the R27 bound and are served again; never two fetches at once', async () => {
    const world = await openWorld(2, true);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    world.endpoint.latencyMs = 1_000;
    world.call(leader, 'get', 'a');
    await pass(world, 20); // its fetch holds the exclusive lock
    pageFates.hang(world, leader, 12_000);
    for (let i = 0; i < 40; i++) {
      world.call(follower, 'get', 'b');
      await pass(world, 250);
    }
    const reads = world.calls.filter((c) => c.tab === follower);
    for (const c of reads) expect(c.settledAt, `read #${c.id}`).toBeDefined();
    for (const c of reads) expect((c.settledAt ?? 0) - c.startedAt).toBeLessThanOrEqual(CALL_BOUND_MS);
    expect(reads.at(-1)?.error).toBeUndefined(); // served again while the holder still hangs
    expect(follower.cache.peekToken('b')).not.toBeNull();
  });

  it('the holder keeps the lock until fetchToken settles, not merely until the library stops waiting', async () => {
    const world = await openWorld(1, true);
    const only = tab(world, 0);
    world.endpoint.mode = 'slow'; // 4 s: past fetchTimeoutMs (3 s)
    world.endpoint.ignoresAbort = true; // the app's fetchToken goes on after the abort
    world.call(only, 'get', 'a');
    await pass(world, 3_010);
    expect(outcomes(world)).toEqual(['fetch_failed']);
    const held = (await world.locks.query()).held.map((l) => l.name);
    expect(held).toContain('tab-token-cache:sim:fetch'); // its request is still at the server
    await pass(world, 600); // an answer timeout after the abort, the library lets go
    expect((await world.locks.query()).held.map((l) => l.name)).not.toContain('tab-token-cache:sim:fetch');
  });
});
