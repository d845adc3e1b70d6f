import { answerTimeoutMs } from '../../src/rules.js';
import { claimsOf } from '../helpers.js';
import { SIM_OPTIONS, type World } from './world.js';

// The invariants checked after every step of a schedule (I1 and I2 are checked by the world as
// each token is handed out or stored; these look at the whole group at one moment).

const { fetchTimeoutMs, pollIntervalMs } = SIM_OPTIONS;
const answerMs = answerTimeoutMs(pollIntervalMs);
/** R27: every call settles within this much of its tab's own (running) time. */
export const CALL_BOUND_MS = fetchTimeoutMs + 2 * answerMs + pollIntervalMs;
/** Time for messages and lock callbacks in flight when a bound is reached. */
const SLACK_MS = 20;
/** The codes a call may reject with whatever other tabs do (R28): a fetch failure, or its own sign-out or close. */
const FETCH_FAILURES = new Set([
  'fetch_failed',
  'invalid_token',
  'token_ttl_too_short',
  'verification_failed',
]);

/** I3: no call of a running tab is pending longer than the R27 bound; each rejects only as R28 allows. */
function everyCallSettles(world: World): void {
  for (const call of world.calls) {
    if (call.tab.state === 'closed' || call.tab.state === 'crashed') continue;
    if (call.settledAt === undefined) {
      const paused = call.tab.pausedAt === undefined ? 0 : world.now - call.tab.pausedAt;
      const ran = world.now - call.startedAt - call.pausedMs - paused;
      const line = `I3 ${call.tab.id} ${call.kind}('${call.key}') #${call.id} pending over ${CALL_BOUND_MS} ms`;
      if (ran > CALL_BOUND_MS + SLACK_MS && !world.violations.includes(line)) world.violations.push(line);
    } else if (call.error !== undefined && !FETCH_FAILURES.has(call.error)) {
      const signedOut =
        (call.error === 'cleared' || call.error === 'signed_out') &&
        (call.learnedAtEnd ?? 0) > call.learnedAtStart;
      const closed = call.error === 'closed' && call.tab.cacheClosed;
      const line = `R28 ${call.tab.id} #${call.id} rejected '${call.error}'`;
      if (!signedOut && !closed && !world.violations.includes(line)) world.violations.push(line);
    }
  }
}

/**
 * I4: at most one fetch per key in flight in the group (one in all with exclusiveFetch), unless
 * the one before has run past fetchTimeoutMs (its tab hung or died with it).
 */
function oneFetchAtATime(world: World): void {
  const inFlight = world.endpoint.inFlight();
  for (const [i, a] of inFlight.entries()) {
    for (const b of inFlight.slice(i + 1)) {
      if (!world.exclusive && a.key !== b.key) continue;
      const older = a.startedAt <= b.startedAt ? a : b;
      const newer = older === a ? b : a;
      if (newer.startedAt - older.startedAt > fetchTimeoutMs) continue;
      const line = `I4 requests #${older.seq} (${older.tab}, '${older.key}') and #${newer.seq} (${newer.tab}, '${newer.key}') in flight together`;
      if (!world.violations.includes(line)) world.violations.push(line);
    }
  }
}

/** I5: with rotation (exclusiveFetch), no refresh token presented twice, but by a tab that died or hung with it. */
function noRefreshTokenTwice(world: World): void {
  if (!world.exclusive) return;
  for (const { first, again } of world.endpoint.reuse) {
    if (again.startedAt - first.startedAt > fetchTimeoutMs) continue;
    const line = `I5 refresh token of request #${first.seq} (${first.tab}) presented again by #${again.seq} (${again.tab})`;
    if (!world.violations.includes(line)) world.violations.push(line);
  }
}

/**
 * I6: while the endpoint fails, at most one request per key per poll interval, forceRefresh aside.
 * The interval starts at a failure the group could see: one whose tab closed, crashed or left
 * before the answer reached it taught nobody that the endpoint fails.
 */
