import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWorld, outcomes, pass, tab } from '../simulation/scenario.js';

// R29 on the simulated browser: the endpoint says the session is gone while the group holds
// tokens for other keys; every invariant is checked after every 10 ms (a server sign-out is a
// sign-out for I2: nothing fetched before it is served after it).

afterEach(() => {
  vi.useRealTimers();
});

describe('R29: a sign-out by the server', () => {
  it("drops every key's token in every tab, and the next read fetches anew", async () => {
    const world = await openWorld(3);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    world.call(follower, 'get', 'a');
    world.call(leader, 'get', 'b');
    await pass(world, 200);
    world.endpoint.mode = 'revoked';
    world.call(follower, 'force', 'b');
    await pass(world, 200);
    expect(outcomes(world)).toEqual(['token', 'token', 'signed_out']);
    for (const t of world.tabs) expect(t.cache.peekToken('a')).toBeNull();
    world.endpoint.mode = 'ok';
    world.call(tab(world, 2), 'get', 'a');
    world.call(follower, 'get', 'a');
    await pass(world, 300);
    expect(outcomes(world).slice(3)).toEqual(['token', 'token']);
  });

  it('a refresh in flight for another key when the server signs the group out is dropped', async () => {
    const world = await openWorld(2);
    const [leader, follower] = [tab(world, 0), tab(world, 1)];
    world.call(leader, 'get', 'a');
    await pass(world, 100);
    world.endpoint.latencyMs = 500; // 'b' is on its way when the sign-out comes
    world.call(follower, 'get', 'b');
    await pass(world, 100);
    world.endpoint.mode = 'revoked';
    world.endpoint.latencyMs = 20;
    world.call(leader, 'force', 'a');
    await pass(world, 2_000);
    expect(outcomes(world)).toEqual(['token', 'signed_out', 'signed_out']);
    for (const t of world.tabs) {
      expect(t.cache.peekToken('a')).toBeNull();
      expect(t.cache.peekToken('b')).toBeNull();
    }
  });
});
