import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import { across, closeNow, eventsOf, fakeLifecycle, groupOf } from './group.js';
import { pass, useSimulatedTabs } from './helpers.js';

// R30: the `leader` event says why leadership changed.

const tabs = useSimulatedTabs();
const { open, silenceableLeaderWith } = groupOf(tabs);

const leaderEvents = (cache: TokenCache) => eventsOf(cache, 'leader');

describe('R30: why leadership changed', () => {
  it("the first tab is 'elected'; when it closes, the next 'took-over'", async () => {
    const a = tabs.open();
    const seenA = leaderEvents(a);
    a.peekToken();
    await pass(200);
    const b = tabs.open();
    const seenB = leaderEvents(b);
    b.peekToken();
    await pass(200);
    expect(seenA).toEqual([{ isLeader: true, reason: 'elected' }]);
    expect(seenB).toEqual([]);
    await closeNow(a);
    await pass(100);
    expect(seenA).toEqual([
      { isLeader: true, reason: 'elected' },
      { isLeader: false, reason: 'left' },
    ]);
    expect(seenB).toEqual([{ isLeader: true, reason: 'took-over' }]);
  });

  it("a leader that does not answer is 'stolen' from; the follower 'stole'", async () => {
    const { control, leader, followers } = await silenceableLeaderWith(1);
    const follower = followers[0] as TokenCache;
    const [seenLeader, seenFollower] = [leaderEvents(leader), leaderEvents(follower)];
    control.silence(true);
    await across(follower.getToken(), 3_000);
    expect(seenFollower).toEqual([{ isLeader: true, reason: 'stole' }]);
    expect(seenLeader).toEqual([{ isLeader: false, reason: 'stolen' }]);
  });

  it("a leader whose page leaves (pagehide, freeze) says 'left'; back, it leads again only if nobody does", async () => {
    const life = fakeLifecycle();
    const a = open({}, { watchLifecycle: life.watch });
    await pass(200);
    const b = open();
    await pass(200);
    const [seenA, seenB] = [leaderEvents(a), leaderEvents(b)];
    life.hide();
    await pass(100);
    expect(seenA).toEqual([{ isLeader: false, reason: 'left' }]);
    expect(seenB).toEqual([{ isLeader: true, reason: 'took-over' }]);
    life.show();
    await pass(100);
    expect(seenA).toEqual([{ isLeader: false, reason: 'left' }]);
  });
});
