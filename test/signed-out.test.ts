import { BroadcastChannel } from 'broadcast-channel';
import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import { signedOut, TokenCacheError } from '../src/errors.js';
import { encode } from '../src/wire/protocol.js';
import { across, eventsOf, groupOf } from './group.js';
import { pass, useSimulatedTabs } from './helpers.js';

// R29: fetchToken throwing signedOut(reason) signs the whole group out; any other failure is an
// outage (R5, R24), never a sign-out.

const tabs = useSimulatedTabs();
const { open } = groupOf(tabs);

/** The token endpoint of these tests: `revoked` makes it say the session is gone. */
function endpoint() {
  const state = { revoked: false, requests: 0 };
  const fetchToken = (key: string, context: { signal: AbortSignal }) => {
    state.requests++;
    if (state.revoked) throw signedOut('refresh token revoked');
    return tabs.server.fetchToken(key, context);
  };
  return { state, fetchToken };
}

const clears = (cache: TokenCache) => eventsOf(cache, 'clear');

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (error: unknown) => error as TokenCacheError,
  );

describe('R29: the endpoint says the session is gone', () => {
  it("every tab drops every token and says so (origin 'server', the reason); every caller rejects signed_out", async () => {
    const { state, fetchToken } = endpoint();
    const options = { fetchToken, refreshLeewaySeconds: 15 };
    const leader = open(options);
    await pass(200);
    const follower = open(options);
    await pass(200);
    expect(leader.isLeader).toBe(true);
    await across(follower.getToken('a'), 100);
    expect(follower.peekToken('a')).not.toBeNull();
    const [leaderClears, followerClears] = [clears(leader), clears(follower)];
    state.revoked = true;
    const inLeader = rejection(leader.getToken('b'));
    const inFollower = rejection(follower.getToken('b'));
    await pass(100);
    for (const error of [await inLeader, await inFollower]) {
      expect(error).toBeInstanceOf(TokenCacheError);
      expect(error?.code).toBe('signed_out');
      expect(error?.reason).toBe('refresh token revoked');
    }
    expect(leaderClears).toEqual([{ origin: 'server', reason: 'refresh token revoked' }]);
    expect(followerClears).toEqual([{ origin: 'server', reason: 'refresh token revoked' }]);
    expect(leader.peekToken('a')).toBeNull();
    expect(follower.peekToken('a')).toBeNull();
    expect(state.requests).toBe(2); // 'a' once, 'b' once: the sign-out is not retried
  });

  it('a background refresh told the session is gone signs the group out too; signed in again, the next read fetches', async () => {
    const { state, fetchToken } = endpoint();
    const leader = open({ fetchToken });
    await pass(200);
    const follower = open({ fetchToken });
    await pass(200);
    await across(leader.getToken(), 100);
    await pass(200);
    expect(follower.peekToken()).not.toBeNull();
    const seen = clears(follower);
    const errors: unknown[] = [];
    leader.on('error', (e) => errors.push(e));
    state.revoked = true;
    await pass(50_000); // stale at 45 s: the leader's refresh is refused
    expect(seen).toEqual([{ origin: 'server', reason: 'refresh token revoked' }]);
    expect(follower.peekToken()).toBeNull();
    expect(leader.peekToken()).toBeNull();
    expect(errors).toEqual([]); // a sign-out, not a failure
    state.revoked = false; // signed in again
    await expect(across(follower.getToken(), 100)).resolves.toMatch(/\./);
  });

  it('any other failure is an outage: the stale token is served, no sign-out', async () => {
    const leader = open();
    await pass(200);
    await across(leader.getToken(), 100);
    const seen = clears(leader);
    tabs.server.mode = 'fail';
    await pass(47_000);
    expect(leader.peekToken()).not.toBeNull();
    expect(seen).toEqual([]);
    await pass(10_000); // past the cutoff: fetch_failed, still no sign-out
    const error = await rejection(leader.getToken());
    expect(error?.code).toBe('fetch_failed');
    expect(seen).toEqual([]);
  });

  it('signedOut keeps a short reason', () => {
    const error = signedOut('x'.repeat(1_000));
    expect(error.code).toBe('signed_out');
    expect(error.reason).toHaveLength(200);
    expect(error.message).toMatch(/sign in again/);
  });

  it("another tab's clear with a reason over 200 characters is dropped and counted", async () => {
    const tab = open();
    await pass(200);
    await across(tab.getToken(), 100);
    const seen = clears(tab);
    const peer = new BroadcastChannel('tab-token-cache:test');
    const head = { name: 'test', from: 'mallory', epoch: 0 };
    void peer.postMessage(encode(head, 'clear', { reason: 'x'.repeat(201) }));
    await pass(50);
    expect(seen).toEqual([]);
    expect(tab.peekToken()).not.toBeNull();
    expect(tab.stats().messagesRejected).toBe(1);
    await across(peer.close());
  });
});
