/**
 * A reading of both clocks of this machine. Remaining life is measured from such a reading:
 * elapsed time is the larger of what the monotonic and the wall clock say, so a wall clock set
 * back never extends a token's life and a machine that slept counts the sleep.
 */
export interface Instant {
  /** Wall clock, `Date.now()`. */
  readonly wall: number;
  /** Monotonic clock, `performance.now()`. */
  readonly mono: number;
}

export interface Clock {
  now(): Instant;
}

export const systemClock: Clock = {
  now: () => ({ wall: Date.now(), mono: performance.now() }),
};

export function elapsedMs(since: Instant, now: Instant): number {
  return Math.max(now.wall - since.wall, now.mono - since.mono, 0);
}
