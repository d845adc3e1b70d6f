// Scenarios 3, 4 and 5: the leader goes away (closed, crashed) or stops working (frozen).

import type { Page } from '@playwright/test';
import { cannotCrash, freezeFor, readyToCrash } from './engine';
import { expect, test } from './fixtures';
import { note } from './note';
import { cacheStats, leaderIndexes } from './page-state';
import { recorded } from './recorder';
import { maxRequests, usableLifeMs } from './request-budget';
import { POLL_MS, SHORT_TTL_S } from './timing.mjs';
import { expectOneLeader, expectSharedToken, watchTabs } from './waits';

/**
 * R11 asks for a takeover within one poll interval. The slack covers a loaded CI machine (two
 * cores running ten renderers and the dev server); the measured time is in the report.
 */
const TAKEOVER_SLACK_MS = 1500;
const LIFETIME_MS = SHORT_TTL_S * 1000;

/** The jtis of the tokens the pages received (token events) from `since` on. */
async function jtisReceived(pages: readonly Page[], since: number): Promise<Set<string>> {
  const all = new Set<string>();
  for (const page of pages) {
    for (const event of (await recorded(page)).tokens) if (event.jti && event.at >= since) all.add(event.jti);
  }
  return all;
}

// No Playwright trace in this file: its screenshots and DOM snapshots keep the pages busy, which
// made the takeover read 454 ms at p50 against 12 ms without (and a frozen tab is timing too).
test.use({ trace: 'off' });

// Takeover is timed as bench/rows/takeover.mjs times it: from Date.now() just before the close or
// the crash (the CDP session attached before), with the tab still leading, to the first `leader`
// event after it in another tab.
for (const how of ['closed', 'crashed'] as const) {
  test(`leader ${how}: a follower takes over within one poll interval and tokens keep being refreshed`, async ({
    server,
    tabs,
    context,
    engine,
  }) => {
    test.skip(how === 'crashed' && cannotCrash(engine) !== null, cannotCrash(engine) ?? '');
    test.setTimeout(90_000);
    await server.control({ ttlSeconds: SHORT_TTL_S });
    const { pages, jti: jtiBefore } = await tabs.openSettled(3);
    const requestsBefore = await server.requests();
    // The tab that leads now (leadership may have moved since the group settled).
    const leader = pages[(await leaderIndexes(pages))[0] ?? 0] as Page;
    const rest = pages.filter((page) => page !== leader);
    // A crash: no goodbye message, only the lock released by the browser.
    const goAway = how === 'closed' ? () => leader.close() : await readyToCrash(context, leader);
    const gone = Date.now();
    await goAway();

    // The takeover: one of the others says it leads. The moment comes from its own 'leader'
    // event (Date.now() in the page: the same machine clock as `gone`).
    await expect.poll(() => leaderIndexes(rest), { timeout: 10_000, intervals: [50] }).toHaveLength(1);
    const newLeaderIndex = (await leaderIndexes(rest))[0] as number;
    const newLeader = rest[newLeaderIndex] as Page;
    const became = (await recorded(newLeader)).leader.find((event) => event.isLeader && event.at >= gone);
    expect(became, 'the new leader emitted a leader event').toBeDefined();
    const takeoverMs = (became?.at ?? Number.NaN) - gone;
    note('takeover', `leader ${how}: ${takeoverMs} ms`);
    expect(takeoverMs, `takeover after the leader was ${how} (ms)`).toBeLessThanOrEqual(
      POLL_MS + TAKEOVER_SLACK_MS,
    );
    await expectOneLeader(rest);

    // Two more lifetimes: the new leader refreshes, and stays the only one.
    const watched = await watchTabs(rest, Math.max(0, gone + 2 * LIFETIME_MS - Date.now()));
    expect([...watched.leaderCounts], 'leaders at each sample').toEqual([1]);
    expect(watched.maxDistinct).toBeLessThanOrEqual(2);
    const jtiAfter = await expectSharedToken(rest);
    expect(jtiAfter, 'the token was refreshed after the takeover').not.toBe(jtiBefore);
    expect((await cacheStats(newLeader)).fetches, 'the new leader fetches').toBeGreaterThan(0);

    const stats = await server.stats();
    const elapsed = Date.now() - gone;
    note(
      'after takeover',
      `${stats.requests - requestsBefore} token requests in ${elapsed} ms (bound ${maxRequests(elapsed, SHORT_TTL_S)}); ` +
        `${watched.emptyReads} of ${watched.samples * rest.length} reads found no servable token`,
    );
    expect(
      stats.requests - requestsBefore,
      `token requests in the ${elapsed} ms after the takeover`,
    ).toBeLessThanOrEqual(maxRequests(elapsed, SHORT_TTL_S));
    expect(stats.rejected, 'protected calls refused').toBe(0);
  });
}

