import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';
import {
  answerTimeoutMs,
  arrivalWaitMs,
  backoffMs,
  callBoundMs,
  EPOCH_AHEAD_MS,
  epochCeiling,
  epochOf,
  idleCheckInMs,
  isIdle,
  leaderLate,
  lockGraceMs,
  lockStealAfterMs,
  millisecondOf,
  mustConfirmLead,
  outageWindowMs,
  peerForceWindowMs,
  refreshGapMs,
  type Timing,
  timingOf,
} from '../src/rules.js';

/** The default options in the library's units: poll 5 s, leeway 15 s, cutoff 5 s, idle 600 s. */
const defaults: Timing = {
  pollMs: 5_000,
  leewayMs: 15_000,
  cutoffMs: 5_000,
  fetchTimeoutMs: 10_000,
  idleMs: 600_000,
  answerTimeoutMs: 1_000,
  lockGraceMs: 1_000,
};

const fetchToken = () => 'unused';

describe('answerTimeoutMs and lockGraceMs: half a poll, clamped to 50..1000 ms', () => {
  it.each([
    [1, 50],
    [50, 50],
    [99, 50],
    [100, 50],
    [101, 50.5],
    [500, 250],
    [1_000, 500],
    [1_999, 999.5],
    [2_000, 1_000],
    [2_001, 1_000],
    [5_000, 1_000],
    [60_000, 1_000],
  ])('answerTimeoutMs(poll %s) is %s', (poll, expected) => {
    expect(answerTimeoutMs(poll)).toBe(expected);
  });

  it.each([
    [10, 50],
    [100, 50],
    [400, 200],
    [2_000, 1_000],
    [5_000, 1_000],
  ])('lockGraceMs(poll %d) is %d', (poll, expected) => {
    expect(lockGraceMs(poll)).toBe(expected);
  });
});

describe('backoffMs: 1, 2, 4, 8, 16 polls after a failure, minus half a poll', () => {
  it.each([
    [0, 0.5],
    [1, 0.5],
    [2, 1.5],
    [3, 3.5],
    [4, 7.5],
    [5, 15.5],
    [6, 15.5],
    [10, 15.5],
    [100, 15.5],
  ])('after %s failures waits %s polls', (failures, polls) => {
    expect(backoffMs(failures, 1_000)).toBe(polls * 1_000);
    expect(backoffMs(failures, 5_000)).toBe(polls * 5_000);
  });

  it('grows monotonically and never exceeds 16 polls', () => {
    let previous = 0;
    for (let failures = 1; failures <= 40; failures++) {
      const ms = backoffMs(failures, 5_000);
      expect(ms).toBeGreaterThanOrEqual(previous);
      expect(ms).toBeLessThan(16 * 5_000);
      previous = ms;
    }
    expect(previous).toBe(77_500);
  });
});

describe('outageWindowMs: one request per key per poll (R24)', () => {
  it.each([
    [500, 500],
    [5_000, 5_000],
  ])('is the poll interval: %d -> %d', (poll, expected) => {
    expect(outageWindowMs(poll)).toBe(expected);
  });
});

describe('leaderLate: stale for more than a poll (leeway - remaining > poll)', () => {
  // leeway 15 s, poll 5 s: late once remaining < 10 s.
  it.each([
    [20_000, false], // fresh
    [15_000, false], // just stale
    [10_001, false],
    [10_000, false], // stale exactly one poll: a working leader may still be on it
    [9_999, true],
    [5_001, true],
    [0, true],
  ])('remaining %d ms -> %s', (remaining, late) => {
    expect(leaderLate(remaining, defaults)).toBe(late);
  });

  it('scales with the poll interval', () => {
    const fast: Timing = { ...defaults, pollMs: 500, leewayMs: 1_500 };
    expect(leaderLate(1_000, fast)).toBe(false);
    expect(leaderLate(999, fast)).toBe(true);
  });
});

describe('mustConfirmLead: a leader confirms after a stall, or before answering an old question (R12)', () => {
  it.each([
    [0, undefined, false],
    [5_000, undefined, false], // idle between two polls
    [6_000, undefined, false],
    [6_001, undefined, true], // a poll and an answer timeout late: it was stalled
    [100, 1_000, false],
    [100, 1_001, true], // the asker may have given up and stolen
    [3_600_000, 0, true],
  ])('gap %d ms, question %s ms old (poll 5000, answer 1000) -> %s', (gap, age, confirm) => {
    expect(mustConfirmLead(gap, age, defaults)).toBe(confirm);
  });
});

