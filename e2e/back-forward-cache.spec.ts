// R22, page lifecycle: a tab of the app stays eligible for the back/forward cache, leader
// included. A tab that goes to another page and comes back with the browser's Back button is
// restored as it was (`pageshow` with `persisted`), the group has exactly one leader again, and
// nothing is fetched: the group still holds a servable token.
//
// Runs in the `bfcache` and `firefox-bfcache` projects (playwright.config.ts) only: against a
// built copy of the playground served by `vite preview` (the dev server's HMR WebSocket alone
// keeps a page out of the cache), in a Chromium launched without Playwright's
// --disable-back-forward-cache, and in Firefox. The app
// tabs are /bench.html (the playground's cache and options, getToken once a second, no
// dashboard); /away.html is a plain same-origin page without any script.
//
// Why a page was not restored comes from the engine (back-forward-cache-probe.ts): in Chromium
// the DevTools protocol, e.g. UnloadHandlerExistsInMainFrame (an `unload` listener),
// BroadcastChannel (a message arrived on an open channel while cached), WebLocks (another tab
// asked for a lock the cached page held); in Firefox its own log (e.g. "has active Web Locks":
// Firefox keeps no page that holds or waits for a Web Lock, and checks before `pagehide`, which
// is why the library lets its locks go at `beforeunload`, R11).

import type { Page } from '@playwright/test';
import { type CacheProbe, goBack, probeBackForwardCache } from './back-forward-cache-probe';
import type { EngineName } from './engine';
import { expect, test } from './fixtures';
import { note } from './note';
import { isLeader, leaderIndexes, peekJti, type TestWindow } from './page-state';
import type { PageWatch } from './page-watch';
import { POLL_MS } from './timing.mjs';
import { elapse, expectOneLeaderByApi, expectSharedToken } from './waits';

/** How long a tab stays on the other page: longer than one poll interval. */
const AWAY_MS = 3 * POLL_MS;
/** After the return: a few polls and getToken calls (one a second) in which a fetch would show. */
const AFTER_RETURN_MS = 3 * POLL_MS;

interface PageShow {
  persisted: boolean;
  url: string;
}

type BfcacheWindow = TestWindow & { __e2ePageshows?: PageShow[] };

/** An init script: records every `pageshow` of the document, with its `persisted`. */
function recordPageshows(): void {
  const w = window as unknown as BfcacheWindow;
  const shows: PageShow[] = [];
  w.__e2ePageshows = shows;
  window.addEventListener('pageshow', (event) => {
    shows.push({ persisted: event.persisted, url: location.pathname });
  });
}

function pageshows(page: Page): Promise<PageShow[]> {
  return page.evaluate(() => (window as unknown as BfcacheWindow).__e2ePageshows ?? []);
}

interface Trip {
  /** The `pageshow` events of the document the tab shows after Back (the first is its load). */
  shows: PageShow[];
  /** The engine's reasons for not restoring the tab from the cache; empty when it was. */
  notRestored: string[];
}

interface TripOptions {
  /** Where the tab goes (default /away.html). */
  awayTo?: string;
  /** Runs as soon as the tab has left; the trip lasts AWAY_MS however long this takes. */
  whileAway?: () => Promise<void>;
  /** Runs at the end of the AWAY_MS, just before Back. */
  beforeBack?: () => Promise<void>;
}

/**
 * Takes `page` to another page, stays there for AWAY_MS, and goes Back. These navigations are
 * the test's own: `pageErrors` does not report them as reloads.
 */
async function awayAndBack(
  page: Page,
  watch: { engine: EngineName; pageErrors: PageWatch; cache: CacheProbe },
  { awayTo = '/away.html', whileAway, beforeBack }: TripOptions = {},
): Promise<Trip> {
  const appUrl = page.url();
  watch.cache.reset();
  await watch.pageErrors.navigating(page, async () => {
    await page.goto(awayTo);
    const left = Date.now();
    await whileAway?.();
    await elapse(Math.max(0, AWAY_MS - (Date.now() - left)));
    await beforeBack?.();
    await goBack(watch.engine, page, appUrl);
  });
  // Where the tab is, as it says: Playwright's page.url() misses a restore in Firefox over BiDi.
  expect(await page.evaluate(() => location.href), 'Back returns to the page the tab left').toBe(appUrl);
  // A restored page's `pageshow` fires as it is shown again; give it a moment to be recorded.
  await until(async () => (await pageshows(page)).at(-1)?.persisted === true, 2_000);
  return { shows: await pageshows(page), notRestored: watch.cache.reasons(appUrl) };
}

