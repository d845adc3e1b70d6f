// The token server's counters (GET /api/stats): token requests in all and per key, protected
// calls accepted and refused, refresh-token reuse detected, and token requests in flight (now,
// and the most at one moment). POST /api/stats/reset zeroes them; the in-flight gauge is not a
// counter and stays, so the most in flight starts again from what is in flight at the reset.

import type { ServerStats } from './contract.js';

export interface Counters {
  /** A live read-only view of the counters. */
  readonly live: ServerStats;
  /** A copy of the counters now. */
  snapshot(): ServerStats;
  /** A token request arrived: counted, and in flight until its `done` is called (once). */
  request(key: string): { done(): void };
  accepted(): void;
  rejected(): void;
  reuse(): void;
  reset(): void;
}

export function createCounters(): Counters {
  const byKey = new Map<string, number>();
  const counts = { requests: 0, accepted: 0, rejected: 0, reuseDetected: 0, inFlight: 0, maxInFlight: 0 };
  const snapshot = (): ServerStats => ({ ...counts, byKey: Object.fromEntries(byKey) });
  return {
    live: {
      get requests() {
        return counts.requests;
      },
      get byKey() {
        return Object.fromEntries(byKey);
      },
      get accepted() {
        return counts.accepted;
      },
      get rejected() {
        return counts.rejected;
      },
      get reuseDetected() {
        return counts.reuseDetected;
      },
      get inFlight() {
        return counts.inFlight;
      },
      get maxInFlight() {
        return counts.maxInFlight;
      },
    },
    snapshot,
    request(key) {
      counts.requests++;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
      counts.inFlight++;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      let finished = false;
      return {
        done() {
          if (finished) return;
          finished = true;
          counts.inFlight--;
        },
      };
    },
    accepted: () => void counts.accepted++,
    rejected: () => void counts.rejected++,
    reuse: () => void counts.reuseDetected++,
    reset() {
      counts.requests = 0;
      counts.accepted = 0;
      counts.rejected = 0;
      counts.reuseDetected = 0;
      counts.maxInFlight = counts.inFlight;
      byKey.clear();
    },
  };
}
