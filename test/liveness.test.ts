import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import type { Locks } from '../src/platform/locks.js';
import { across, closeNow, countingTimers, groupOf, leaders, recordingTransport } from './group.js';
import { pass, settledNow, useSimulatedTabs } from './helpers.js';

const tabs = useSimulatedTabs();
const { open, group, silenceableLeaderWith } = groupOf(tabs);

describe('R12: liveness on demand, steal from a leader that does not answer', () => {
  it('followers holding a stale token are served at once; one of them steals and fetches once for all', async () => {
    const { control, leader, followers } = await silenceableLeaderWith(3);
    const first = await leader.getToken();
    await pass(50);
    control.silence(true);
    await pass(51_000); // 8 s left: stale, and the leader is more than a poll late with it
    const served = await Promise.all(followers.map((f) => settledNow(f.getToken())));
    for (const s of served) expect(s).toEqual({ done: true, value: first });
    expect(tabs.server.requests).toBe(1);
    await pass(2_100); // the answer timeout (1 s), the steal; the frozen leader still holds the key lock: another 1 s
    expect(tabs.server.requests).toBe(2);
    expect(leaders(followers)).toHaveLength(1);
    expect(leader.isLeader).toBe(false);
    const next = followers[0]?.peekToken();
    expect(next).not.toBe(first);
    for (const f of followers) expect(f.peekToken()).toBe(next);
  });

  it('a follower whose question is acknowledged does not steal', async () => {
    const caches = await group(2);
    const leader = leaders(caches)[0] as TokenCache;
    const follower = caches.find((c) => c !== leader) as TokenCache;
    tabs.server.latencyMs = 3_000; // slower than the answer timeout: only the ack keeps the follower waiting
    const got = follower.getToken();
    await pass(3_100);
    expect(await got).toBe(leader.peekToken());
    expect(leader.isLeader).toBe(true);
    expect(follower.isLeader).toBe(false);
    expect(tabs.server.requests).toBe(1);
    expect(follower.stats().fetches).toBe(0);
  });

  it('a lone tab does not wait for an answer: its first miss fetches at once', async () => {
    const cache = tabs.open();
    const token = await settledNow(cache.getToken());
    expect(token.done).toBe(true);
    expect(tabs.server.requests).toBe(1);
  });
});

describe('R11: a place in the queue the browser refused', () => {
  it('a follower whose lock request was rejected queues again a poll later, and takes over when the leader goes', async () => {
    let refusals = 0;
    const refusing: Locks = {
      request: (name, options, callback) => {
        if (!name.endsWith(':leader') || options.steal || refusals === 0)
          return tabs.locks.request(name, options, callback);
        refusals--;
        return Promise.reject(
          new DOMException('The provided callback is no longer runnable.', 'InvalidStateError'),
        );
      },
      query: () => tabs.locks.query(),
    };
    const [leader] = await group(1);
    const token = await leader?.getToken();
    refusals = 2;
    const follower = open({}, { locks: refusing });
    await pass(100);
    expect(follower.peekToken()).toBe(token); // a follower with a token: it has no reason to ask
    expect((await tabs.locks.query()).pending).toHaveLength(0); // refused: in no queue
    await pass(10_000); // a poll later: refused again; another poll later: queued
    expect(refusals).toBe(0);
    expect((await tabs.locks.query()).pending).toHaveLength(1);
    await closeNow(leader as TokenCache);
    await pass(100);
    expect(follower.isLeader).toBe(true);
    expect(tabs.server.requests).toBe(1);
  });

  it('a browser that refuses every time costs one request per poll, not a loop', async () => {
    let requests = 0;
    const refusing: Locks = {
      request: (name, options, callback) => {
        if (!name.endsWith(':leader')) return tabs.locks.request(name, options, callback);
        requests++;
        return Promise.reject(
          new DOMException('The provided callback is no longer runnable.', 'InvalidStateError'),
        );
      },
      query: () => tabs.locks.query(),
    };
    const [leader] = await group(1);
    await leader?.getToken();
    open({}, { locks: refusing });
    await pass(50_000); // ten polls
    expect(requests).toBeGreaterThanOrEqual(10);
    expect(requests).toBeLessThanOrEqual(11);
  });
});

describe('R23: quiet followers', () => {
  it('an idle follower runs no interval and wakes only for news; the leader wakes once per poll', async () => {
    const leaderTimers = countingTimers();
    const leader = open({}, { timers: leaderTimers });
    await pass(200);
    const followerTimers = countingTimers();
    const channel = recordingTransport();
    const follower = open({}, { timers: followerTimers, openTransport: channel.openTransport });
    await pass(200);
    expect(leader.isLeader).toBe(true);
    await across(follower.getToken('k'), 100); // a first read, then the follower sits idle
    const wakeUpsBefore = followerTimers.wakeUps;
    const leaderWakeUpsBefore = leaderTimers.wakeUps;
    const receivedBefore = channel.received.length;
    for (let s = 0; s < 600; s += 10) {
      await pass(10_000);
      expect(leader.peekToken('k')).not.toBeNull(); // the app in the leader's tab keeps the key in use
    }
    expect(followerTimers.intervals).toEqual([]);
    // Ten minutes: at most the one wake-up that lets go of the key it stopped reading.
    expect(followerTimers.wakeUps - wakeUpsBefore).toBeLessThanOrEqual(1);
    const received = channel.received.slice(receivedBefore);
    expect(new Set(received)).toEqual(new Set(['token']));
    expect(received.length).toBeLessThanOrEqual(14); // one per refresh: 600 s / 45 s
    expect(channel.sent.slice(receivedBefore)).toEqual([]);
    expect(leaderTimers.intervals).toEqual([5_000]);
    expect(leaderTimers.wakeUps - leaderWakeUpsBefore).toBeLessThanOrEqual(120 + 2);
    expect(follower.peekToken('k')).toBe(leader.peekToken('k'));
  });

  it('a leader holding no token runs no timer at all', async () => {
    const timers = countingTimers();
    const leader = open({}, { timers });
    await pass(60_000);
    expect(leader.isLeader).toBe(true);
    expect(timers.wakeUps).toBe(0);
  });
});
