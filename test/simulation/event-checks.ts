import { claimsOf } from '../helpers.js';
import type { TokenRequest } from './endpoint.js';
import { SIM_OPTIONS, type Tab, type World } from './world.js';

// The invariants checked the moment something happens (a token handed to the app or stored, a
// request reaching the endpoint), where the moment itself is what is checked. The rest are
// checked after every step (invariants.ts).

/** How long a follower may wait on a leader before it fetches itself (an ack, then the token). */
const followerWaitMs = () => SIM_OPTIONS.fetchTimeoutMs + 2 * 500 + SIM_OPTIONS.pollIntervalMs;

/** I1 and I2: a token reached the app in `tab`. */
export function checkHanded(world: World, tab: Tab, token: string, what: string): void {
  const jti = String(claimsOf(token).jti);
  const issued = world.endpoint.issued.get(jti);
  if (!issued) return void world.violations.push(`${tab.id} ${what}: a token the endpoint never issued`);
  if (world.now >= issued.issuedAt + issued.ttlMs) {
    world.violations.push(
      `I1 ${tab.id} ${what}: ${jti} handed out ${world.now - issued.issuedAt} ms after issue (ttl ${issued.ttlMs})`,
    );
  }
  checkNotBeforeClear(world, tab, token, what);
}

/** I2: a tab that knows of a clear never serves or stores a token fetched before it. */
export function checkNotBeforeClear(world: World, tab: Tab, token: string, what: string): void {
  const issued = world.endpoint.issued.get(String(claimsOf(token).jti));
  if (issued && issued.request.seq < tab.knownClear) {
    world.violations.push(
      `I2 ${tab.id} ${what}: ${issued.jti} was fetched (#${issued.request.seq}) before the clear #${tab.knownClear} this tab knows of`,
    );
  }
}

/** I4 and I2 at a request: who may fetch now, and whether anyone asked since the last sign-out. */
export function checkRequest(world: World, request: TokenRequest): void {
  followerFetch(world, request.tab, request.seq);
  askedSinceClear(world, request.tab, request.key, request.seq);
  readRecently(world, request.key, request.seq);
}

/**
 * I7: a key that no tab has read for the idle timeout is refreshed by no one (R21), tab switches
 * and coming back online included: every request follows a read of its key within it.
 */
function readRecently(world: World, key: string, seq: number): void {
  // With exclusiveFetch, a refresh decided while its key was in use may wait up to fetchTimeoutMs
  // for the group's fetch lock (R26) before its request goes out.
  const wait = world.exclusive ? SIM_OPTIONS.fetchTimeoutMs : 0;
  const since = world.now - SIM_OPTIONS.idleTimeoutSeconds * 1000 - wait;
  const read = (r: { key: string; at?: number; startedAt?: number }) =>
    r.key === key && (r.at ?? r.startedAt ?? 0) >= since;
  if (world.calls.some(read) || world.peeks.some(read) || world.peerAsks.some(read)) return;
  // A tab that was hung or away when its last read went idle lets go of its use lock only when
  // it runs again: until then the key is in use, as the leader sees it.
  const idleMs = SIM_OPTIONS.idleTimeoutSeconds * 1000;
  const reads = [
    ...world.calls.map((c) => ({ tab: c.tab.id, key: c.key, at: c.startedAt })),
    ...world.peeks,
  ].filter((r) => r.key === key);
  const lastByTab = new Map<string, number>();
  for (const r of reads) lastByTab.set(r.tab, Math.max(lastByTab.get(r.tab) ?? 0, r.at));
  for (const [tab, at] of lastByTab) if (world.pausedAt(tab, at + idleMs)) return;
  world.violations.push(
    `I7 request #${seq} for '${key}', which no tab read for ${SIM_OPTIONS.idleTimeoutSeconds} s`,
  );
}

/**
 * I4: a follower fetches only when the leader did not answer in time (R4, R8, R12): never while
 * a leader runs that has not been paused within the time a follower waits for it.
 */
function followerFetch(world: World, tabId: string, seq: number): void {
  const tab = world.tabs.find((t) => t.id === tabId);
  if (!tab || tab.cache.isLeader) return;
  const since = world.now - followerWaitMs();
  const leader = world.tabs.find(
    (t) =>
      t !== tab && t.cache.isLeader && t.state === 'open' && t.pausedAt === undefined && t.resumedAt < since,
  );
  if (leader) world.violations.push(`I4 follower ${tab.id} fetched (#${seq}) while ${leader.id} led and ran`);
}

/**
 * I2: nothing started before a sign-out makes a request after it. A tab that knows of a clear
 * requests a key only once some call asked for it since (a clear drops every token, so nothing
 * is left to refresh).
 */
function askedSinceClear(world: World, tabId: string, key: string, seq: number): void {
  const tab = world.tabs.find((t) => t.id === tabId);
  if (!tab || tab.knownClear === 0) return;
  const since = (c: { key: string; seq: number }) => c.key === key && c.seq > tab.knownClear && c.seq < seq;
  // (A token seeded since is the app's own news: it may be refreshed, R31.)
  const asked = world.calls.some(since) || world.peerAsks.some(since) || world.seeds.some(since);
  if (!asked)
    world.violations.push(`I2 ${tabId} requested '${key}' (#${seq}) after clear #${tab.knownClear}, unasked`);
}
