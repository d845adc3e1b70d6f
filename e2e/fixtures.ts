// The test object of the end-to-end scenarios: `test` with the fixtures every test gets, and `expect`.
//
// Every test gets:
//   - `server`: the playground's token server (counters and control, server-api.ts), reset before
//     the test;
//   - `cacheName`: a cache name no other test uses;
//   - `tabs`: opens playground tabs (tabs.ts; pages of one browser context share BroadcastChannel
//     and Web Locks, so they are the tabs of one browser): the dashboard (`/`) or the bare app tab
//     (`/bench.html`: the same cache and options, no dashboard);
//   - `newUserContext`: another browser context (another browser or user), tracked like the first;
//   - `engine`: the engine of this lane (chromium, firefox, webkit; engine.ts says what differs);
//   - in every page of a tracked context (the test's own and `newUserContext`'s), including pages
//     opened later: an automatic check that none raised an uncaught error, an unhandled promise
//     rejection or was reloaded (page-watch.ts; navigations a test makes on purpose go through
//     `pageErrors.navigating`), and a recorder of its cache's events from creation (recorder.ts).
//
// The helpers talk to the pages only through the public API (`window.tokenCache`, page-state.ts),
// the page's data-testids and the server's counters: waiting on tabs is waits.ts, the request
// budget request-budget.ts, a measurement in the report note.ts, the pages' timing timing.mjs.
//
// The WebKit lane (webkit/): Playwright cannot drive a stock WebKit, so there `context` (and
// `newUserContext`) is a MiniBrowser over classic WebDriver with the part of Playwright's API the
// shared scenarios use, and its pages load the playground through the lane's proxy (`baseURL`).

import { type BrowserContext, test as base, expect } from '@playwright/test';
import type { EngineName } from './engine';
import { PageWatch } from './page-watch';
import { TokenServer } from './server-api';
import { Tabs } from './tabs';
import { WebKitContext } from './webkit/context';
import { startWebKitLane, stopWebKitLane, type WebKitLane, type WebKitLaneOption } from './webkit/lane';

interface Fixtures {
  server: TokenServer;
  cacheName: string;
  tabs: Tabs;
  /** A new browser context (another browser, another user), with page errors tracked. */
  newUserContext: () => Promise<BrowserContext>;
  pageErrors: PageWatch;
  engine: EngineName;
}

interface WorkerFixtures {
  /** Set by the WebKit lane's project: where its playground is served (through the proxy). */
  webkitLane: WebKitLaneOption | null;
  webkit: WebKitLane | null;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  webkitLane: [null, { option: true, scope: 'worker' }],

  webkit: [
    async ({ webkitLane }, use) => {
      if (!webkitLane) return use(null);
      const lane = await startWebKitLane(webkitLane.target, webkitLane.port);
      await use(lane);
      await stopWebKitLane(lane);
    },
    { scope: 'worker' },
  ],

  context: async ({ context, webkit }, use) => {
    if (!webkit) return use(context);
    const browser = await WebKitContext.launch(webkit.proxy);
    await use(browser as unknown as BrowserContext);
    await browser.close();
    webkit.proxy.reset();
  },

  engine: async ({ browserName, webkit }, use) => {
    await use(webkit ? 'webkit' : browserName);
  },

  server: async ({ request }, use) => {
    const server = new TokenServer(request);
    await server.reset();
    await use(server);
  },

  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern.
  cacheName: async ({}, use, testInfo) => {
    const slug = testInfo.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40);
    await use(`e2e-${slug}-${Date.now().toString(36)}`);
  },

  pageErrors: [
    async ({ context }, use, testInfo) => {
      const errors = new PageWatch();
      await errors.watchContext(context, 'context 1');
      await use(errors);
      await errors.collect();
      if (errors.entries.length > 0) {
        await testInfo.attach('page-errors', { body: errors.entries.join('\n'), contentType: 'text/plain' });
      }
      expect(errors.entries, 'no page raised an uncaught error or unhandled rejection').toEqual([]);
    },
    { auto: true },
  ],

  tabs: async ({ context, cacheName, server: _server }, use) => {
    await use(new Tabs(context, cacheName));
  },

  newUserContext: async ({ browser, baseURL, pageErrors, webkit }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async () => {
      const context = webkit
        ? ((await WebKitContext.launch(webkit.proxy)) as unknown as BrowserContext)
        : await browser.newContext({ baseURL });
      contexts.push(context);
      await pageErrors.watchContext(context, `context ${contexts.length + 1}`);
      return context;
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };
