import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchLifecycle } from '../../src/platform/lifecycle.js';
import { CALL_BOUND_MS } from '../simulation/invariants.js';
import { pageFates } from '../simulation/pages.js';
import { openWorld, outcomes, pass, tab } from '../simulation/scenario.js';

// Issue 16, items 3, 5 and 6: idle keys stay idle through tab switches (R21); one token from a
// server whose clock stepped ahead does not wedge its key (R6); a page that leaves with a
// question pending does not turn it into a fetch of its own (R22); Page Lifecycle's freeze and
// resume leave and rejoin the group as pagehide and pageshow do.

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('R21: tab switches do not refetch idle keys', () => {
  it('a follower that read five keys, now idle and unservable: visibility and online events cost nothing', async () => {
    const world = await openWorld(2);
    const follower = tab(world, 1);
    for (const key of ['a', 'b', 'c', 'd', 'e']) world.call(follower, 'get', key);
    await pass(world, 100);
    expect(world.endpoint.requests).toHaveLength(5);
    await pass(world, 40_000, 100); // idle (15 s) and unservable (20 s tokens)
    for (let i = 0; i < 3; i++) {
      pageFates.revalidate(world, follower, 0);
      await pass(world, 2_000);
    }
    expect(world.endpoint.requests).toHaveLength(5);
    expect(follower.cache.stats().keys).toBe(0); // and the follower let them go
  });
});

describe('R6: one token from a clock a day ahead', () => {
  it('the key recovers at one request per refresh; no read waits past the R27 bound', async () => {
    const world = await openWorld(2);
    const follower = tab(world, 1);
    world.endpoint.mode = 'skew-once';
    for (let i = 0; i < 300; i++) {
      world.call(follower, 'get', 'k');
      await pass(world, 200); // a read every 200 ms for a minute: three token lives
    }
    const reads = world.calls.filter((c) => c.tab === follower);
    for (const c of reads)
      expect((c.settledAt ?? Number.POSITIVE_INFINITY) - c.startedAt).toBeLessThanOrEqual(CALL_BOUND_MS);
    expect(new Set(outcomes(world))).toEqual(new Set(['token']));
    // The skewed token blocks replacement while servable: the leader retries each poll of its
    // stale window (4 s), then one request per lifetime.
    expect(world.endpoint.requests.length).toBeLessThanOrEqual(3 * 5);
  });
});

describe('R22: a page that leaves with a question pending', () => {
  it('neither steals nor fetches for it; the call goes on when the page is back', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    pageFates.hang(world, leader, 300);
    world.call(follower, 'get', 'k');
    await pass(world, 100);
    pageFates.away(world, follower, 2_000); // before its question times out
    await pass(world, 1_000);
    expect(world.endpoint.requests.filter((r) => r.tab === follower.id)).toEqual([]);
    expect(leader.cache.isLeader).toBe(true);
    await pass(world, 1_500);
    expect(outcomes(world)).toEqual(['token']);
    expect(world.endpoint.requests.map((r) => r.tab)).toEqual([leader.id]);
  });
});

describe('Page Lifecycle: freeze and resume', () => {
  it('freeze leaves the group like pagehide, resume rejoins like pageshow', () => {
    const doc = new EventTarget();
    const win = new EventTarget();
    vi.stubGlobal('document', doc);
    vi.stubGlobal('window', win);
    const calls: string[] = [];
    const { stop } = watchLifecycle({
      revalidate: () => calls.push('revalidate'),
      hide: () => calls.push('hide'),
      show: () => calls.push('show'),
    });
    doc.dispatchEvent(new Event('freeze'));
    doc.dispatchEvent(new Event('resume'));
    stop();
    doc.dispatchEvent(new Event('freeze'));
    expect(calls).toEqual(['hide', 'show']);
  });

  it('a frozen leader hands over at once, and rejoins as a follower when resumed', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    leader.runtime.lifecycle('hide'); // what `freeze` does
    await pass(world, 10);
    expect(follower.cache.isLeader).toBe(true);
    leader.runtime.lifecycle('show'); // what `resume` does
    await pass(world, 10);
    expect(leader.cache.isLeader).toBe(false);
    world.call(leader, 'get', 'k');
    await pass(world, 100);
    expect(world.endpoint.requests.map((r) => r.tab)).toEqual([follower.id]);
  });
});
