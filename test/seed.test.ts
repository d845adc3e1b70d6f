import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import type { TokenCacheError } from '../src/errors.js';
import { across, eventsOf, groupOf } from './group.js';
import { makeJwt, pass, useSimulatedTabs } from './helpers.js';

// R31: seed(key, jwt) — a token the app already holds (its server rendered it into the page) is
// validated like a fetched one (R15), kept and broadcast if newer than the held one (R6), and no
// fetch is made for it.

const tabs = useSimulatedTabs();
const { open } = groupOf(tabs);

const tokenEvents = (cache: TokenCache) => eventsOf(cache, 'token');

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'kept',
    (error: unknown) => (error as TokenCacheError).code,
  );

/** A token minted now by the app's server, `ttl` seconds long, for `sub`. */
function minted(ttl = 60, sub = 'user_1', offsetSeconds = 0): string {
  const iat = Math.floor(Date.now() / 1000) + offsetSeconds;
  return makeJwt({ sub, iat, exp: iat + ttl, jti: `ssr-${iat}-${sub}` });
}

describe('R31: seed', () => {
  it('a seeded page serves the token and shares it: the group makes 0 requests', async () => {
    const other = open();
    await pass(200);
    const seededTab = tabs.open();
    const [seenHere, seenThere] = [tokenEvents(seededTab), tokenEvents(other)];
    const jwt = minted();
    await expect(seededTab.seed('default', jwt)).resolves.toBe(true);
    await pass(100);
    expect(await seededTab.getToken()).toBe(jwt);
    expect(await other.getToken()).toBe(jwt);
    expect(tabs.server.requests).toBe(0);
    expect(seenHere.map((e) => e.source)).toEqual(['seed']);
    expect(seenThere.map((e) => e.source)).toEqual(['broadcast']);
  });

  it('a read made while the seed is checked (an async verifyToken) waits for it, and fetches nothing', async () => {
    const verifyToken = () => new Promise<void>((resolve) => setTimeout(resolve, 200));
    const tab = tabs.open({ verifyToken });
    const jwt = minted();
    void tab.seed('default', jwt);
    const read = tab.getToken(); // no await between: as an app that seeds, then renders
    await pass(300);
    expect(await read).toBe(jwt);
    expect(tabs.server.requests).toBe(0);
  });

  it('a read waiting on a seed whose verifyToken hangs still settles within the R27 bound', async () => {
    const tab = tabs.open({ verifyToken: () => new Promise<void>(() => {}) });
    void tab.seed('default', minted());
    const read = codeOf(tab.getToken());
    await pass(20_000); // fetchTimeoutMs + 2 answer timeouts + a poll: 10 + 2 × 1 + 5 s
    expect(await read).toBe('fetch_failed');
  });

  it('a seeded token older than the one held is not kept (R6)', async () => {
    const a = open();
    await pass(200);
    const held = await across(a.getToken(), 100);
    const older = minted(60, 'user_1', -5);
    await expect(a.seed('default', older)).resolves.toBe(false);
    expect(a.peekToken()).toBe(held);
  });

  it('a bad seeded token gets the error a fetched one would, and nothing is kept or shared', async () => {
    const verifyToken = (jwt: string) => {
      if (jwt === forged) throw new Error('bad signature');
    };
    const forged = minted(60, 'mallory');
    const a = open({ verifyToken });
    await pass(200);
    const b = open({ verifyToken });
    await pass(200);
    const seen = tokenEvents(b);
    expect(await codeOf(a.seed('default', 'not-a-jwt'))).toBe('invalid_token');
    expect(await codeOf(a.seed('default', makeJwt({ iat: 1 })))).toBe('invalid_token');
    expect(await codeOf(a.seed('default', minted(5)))).toBe('token_ttl_too_short');
    expect(await codeOf(a.seed('default', forged))).toBe('verification_failed');
    expect(await codeOf(a.seed('', minted()))).toBe('invalid_options');
    await pass(100);
    expect(a.peekToken()).toBeNull();
    expect(seen).toEqual([]);
  });

  it("its life is counted from the page's start, and never past its exp on this machine's clock", async () => {
    const a = open();
    await pass(30_000); // the page has been open 30 s
    const seen = tokenEvents(a);
    await a.seed('default', minted(60));
    // 60 s - 1 s (iat's rounding) - 30 s since the page started
    expect(seen[0]?.expiresAt).toBe(Date.now() + 29_000);
    // From a server whose clock is an hour behind: already expired by this machine's clock.
    expect(await codeOf(a.seed('k2', minted(600, 'user_1', -3_600)))).toBe('token_ttl_too_short');
  });

  it('a sign-out while the seeded token is verified overtakes it: cleared, nothing kept', async () => {
    let release: () => void = () => {};
    const verifyToken = () =>
      new Promise<void>((resolve) => {
        release = resolve;
      });
    const a = open({ verifyToken });
    await pass(200);
    const seeding = codeOf(a.seed('default', minted()));
    await pass(10);
    a.clear();
    release();
    expect(await seeding).toBe('cleared');
    expect(a.peekToken()).toBeNull();
  });

  it('a seeded token of another user says so (R30); after close() seed rejects closed', async () => {
    const a = open();
    await pass(200);
    await across(a.getToken(), 100);
    const seen: unknown[] = [];
    a.on('identity', (e) => seen.push(e));
    await a.seed('default', minted(60, 'user_2', 1));
    expect(seen).toEqual([{ previous: 'user_1', current: 'user_2' }]);
    const closing = a.close();
    await pass(50);
    await closing;
    expect(await codeOf(a.seed('default', minted()))).toBe('closed');
  });
});