describe('the edge bounds: lock steals (R12, R26), the call bound (R27), peer force (R28)', () => {
  it('a fetch lock is taken only past its holder fetch timeout, plus an answer timeout', () => {
    expect(lockStealAfterMs(defaults)).toBe(11_000);
    expect(lockStealAfterMs({ ...defaults, fetchTimeoutMs: 3_000, answerTimeoutMs: 250 })).toBe(3_250);
  });
  it('every call settles within fetchTimeoutMs + 2 answer timeouts + one poll', () => {
    expect(callBoundMs(defaults)).toBe(17_000);
    expect(callBoundMs({ ...defaults, pollMs: 500, answerTimeoutMs: 250, fetchTimeoutMs: 3_000 })).toBe(
      4_000,
    );
  });
  it('a refresh that brought nothing better is tried again after most of a poll', () => {
    expect(refreshGapMs(5_000)).toBe(4_500);
  });
  it('a peer forces one fetch per key per poll', () => {
    expect(peerForceWindowMs(5_000)).toBe(5_000);
  });
  it('a sign-out epoch is never adopted further than a day ahead of the wall clock', () => {
    expect(EPOCH_AHEAD_MS).toBe(86_400_000);
    expect(epochCeiling(1_000)).toBe(86_401_000 * 1_024 + 1_023);
    expect(millisecondOf(epochOf(1_767_225_600_000, 7))).toBe(1_767_225_600_000);
    expect(Number.isSafeInteger(epochCeiling(Date.UTC(2200, 0, 1)))).toBe(true);
  });
});

describe('isIdle and idleCheckInMs (R21)', () => {
  it.each([
    [0, false, 600_000],
    [1, false, 599_999],
    [599_999, false, 1],
    [600_000, true, 0],
    [600_001, true, 0],
    [10_000_000, true, 0],
  ])('read %d ms ago: idle %s, check again in %d ms', (since, idle, checkIn) => {
    expect(isIdle(since, defaults)).toBe(idle);
    expect(idleCheckInMs(since, defaults)).toBe(checkIn);
  });

  it.each([0, 600_000, 1e12, Number.MAX_VALUE])(
    'an Infinity idle timeout is never idle (read %d ms ago)',
    (since) => {
      const never: Timing = { ...defaults, idleMs: Infinity };
      expect(isIdle(since, never)).toBe(false);
      expect(idleCheckInMs(since, never)).toBe(Infinity);
    },
  );
});

describe('timingOf: the resolved options in milliseconds', () => {
  it('converts the defaults', () => {
    expect(timingOf(resolveOptions({ name: 'n', fetchToken }))).toEqual(defaults);
  });

  it('converts seconds to ms and derives the answer timeout and lock grace from the poll', () => {
    const options = resolveOptions({
      name: 'n',
      fetchToken,
      pollIntervalMs: 500,
      refreshLeewaySeconds: 1.5,
      hardCutoffSeconds: 0.5,
      fetchTimeoutMs: 2_000,
      idleTimeoutSeconds: 30,
    });
    expect(timingOf(options)).toEqual({
      pollMs: 500,
      leewayMs: 1_500,
      cutoffMs: 500,
      fetchTimeoutMs: 2_000,
      idleMs: 30_000,
      answerTimeoutMs: 250,
      lockGraceMs: 250,
    });
  });

  it('keeps an Infinity idle timeout infinite', () => {
    expect(timingOf(resolveOptions({ name: 'n', fetchToken, idleTimeoutSeconds: Infinity })).idleMs).toBe(
      Infinity,
    );
  });
});

describe('arrivalWaitMs: fetch timeout plus two answer timeouts', () => {
  it.each([
    [defaults, 12_000],
    [{ ...defaults, fetchTimeoutMs: 2_000, answerTimeoutMs: 250 }, 2_500],
    [{ ...defaults, fetchTimeoutMs: 1, answerTimeoutMs: 50 }, 101],
  ])('%# -> %d ms', (timing, expected) => {
    expect(arrivalWaitMs(timing)).toBe(expected);
  });
});
