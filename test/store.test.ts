import { describe, expect, it } from 'vitest';
import type { Instant } from '../src/core/clock.js';
import { type Entry, expiresAt, remainingMs, TokenStore } from '../src/core/store.js';

const T0: Instant = { wall: 1_767_225_600_000, mono: 1_000 };

/** `ms` later on both clocks. */
function later(ms: number, from: Instant = T0): Instant {
  return { wall: from.wall + ms, mono: from.mono + ms };
}

function entry(over: Partial<Entry> = {}): Entry {
  return {
    key: 'k',
    token: 'jwt-a',
    iat: 100,
    exp: 160,
    lifeMs: 59_000,
    since: T0,
    epoch: 0,
    source: 'fetch',
    ...over,
  };
}

/** Leeway 15 s, cutoff 5 s (the defaults). */
function store(): TokenStore {
  return new TokenStore({ leewayMs: 15_000, cutoffMs: 5_000 });
}

describe('freshness: <= cutoff is unservable, <= leeway is stale, else fresh', () => {
  it.each([
    [59_000, 'fresh'],
    [15_001, 'fresh'],
    [15_000, 'stale'],
    [10_000, 'stale'],
    [5_001, 'stale'],
    [5_000, 'unservable'],
    [1, 'unservable'],
    [0, 'unservable'],
    [-10_000, 'unservable'],
  ] as const)('remaining %d ms is %s', (remaining, freshness) => {
    expect(store().freshness(remaining)).toBe(freshness);
  });

  it.each([
    [0, 59_000, 'fresh', true],
    [43_999, 15_001, 'fresh', true],
    [44_000, 15_000, 'stale', true],
    [53_999, 5_001, 'stale', true],
    [54_000, 5_000, 'unservable', false],
    [70_000, -11_000, 'unservable', false],
  ] as const)(
    'a 59 s token read %d ms after it was fetched has %d ms left: %s, servable %s',
    (age, remaining, freshness, servable) => {
      const s = store();
      const e = entry();
      s.offer(e, T0);
      expect(s.read('k', later(age))).toEqual({ entry: e, remainingMs: remaining, freshness });
      expect(s.servable('k', later(age))).toBe(servable ? e : undefined);
    },
  );

  it('reads nothing for a key it does not hold', () => {
    const s = store();
    s.offer(entry({ key: 'a' }), T0);
    expect(s.read('b', T0)).toBeUndefined();
    expect(s.servable('b', T0)).toBeUndefined();
  });
});

describe('remaining life: elapsed time is the larger of the wall and monotonic clocks', () => {
  it.each([
    ['both clocks advance 10 s', { wall: T0.wall + 10_000, mono: T0.mono + 10_000 }, 49_000],
    [
      'wall set back an hour, 10 s of monotonic time',
      { wall: T0.wall - 3_600_000, mono: T0.mono + 10_000 },
      49_000,
    ],
    ['wall set back, monotonic unchanged', { wall: T0.wall - 60_000, mono: T0.mono }, 59_000],
    [
      'wall jumps 40 s ahead (sleep), monotonic 1 s',
      { wall: T0.wall + 40_000, mono: T0.mono + 1_000 },
      19_000,
    ],
    ['wall jumps an hour ahead', { wall: T0.wall + 3_600_000, mono: T0.mono + 1 }, -3_541_000],
    [
      'both clocks behind the reading (never negative elapsed)',
      { wall: T0.wall - 5, mono: T0.mono - 5 },
      59_000,
    ],
  ])('%s -> %d ms left', (_, now, left) => {
    expect(remainingMs(entry(), now)).toBe(left);
  });

  it('a wall clock set back never makes a stale token fresh again', () => {
    const s = store();
    s.offer(entry(), T0);
    const stale = later(50_000);
    expect(s.read('k', stale)?.freshness).toBe('stale');
    const setBack = { wall: stale.wall - 3_600_000, mono: stale.mono + 1 };
    expect(s.read('k', setBack)).toMatchObject({ remainingMs: 8_999, freshness: 'stale' });
  });

  it('a wall clock jump ahead ages the token to unservable', () => {
    const s = store();
    s.offer(entry(), T0);
    expect(s.servable('k', { wall: T0.wall + 55_000, mono: T0.mono + 1_000 })).toBeUndefined();
  });

  it('expiresAt is the wall-clock moment the entry stops being usable', () => {
    expect(expiresAt(entry(), T0)).toBe(T0.wall + 59_000);
    expect(expiresAt(entry(), later(9_000))).toBe(T0.wall + 59_000);
    // wall set back 1 h while 9 s passed: the wall-clock expiry moves back with the wall clock
    expect(expiresAt(entry(), { wall: T0.wall - 3_600_000, mono: T0.mono + 9_000 })).toBe(
      T0.wall - 3_600_000 + 50_000,
    );
  });
});

