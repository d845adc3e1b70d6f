import { describe, expect, it } from 'vitest';
import type { TokenCache } from '../src/create.js';
import { across, eventsOf, groupOf } from './group.js';
import { makeJwt, pass, useSimulatedTabs } from './helpers.js';

// R30: every tab emits `identity { previous, current }` once when a token arrives whose identity
// (identityOf, default `sub`) differs from the one it held.

const tabs = useSimulatedTabs();
const { open } = groupOf(tabs);

/** A token endpoint whose signed-in user the test switches. */
function endpoint(claims: () => Record<string, unknown>) {
  let n = 0;
  return (key: string) => {
    const iat = Math.floor(Date.now() / 1000);
    n++;
    return makeJwt({ ...claims(), key, iat, exp: iat + 60, jti: `jti-${n}` });
  };
}

const identities = (cache: TokenCache) => eventsOf(cache, 'identity');

describe('R30: the identity event', () => {
  it('another user signs in in one tab: every tab says so once, however many keys follow', async () => {
    let user = 'user_1';
    const fetchToken = endpoint(() => ({ sub: user }));
    const a = open({ fetchToken });
    await pass(200);
    const b = open({ fetchToken });
    await pass(200);
    const [seenA, seenB] = [identities(a), identities(b)];
    await across(b.getToken('k1'), 100);
    expect(seenA).toEqual([]); // the first identity a tab learns is not a change
    expect(seenB).toEqual([]);
    user = 'user_2'; // signed in as someone else in tab b
    b.clear();
    await across(b.getToken('k1'), 100);
    await across(b.getToken('k2'), 100);
    await across(a.getToken('k2'), 100);
    expect(seenA).toEqual([{ previous: 'user_1', current: 'user_2' }]);
    expect(seenB).toEqual([{ previous: 'user_1', current: 'user_2' }]);
    user = 'user_1'; // and back, without a sign-out (a forced refresh)
    await across(a.getToken('k1', { forceRefresh: true }), 100);
    expect(seenA).toEqual([
      { previous: 'user_1', current: 'user_2' },
      { previous: 'user_2', current: 'user_1' },
    ]);
    expect(seenB).toEqual(seenA);
  });

  it('the same user signing in again after a sign-out is no change', async () => {
    const a = open();
    await pass(200);
    const seen = identities(a);
    await across(a.getToken(), 100);
    a.clear();
    await across(a.getToken(), 100);
    expect(seen).toEqual([]);
  });

  it('identityOf names the identity; a token it names none for changes nothing', async () => {
    let claims: Record<string, unknown> = { sub: 'service', tenant: 't1' };
    const fetchToken = endpoint(() => claims);
    const identityOf = (c: Record<string, unknown>) => (typeof c.tenant === 'string' ? c.tenant : undefined);
    const a = open({ fetchToken, identityOf });
    await pass(200);
    const seen = identities(a);
    await across(a.getToken('k1'), 100);
    claims = { sub: 'service' }; // names no tenant
    await across(a.getToken('k2'), 100);
    claims = { sub: 'service', tenant: 't2' };
    await across(a.getToken('k3'), 100);
    expect(seen).toEqual([{ previous: 't1', current: 't2' }]);
  });

  it('an identityOf that throws names no identity and breaks nothing', async () => {
    const a = open({
      identityOf: () => {
        throw new Error('bug');
      },
    });
    await pass(200);
    const seen = identities(a);
    await expect(across(a.getToken(), 100)).resolves.toMatch(/\./);
    expect(seen).toEqual([]);
  });
});