function outageBudget(world: World): void {
  const failing = world.endpoint.requests.filter((r) => r.mode === 'fail');
  for (const [i, r] of failing.entries()) {
    if (!r.failureSeen && r.settledAt !== undefined) continue;
    // A sign-out between two requests (or a tab learning of one) starts anew (R13: the next
    // getToken fetches).
    const signedOutAfter = (s: { seq: number }) =>
      world.learnings.some((l) => l.seq > r.seq && l.seq < s.seq) ||
      world.clears.some((c) => c.seq > r.seq && c.seq < s.seq);
    const window = failing
      .slice(i + 1)
      .filter((s) => s.key === r.key && s.startedAt - r.startedAt < pollIntervalMs && !signedOutAfter(s));
    if (window.length === 0) continue;
    const last = window.at(-1) ?? r;
    const forced = world.calls.filter(
      (c) =>
        c.kind === 'force' &&
        c.key === r.key &&
        c.startedAt >= r.startedAt - CALL_BOUND_MS &&
        c.startedAt <= last.startedAt,
    ).length;
    if (window.length > forced) {
      const line = `I6 ${window.length + 1} requests for '${r.key}' within one poll from #${r.seq} while failing (${forced} forced)`;
      if (!world.violations.includes(line)) world.violations.push(line);
    }
  }
}

/** SIM_ONLY=I3,I4 (say) looks at those invariants alone: to find what else a schedule breaks. */
const only = process.env.SIM_ONLY?.split(',');

/** The violations found so far, as one message; empty when none. */
export function violationsOf(world: World): string {
  return [...world.violations, ...world.seedRefusals]
    .filter((v) => !only || only.some((name) => v.startsWith(name)))
    .join('\n');
}

/**
 * I6 when nothing happens to the group: at most one request per key per poll, forceRefresh
 * aside, whatever the endpoint answers (a token it will not store, one from a skewed clock), in
 * windows where no page hung, crashed, closed or left, leadership did not move, nobody signed out
 * and no peer spoke (those have rules of their own).
 */
function steadyBudget(world: World): void {
  const requests = world.endpoint.requests;
  for (const [i, r] of requests.entries()) {
    const from = r.startedAt - fetchTimeoutMs;
    // (Polls are a poll apart, but a request may wait for the exclusive lock: 90% of a poll.)
    const window = requests
      .slice(i + 1)
      .filter((s) => s.key === r.key && s.startedAt - r.startedAt < 0.9 * pollIntervalMs);
    const last = window.at(-1);
    if (!last || world.disruptions.some((at) => at >= from && at <= last.startedAt)) continue;
    const forced = world.calls.filter(
      (c) => c.kind === 'force' && c.key === r.key && c.startedAt >= from && c.startedAt <= last.startedAt,
    ).length;
    if (window.length > forced) {
      const line = `I6 ${window.length + 1} requests for '${r.key}' within one poll from #${r.seq}, nothing happening (${forced} forced)`;
      if (!world.violations.includes(line)) world.violations.push(line);
    }
  }
}

/**
 * I2 on what a tab holds: a tab that knows of a sign-out holds no token stored before it. (What
 * it stores after is checked as it comes, event-checks.ts; so it may hold at most one token per
 * key stored since.)
 */
function nothingHeldFromBefore(world: World): void {
  for (const tab of world.tabs) {
    if (tab.state === 'closed' || tab.state === 'crashed' || tab.knownClear === 0) continue;
    const since = new Set(tab.tokenEvents.filter((e) => e.seq > tab.knownClear).map((e) => e.key));
    const held = tab.cache.stats().keys;
    const line = `I2 ${tab.id} holds ${held} tokens after clear #${tab.knownClear}, ${since.size} stored since`;
    if (held > since.size && !world.violations.includes(line)) world.violations.push(line);
  }
}

/** I8: a tab says `identity` exactly when the user of the tokens it stores changes, once per change (R30). */
function identityOncePerChange(world: World): void {
  for (const tab of world.tabs) {
    const users = tab.tokenEvents.map((e) => String(claimsOf(e.token).sub));
    const changes = users.filter((user, i) => i > 0 && user !== users[i - 1]);
    const line = `I8 ${tab.id} said identity ${JSON.stringify(tab.identityEvents)} for stored users ${JSON.stringify(users)}`;
    if (JSON.stringify(changes) !== JSON.stringify(tab.identityEvents) && !world.violations.includes(line))
      world.violations.push(line);
  }
}

export function checkInvariants(world: World): void {
  nothingHeldFromBefore(world);
  identityOncePerChange(world);
  everyCallSettles(world);
  oneFetchAtATime(world);
  noRefreshTokenTwice(world);
  outageBudget(world);
  steadyBudget(world);
}
