// Waiting on tabs: until one leads, until all serve one token, watching them for a while, letting time pass.

import { expect, type Page } from '@playwright/test';
import { leaderIndexes, peekJtis, type TestWindow } from './page-state';
import { textOf } from './shown';
import { LEEWAY_S } from './timing.mjs';

/** The one tab that leads at this instant, not waited for: `why` says which tab that must be. */
export async function leadingNow(pages: readonly Page[], why: string): Promise<Page> {
  const leading = await leaderIndexes(pages);
  expect(leading, `one tab leads, ${why}`).toHaveLength(1);
  return pages[leading[0] as number] as Page;
}

/** Waits until exactly one of `pages` leads by the API (`isLeader`); returns its index. */
export async function expectOneLeaderByApi(pages: readonly Page[], timeout = 10_000): Promise<number> {
  await expect
    .poll(() => leaderIndexes(pages), { timeout, message: 'exactly one tab leads' })
    .toHaveLength(1);
  const [index] = await leaderIndexes(pages);
  expect(index, 'the leader did not change while it was read').toBeDefined();
  return index as number;
}

/** Whether `page` shows the dashboard (and its data-testids): the playground's `/`. */
function showsDashboard(page: Page): boolean {
  return new URL(page.url()).pathname === '/';
}

/**
 * Waits until exactly one of `pages` leads by the API and every dashboard's role testid says so;
 * returns its index. Both are read together at each try, so a leader that changes meanwhile (a
 * steal from a leader too slow to answer, R12) is waited out rather than half-read.
 */
export async function expectOneLeader(pages: readonly Page[], timeout = 10_000): Promise<number> {
  let leader = -1;
  await expect
    .poll(
      async () => {
        const indexes = await leaderIndexes(pages);
        if (indexes.length !== 1) return `leaders by the API: ${JSON.stringify(indexes)}`;
        const shown = pages.flatMap((page, i) => (showsDashboard(page) ? [{ page, i }] : []));
        const roles = await Promise.all(shown.map(({ page }) => textOf(page, 'role')));
        const expected = shown.map(({ i }) => (i === indexes[0] ? 'leader' : 'follower'));
        if (JSON.stringify(roles) !== JSON.stringify(expected)) {
          return `role labels ${JSON.stringify(roles)} with tab ${indexes[0]} leading`;
        }
        leader = indexes[0] as number;
        return 'one leader, and every role label says so';
      },
      { timeout, message: 'exactly one tab leads, by the API and by every role label' },
    )
    .toBe('one leader, and every role label says so');
  return leader;
}

/** Waits until every page serves one and the same token; returns its jti. */
export async function expectSharedToken(pages: readonly Page[], timeout = 10_000): Promise<string> {
  let shared: string | null = null;
  await expect
    .poll(
      async () => {
        const jtis = await peekJtis(pages);
        const distinct = new Set(jtis);
        shared = distinct.size === 1 ? (jtis[0] ?? null) : null;
        return shared !== null ? 'one token everywhere' : JSON.stringify(jtis);
      },
      { timeout, message: 'every tab serves the same token' },
    )
    .toBe('one token everywhere');
  return shared as unknown as string;
}

export interface Watched {
  samples: number;
  /** Reads (one per tab per sample) that found no servable token. */
  emptyReads: number;
  /** Leader counts seen across the samples. */
  leaderCounts: Set<number>;
  /** Most distinct tokens served at one moment. */
  maxDistinct: number;
  /** Every jti served at some sample. */
  jtis: Set<string>;
}

/**
 * Samples the tabs every `everyMs` for `durationMs`: who leads and what each serves. A bounded
 * wait that lets lifetimes pass while it watches.
 */
export async function watchTabs(pages: readonly Page[], durationMs: number, everyMs = 500): Promise<Watched> {
  const watched: Watched = {
    samples: 0,
    emptyReads: 0,
    leaderCounts: new Set(),
    maxDistinct: 0,
    jtis: new Set(),
  };
  const start = Date.now();
  while (Date.now() - start < durationMs) {
    const [leaders, jtis] = await Promise.all([leaderIndexes(pages), peekJtis(pages)]);
    watched.samples++;
    watched.leaderCounts.add(leaders.length);
    watched.emptyReads += jtis.filter((jti) => jti === null).length;
    const served = new Set(jtis.filter((jti): jti is string => jti !== null));
    watched.maxDistinct = Math.max(watched.maxDistinct, served.size);
    for (const jti of served) watched.jtis.add(jti);
    await elapse(Math.min(everyMs, Math.max(0, durationMs - (Date.now() - start))));
  }
  return watched;
}

/**
 * Waits until `leader` holds a token of every key in `keys` that is not due for refresh for at
 * least `marginS` more (remaining life > leeway + margin): no refresh is under way, and none
 * starts in the margin. A leader made to go now goes between two refreshes.
 */
export async function waitUntilNoRefreshDue(
  leader: Page,
  keys: readonly string[],
  marginS = 0.7,
): Promise<void> {
  await leader.waitForFunction(
    ({ keys, dueBelow }) => {
      const cache = (window as unknown as TestWindow).tokenCache;
      return keys.every((key) => {
        const payload = cache.peekToken(key)?.split('.')[1];
        if (payload === undefined) return false;
        const { exp } = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number };
        return exp - Date.now() / 1000 > dueBelow;
      });
    },
    { keys, dueBelow: LEEWAY_S + marginS },
    { polling: 50, timeout: 20_000 },
  );
}

/** Lets `ms` pass. Only for letting token lifetimes go by before counting, never to wait for a state. */
export function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
