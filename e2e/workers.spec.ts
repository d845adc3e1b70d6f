// R32: workers are members of the group. A dedicated worker, a shared worker and the
// playground's service worker (playground/sw.ts, which never leads) get the group's token from the leading tab with no token
// request, and hold the next one the group gets (a refresh, broadcast); the service worker
// attaches it to the page's API calls that carry none (the recipe). Long-lived tokens, so that
// no refresh of the leader's own blurs the count.

import type { Page } from '@playwright/test';
import type { WorkerReport } from '../playground/workers/report';
import { expect, test } from './fixtures';
import { note } from './note';
import { tryGetToken } from './page-state';
import { expectSharedToken } from './waits';

type Which = 'dedicated' | 'shared' | 'serviceWorker';
const NAMES: Record<Which, string> = {
  dedicated: 'dedicated worker',
  shared: 'shared worker',
  serviceWorker: 'service worker',
};

function ask(page: Page, which: Which): Promise<WorkerReport> {
  return page.evaluate((w) => window.playgroundWorkers[w](), which);
}

for (const which of ['dedicated', 'shared', 'serviceWorker'] as const) {
  test(`a ${NAMES[which]} gets the group's token with 0 requests, and the next one the group gets`, async ({
    server,
    tabs,
  }) => {
    const { pages, leader } = await tabs.openSettled(2);
    const page = pages[0] as Page;
    const before = await server.requests();
    const first = await ask(page, which);
    expect(first.error).toBeUndefined();
    expect(first.jti).toBe(await expectSharedToken(pages));
    expect(first.fetches, 'fetches of the worker').toBe(0);
    expect(await server.requests(), 'token requests for the worker').toBe(before);
    if (which === 'serviceWorker') expect(first.isLeader, 'a service worker never leads').toBe(false);

    // The group gets a new token (the leader refreshes it): the worker holds it too.
    await tryGetToken(leader, true);
    const next = await expectSharedToken(pages);
    expect(next).not.toBe(first.jti);
    await expect.poll(async () => (await ask(page, which)).jti).toBe(next);
    const later = await ask(page, which);
    expect(later.fetches).toBe(0);
    expect(await server.requests(), 'token requests: the refresh alone').toBe(before + 1);
    note(which, `first ${first.jti?.slice(0, 8)}…, then ${later.jti?.slice(0, 8)}…, 0 fetches of its own`);
    if (which !== 'serviceWorker') return;
    // The recipe: a call without a token gets one from the service worker.
    const status = await page.evaluate(async () => (await fetch('/api/protected')).status);
    expect(status, 'GET /api/protected through the service worker').toBe(200);
  });
}