test('leader frozen: a follower steals leadership, tokens stay fresh with one fetch per refresh, and after the thaw one leader and the old one fetches nothing', async ({
  server,
  tabs,
}) => {
  test.setTimeout(90_000);
  await server.control({ ttlSeconds: SHORT_TTL_S });
  const { pages, leader, jti: jtiBefore } = await tabs.openSettled(3);
  const rest = pages.filter((page) => page !== leader);

  const before = await server.stats();
  const leaderFetches = (await cacheStats(leader)).fetches;
  const frozenAt = Date.now();
  // Three lifetimes frozen. The leader still holds its lock but answers nothing: the first
  // follower that needs it gets no acknowledgement and steals the lock (R12).
  const thawed = freezeFor(leader, 3 * LIFETIME_MS);
  const watched = await watchTabs(rest, 3 * LIFETIME_MS - 500);
  expect(watched.maxDistinct).toBeLessThanOrEqual(2);
  const frozenFor = Date.now() - frozenAt;
  const during = await server.stats();
  const seen = await jtisReceived(rest, frozenAt);
  note(
    'frozen',
    `${frozenFor} ms frozen: ${during.requests - before.requests} token requests (bound ${maxRequests(frozenFor, SHORT_TTL_S)}), ` +
      `${seen.size} new tokens; ${watched.emptyReads} of ${watched.samples * rest.length} reads found no servable token`,
  );
  // Fresh tokens kept coming: at least one per usable life.
  expect(seen.size, 'new tokens the followers got while the leader was frozen').toBeGreaterThanOrEqual(
    Math.floor(frozenFor / usableLifeMs(SHORT_TTL_S)),
  );
  expect(seen.has(jtiBefore)).toBe(false);
  const jtiFrozen = await expectSharedToken(rest);
  expect(jtiFrozen).not.toBe(jtiBefore);
  // Among them, at most one fetch per refresh.
  expect(
    during.requests - before.requests,
    `token requests in ${frozenFor} ms with the leader frozen`,
  ).toBeLessThanOrEqual(maxRequests(frozenFor, SHORT_TTL_S));
  // The followers' protected calls went on, and none was refused.
  expect(during.accepted).toBeGreaterThan(before.accepted);
  expect(during.rejected, 'protected calls refused').toBe(0);

  expect(await leaderIndexes(rest), 'a follower took the lock').toHaveLength(1);

  const froze = await thawed; // (the page's own clock: it may have finished a fetch before the freeze began)
  const leaderAfter = await expectOneLeader(pages);
  expect(pages[leaderAfter], 'the thawed tab stepped down').not.toBe(leader);
  await expectSharedToken(pages);
  await watchTabs(pages, LIFETIME_MS); // a refresh after the thaw
  // What the thawed tab did: its backlog (queued polls, questions, the app's reads) must fetch
  // nothing. Only if it led again later (a follower whose question the leader of a loaded
  // machine did not acknowledge in time steals, R12) may it fetch, as that leader.
  const log = await recorded(leader);
  const ledAgainAt = log.leader.find((event) => event.isLeader && event.at >= froze)?.at ?? Infinity;
  const fetchedAt = log.tokens.filter((t) => t.source === 'fetch' && t.at >= froze).map((t) => t.at);
  note(
    'thaw',
    `the thawed tab fetched ${fetchedAt.length} time(s) after the freeze; ` +
      (ledAgainAt === Infinity
        ? 'it did not lead again'
        : `it led again ${ledAgainAt - froze} ms after the freeze began`),
  );
  expect(
    fetchedAt.filter((at) => at < ledAgainAt).map((at) => at - froze),
    'fetches of the thawed tab while it did not lead (ms after the freeze began)',
  ).toEqual([]);
  if (ledAgainAt === Infinity) {
    expect((await cacheStats(leader)).fetches, 'fetches of the thawed tab').toBe(leaderFetches);
  }
  expect((await server.stats()).rejected, 'protected calls refused').toBe(0);
});