/** Polls `condition` every 50 ms until it holds (true) or `timeoutMs` has passed (false). */
async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= end) return false;
    await elapse(50);
  }
}

/** The cache's verdict first: when the tab was not restored, the engine's reasons say why. */
function expectRestored(trip: Trip, who: string): void {
  expect(
    trip.notRestored,
    `${who}: reasons the engine gave for not restoring it from the back/forward cache`,
  ).toEqual([]);
  expect(
    trip.shows.map((show) => show.persisted),
    `${who}: its pageshow events (load, then the restore with persisted === true, in one document)`,
  ).toEqual([false, true]);
}

test.describe('back/forward cache (R22)', () => {
  test.beforeEach(async ({ context }) => {
    await context.addInitScript(recordPageshows);
  });

  test('control: a same-origin page without the library is restored from the cache', async ({
    context,
    pageErrors,
    engine,
  }) => {
    // The setup itself (the browser's flags, the built server, the probes): if this fails, the
    // library's tests below say nothing about the library.
    const page = await context.newPage();
    await page.goto('/away.html?control');
    const cache = await probeBackForwardCache(engine, context, page);
    const trip = await awayAndBack(page, { engine, pageErrors, cache }, { awayTo: '/away.html?elsewhere' });
    expectRestored(trip, 'a page without any script');
  });

  for (const role of ['leader', 'follower'] as const) {
    test(`a ${role} tab away longer than a poll comes back from the cache: one leader, no fetch`, async ({
      context,
      tabs,
      server,
      pageErrors,
      engine,
    }) => {
      const { pages, leaderIndex, jti } = await tabs.openSettled(2, { path: '/bench.html' });
      const index = role === 'leader' ? leaderIndex : 1 - leaderIndex;
      const page = pages[index] as Page;
      const other = pages[1 - index] as Page;
      const cache = await probeBackForwardCache(engine, context, page);

      // From here on the group holds a 60 s token: no tab has any reason to fetch.
      await server.reset();
      let otherLedWhileAway = false;
      let requestsWhileAway = Number.NaN;
      const trip = await awayAndBack(
        page,
        { engine, pageErrors, cache },
        {
          // R11: the tab that stays takes over (or keeps) leadership within one poll interval.
          whileAway: async () => {
            otherLedWhileAway = await until(() => isLeader(other), AWAY_MS);
          },
          beforeBack: async () => {
            requestsWhileAway = await server.requests();
          },
        },
      );
      note('away', `${role} away ${AWAY_MS} ms; requests while away ${requestsWhileAway}`);

      note('cache', `${role}: ${trip.notRestored.length ? trip.notRestored.join('; ') : 'restored'}`);
      expectRestored(trip, `the ${role} tab`);
      expect(otherLedWhileAway, `while the ${role} was away, the other tab led`).toBe(true);

      // Back: exactly one leader again, both tabs serve the group's token, nothing fetched.
      await expectOneLeaderByApi(pages);
      expect(await expectSharedToken(pages), 'both tabs serve the token they shared before').toBe(jti);
      expect(await peekJti(page), `the restored ${role} serves the group's token`).toBe(jti);
      await elapse(AFTER_RETURN_MS);
      expect(await leaderIndexes(pages), 'still exactly one leader a few polls later').toHaveLength(1);
      const requestsAfterReturn = (await server.requests()) - requestsWhileAway;
      note(
        'return',
        `token requests: ${requestsWhileAway} while away, ${requestsAfterReturn} after the return`,
      );
      expect(
        requestsWhileAway,
        `token requests while the ${role} was away (the group held a 60 s token)`,
      ).toBe(0);
      expect(requestsAfterReturn, `token requests caused by the ${role}'s restore`).toBe(0);
    });
  }
});
