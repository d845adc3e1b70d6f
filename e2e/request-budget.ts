// The token-request budget of coordinated tabs: usable life, refresh period, most requests in a window.

import { LEEWAY_S } from './timing.mjs';

/** The library's usable life of a token: exp - iat - 1 s, counted from when its fetch started. */
export function usableLifeMs(ttlSeconds: number): number {
  return (ttlSeconds - 1) * 1000;
}

/**
 * The shortest time between two refreshes of one key when exactly one tab refreshes it: a token
 * fetched at t is fresh until t + usable life - leeway, and no tab fetches a fresh token. With
 * ttl 5 s: 4 s - 1.5 s = 2.5 s (the leader's poll adds 0 to 500 ms on top of that).
 */
export function refreshPeriodMs(ttlSeconds: number): number {
  return usableLifeMs(ttlSeconds) - LEEWAY_S * 1000;
}

/**
 * The most token requests that coordinated tabs may cause in `elapsedMs`, whatever their number:
 * the first token, plus one per refresh period begun. Consecutive fetches start at least one
 * refresh period apart, so in a window of length E there are at most 1 + floor(E / period)
 * fetch starts; ceil instead of floor leaves one request of slack for a window that starts or
 * ends in the middle of a fetch. It does not depend on the tab count: N tabs that each polled
 * for themselves would cost N times this.
 */
export function maxRequests(elapsedMs: number, ttlSeconds: number): number {
  return 1 + Math.ceil(elapsedMs / refreshPeriodMs(ttlSeconds));
}