describe('offer: an older iat never replaces a newer one (R6)', () => {
  it('stores into an empty slot', () => {
    const s = store();
    expect(s.offer(entry(), T0)).toBe('stored');
    expect(s.read('k', T0)?.entry.token).toBe('jwt-a');
  });

  it.each<[string, Partial<Entry>, 'stored' | 'older' | 'same', string]>([
    ['an older iat is rejected', { token: 'jwt-old', iat: 99, exp: 200, lifeMs: 99_000 }, 'older', 'jwt-a'],
    ['the same token again is not stored twice', { lifeMs: 90_000 }, 'same', 'jwt-a'],
    [
      'the same iat with less remaining life is kept out',
      { token: 'jwt-b', lifeMs: 58_000 },
      'same',
      'jwt-a',
    ],
    // A token fetched later (a forceRefresh after a 401) wins a tie: the one it replaces may be revoked.
    [
      'the same iat with equal remaining life replaces (the later one wins)',
      { token: 'jwt-b' },
      'stored',
      'jwt-b',
    ],
    [
      'the same iat with more remaining life replaces',
      { token: 'jwt-b', exp: 170, lifeMs: 69_000 },
      'stored',
      'jwt-b',
    ],
    ['a newer iat replaces', { token: 'jwt-c', iat: 101, exp: 161, lifeMs: 59_000 }, 'stored', 'jwt-c'],
    [
      'a newer iat replaces even with less life left',
      { token: 'jwt-d', iat: 130, exp: 140, lifeMs: 9_000 },
      'stored',
      'jwt-d',
    ],
  ])('%s', (_, over, result, held) => {
    const s = store();
    s.offer(entry(), T0);
    expect(s.offer(entry(over), later(1_000))).toBe(result);
    expect(s.read('k', later(1_000))?.entry.token).toBe(held);
    expect(s.size).toBe(1);
  });

  it('compares remaining life at the time of the offer, not lifeMs', () => {
    const s = store();
    s.offer(entry(), T0); // 59 s from T0
    // same iat, 50 s of life counted from 10 s later: 60 s total, more than the held one
    const newer = entry({ token: 'jwt-b', lifeMs: 50_000, since: later(10_000) });
    expect(s.offer(newer, later(10_000))).toBe('stored');
    // same iat, 48 s from 10 s later: 58 s total, less
    const s2 = store();
    s2.offer(entry(), T0);
    expect(s2.offer(entry({ token: 'jwt-b', lifeMs: 48_000, since: later(10_000) }), later(10_000))).toBe(
      'same',
    );
  });

  it('keys are isolated (R7)', () => {
    const s = store();
    expect(s.offer(entry({ key: 'a', iat: 200, token: 'a-new' }), T0)).toBe('stored');
    expect(s.offer(entry({ key: 'b', iat: 100, token: 'b-old' }), T0)).toBe('stored');
    expect(s.keys()).toEqual(['a', 'b']);
    expect(s.size).toBe(2);
  });
});

describe('a spare: the older-issued token refused while a newer one was servable (R6)', () => {
  it('takes over when the held one can no longer be served, instead of a fetch', () => {
    const s = store();
    s.offer(entry({ token: 'ahead', iat: 86_500, lifeMs: 20_000 }), T0); // issued a day ahead
    expect(
      s.offer(entry({ token: 'true', iat: 100, lifeMs: 59_000, since: later(10_000) }), later(10_000)),
    ).toBe('older');
    expect(s.read('k', later(10_000))?.entry.token).toBe('ahead');
    expect(s.read('k', later(15_000))?.entry.token).toBe('true'); // 'ahead' has 5 s left: unservable
    expect(s.servable('k', later(15_000))?.token).toBe('true');
  });

  it('goes with a sign-out and with its key', () => {
    const s = store();
    s.offer(entry({ token: 'ahead', iat: 86_500, lifeMs: 20_000 }), T0);
    s.offer(entry({ token: 'true', iat: 100, since: later(10_000) }), later(10_000));
    s.clear();
    s.offer(entry({ token: 'ahead', iat: 86_500, lifeMs: 20_000 }), T0);
    expect(s.read('k', later(15_000))?.entry.token).toBe('ahead');
  });
});

describe('delete and clear', () => {
  it('delete drops one key; an older token may then be stored again', () => {
    const s = store();
    s.offer(entry({ key: 'a', iat: 200 }), T0);
    s.offer(entry({ key: 'b' }), T0);
    s.delete('a');
    expect(s.keys()).toEqual(['b']);
    expect(s.offer(entry({ key: 'a', iat: 100 }), T0)).toBe('stored');
  });

  it('clear drops every key', () => {
    const s = store();
    s.offer(entry({ key: 'a' }), T0);
    s.offer(entry({ key: 'b' }), T0);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.keys()).toEqual([]);
    expect(s.read('a', T0)).toBeUndefined();
  });
});
