import type { ResolvedOptions } from './options.js';

/**
 * Every timing rule of the library, as named pure functions of the options and the clock
 * readings they are given. Nothing here keeps state or reads a clock; test/rules.test.ts holds
 * their tables.
 */

/** The options in the units the library computes with. */
export interface Timing {
  readonly pollMs: number;
  readonly leewayMs: number;
  readonly cutoffMs: number;
  readonly fetchTimeoutMs: number;
  /** Infinity when keys never go idle. */
  readonly idleMs: number;
  readonly answerTimeoutMs: number;
  readonly lockGraceMs: number;
}

export function timingOf(options: ResolvedOptions): Timing {
  return {
    pollMs: options.pollIntervalMs,
    leewayMs: options.refreshLeewaySeconds * 1000,
    cutoffMs: options.hardCutoffSeconds * 1000,
    fetchTimeoutMs: options.fetchTimeoutMs,
    idleMs: options.idleTimeoutSeconds * 1000,
    answerTimeoutMs: answerTimeoutMs(options.pollIntervalMs),
    lockGraceMs: lockGraceMs(options.pollIntervalMs),
  };
}

/**
 * How long a follower waits for the leader to acknowledge a question before it takes leadership
 * (R12): half a poll, within 50 ms to 1 s. A working leader answers in a message latency.
 */
export function answerTimeoutMs(pollMs: number): number {
  return Math.min(1_000, Math.max(50, pollMs / 2));
}

/**
 * How long a tab keeps a key's fetch lock after publishing the token, so that the other tabs hold
 * the broadcast before one of them could take the lock and fetch again.
 */
export function lockGraceMs(pollMs: number): number {
  return Math.min(1_000, Math.max(50, pollMs / 2));
}

/** How long a tab waits for a token that another tab said it is fetching (an ack, a held key lock). */
export function arrivalWaitMs(t: Timing): number {
  return t.fetchTimeoutMs + 2 * t.answerTimeoutMs;
}

const MAX_BACKOFF_POLLS = 16;

/**
 * After `failures` consecutive failed background refreshes of a key (R5), the next may start this
 * long after the last failure: the next poll, then after 2, 4, … up to 16 polls. Half a poll is
 * taken off so that the poll that is due is not missed by a few milliseconds.
 */
export function backoffMs(failures: number, pollMs: number): number {
  const polls = Math.min(2 ** Math.max(0, failures - 1), MAX_BACKOFF_POLLS);
  return polls * pollMs - pollMs / 2;
}

/**
 * The least time between two background refreshes of a key that brought no better token (the
 * cache keeps a newer-issued servable one, R6): most of a poll, so nudges between polls add no
 * request, and the next poll, a little early or late, still tries (R24).
 */
export function refreshGapMs(pollMs: number): number {
  return pollMs * 0.9;
}

/**
 * The outage budget (R24): a failed fetch of a key is the answer to every other caller of that
 * key for this long from the moment it started, so the group sends at most one request per key
 * per poll interval, and the leader's next poll may try again.
 */
export function outageWindowMs(pollMs: number): number {
  return pollMs;
}

/**
 * A follower holding a stale token asks the leader about it only once the leader is late: it has
 * been stale for more than a poll, which a working leader never lets happen. So a working group
 * exchanges no message per read, and a frozen leader is found out while the token is still
 * servable (R18 leaves at least two polls between leeway and cutoff).
 */
export function leaderLate(remainingMs: number, t: Timing): boolean {
  return t.leewayMs - remainingMs > t.pollMs;
}

/**
 * A leader may have had its lock stolen meanwhile (a follower steals after an answer timeout
 * without an acknowledgement, R12) when the question it is about to answer waited longer than
 * that (`ageMs`), or when it has not run for longer than a poll and an answer timeout (its poll
 * came late: it was stalled): then it confirms with the lock manager before it acts. A leader that
 * merely had nothing to do between two polls does not (a lock manager round trip per question
 * would delay every acknowledgement under load).
 */
export function mustConfirmLead(gapMs: number, ageMs: number | undefined, t: Timing): boolean {
  return gapMs > t.pollMs + t.answerTimeoutMs || (ageMs !== undefined && ageMs > t.answerTimeoutMs);
}

/**
 * How long a tab waits for a fetch lock (a key's, or with exclusiveFetch the group's) held by
 * another tab before it takes it (R12, R26): past the holder's own fetch timeout, so a working
 * holder is never robbed, plus an answer timeout for its failure report to arrive. The wait
 * restarts whenever the group shows progress (a token or a failure report arrives).
 */
export function lockStealAfterMs(t: Timing): number {
  return t.fetchTimeoutMs + t.answerTimeoutMs;
}

/**
 * R27: every call settles within this long of its tab's own running time, whatever the other
 * tabs do: a fetch timeout, two answer timeouts (the question, and the report of a failure) and
 * one poll (a leader's rate limit on forced fetches).
 */
export function callBoundMs(t: Timing): number {
  return t.fetchTimeoutMs + 2 * t.answerTimeoutMs + t.pollMs;
}

/**
 * A peer's `force` question makes the leader fetch at most once per key per this long (R24,
 * R28): later ones in the window are answered by one fetch at its end.
 */
export function peerForceWindowMs(pollMs: number): number {
  return pollMs;
}

/** The furthest ahead of this machine's wall clock a sign-out epoch may be (R13, R28): a day. */
export const EPOCH_AHEAD_MS = 86_400_000;

/**
 * Sign-outs of one millisecond are told apart by the tab that made them: one of this many slots.
 * The last slot stands for "every sign-out of that millisecond": where two tabs signed out in one
 * millisecond without knowing of each other, every tab that hears of both ends there.
 */
export const EPOCH_SLOTS = 1_024;

/** The epoch that stands for every sign-out of the millisecond of `epoch`. */
export function mergedEpoch(epoch: number): number {
  return epochOf(millisecondOf(epoch), EPOCH_SLOTS - 1);
}

/** The epoch of a sign-out made at wall time `wall` by the tab of slot `slot` (R13). */
export function epochOf(wall: number, slot: number): number {
  return wall * EPOCH_SLOTS + slot;
}

/** The wall-clock millisecond a sign-out epoch was made in. */
export function millisecondOf(epoch: number): number {
  return Math.floor(epoch / EPOCH_SLOTS);
}

/**
 * The highest sign-out epoch a tab adopts at wall time `wall`. Epochs are wall-clock stamps of
 * this machine, so a legitimate one is never far ahead of it; a peer's larger value could push the
 * epoch to where no later sign-out could pass it (2^53 is reached in the year 2248 this way).
 */
export function epochCeiling(wall: number): number {
  return epochOf(wall + EPOCH_AHEAD_MS, EPOCH_SLOTS - 1);
}

/** A key last read `sinceReadMs` ago is idle (R21): no longer refreshed, dropped once unservable. */
export function isIdle(sinceReadMs: number, t: Timing): boolean {
  return sinceReadMs >= t.idleMs;
}

/**
 * Whether a tab lets go of a key read `sinceReadMs` ago when its idle timer fires: keys within a
 * second (or a tenth of the timeout) of going idle go with the one that is due, so that a tab
 * wakes at most once per idle timeout, not once per key.
 */
export function releaseDue(sinceReadMs: number, t: Timing): boolean {
  return sinceReadMs + Math.min(1_000, t.idleMs / 10) >= t.idleMs;
}

/** When to look again whether a key read `sinceReadMs` ago has gone idle. */
export function idleCheckInMs(sinceReadMs: number, t: Timing): number {
  return Math.max(0, t.idleMs - sinceReadMs);
}
