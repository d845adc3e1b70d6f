// The dashboard's group panel and timeline (SPEC 3): every tab lists every tab of its group,
// live, from a channel and locks of the page's own; the timeline draws the server's requests.

import type { Page } from '@playwright/test';
import { crashTab } from './engine';
import { expect, test } from './fixtures';
import { note } from './note';
import { tabUrl } from './tabs';
import { SHORT_TTL_S } from './timing.mjs';

/** How soon every tab's group panel shows a tab gone (closed or crashed) and the new leader. */
const PANEL_WITHIN_MS = 3_000;

/** What a tab's group panel lists: each row's tab id, role and jti. */
function groupRows(page: Page): Promise<{ id: string; role: string; jti: string }[]> {
  return page.getByTestId('group-tab').evaluateAll((rows) =>
    rows.map((row) => ({
      id: (row as HTMLElement).dataset.tabId ?? '',
      role: (row as HTMLElement).dataset.role ?? '',
      jti: (row as HTMLElement).dataset.jti ?? '',
    })),
  );
}

/** A summary of the panel that a poll can compare: rows, leaders, distinct jtis. */
async function panel(page: Page): Promise<string> {
  const rows = await groupRows(page);
  const leaders = rows.filter((row) => row.role === 'leader').length;
  const jtis = new Set(rows.map((row) => row.jti)).size;
  return `${rows.length} rows, ${leaders} leader, ${jtis} jti`;
}

test('group panel: 4 tabs list 4 rows, one leader, one jti; the leader closed or crashed leaves within 3 s', async ({
  tabs,
  context,
}) => {
  const { pages, leader, jti } = await tabs.openSettled(4);
  for (const page of pages) {
    await expect
      .poll(() => panel(page), { message: 'every tab lists the group' })
      .toBe('4 rows, 1 leader, 1 jti');
    expect((await groupRows(page))[0]?.jti ?? '', 'the jti every tab holds').toBe(jti);
    expect(new Set((await groupRows(page)).map((row) => row.id)).size).toBe(4);
  }
  const leaderId = (await groupRows(leader)).find((row) => row.role === 'leader')?.id;

  // The leader closes: within three seconds every other tab lists 3 rows, and a new leader. (The
  // list is read every second; 2 s held alone and in every CI run but one, at bc72d88, where a
  // loaded machine showed the closed tab's row and no new leader's for just over 2 s.)
  const rest = pages.filter((page) => page !== leader);
  await leader.close();
  for (const page of rest) {
    await expect
      .poll(() => panel(page), { timeout: PANEL_WITHIN_MS, intervals: [100] })
      .toBe('3 rows, 1 leader, 1 jti');
    const ids = (await groupRows(page)).map((row) => row.id);
    expect(ids, 'the closed tab left the list').not.toContain(leaderId);
  }

  // A tab that crashes (no goodbye, only its lock released by the browser) leaves within 3 s too.
  const [crashing, ...alive] = rest as [Page, ...Page[]];
  await crashTab(context, crashing);
  for (const page of alive) {
    await expect
      .poll(() => panel(page), { timeout: PANEL_WITHIN_MS, intervals: [100] })
      .toBe('2 rows, 1 leader, 1 jti');
  }
});

test('"close the leader’s tab" closes a leader that a tab opened; a leader the user opened stays, and the page says so', async ({
  server: _server, // reset to its defaults for this test
  context,
  cacheName,
  pageErrors,
}) => {
  // The first tab is opened as a user would, and browsed in: two documents in its history (a
  // script may close a tab whose history holds a single document, and Chromium sometimes leaves
  // Playwright's tab with just one). It leads.
  const first = await context.newPage();
  await pageErrors.navigating(first, async () => {
    await first.goto('/away.html');
    await first.goto(tabUrl(cacheName));
  });
  expect(
    await first.evaluate(() => history.length),
    'entries in the first tab’s history',
  ).toBeGreaterThanOrEqual(2);
  await expect(first.getByTestId('role')).toHaveText('leader');
  // Two more through its "Open another tab" button (window.open): tabs a script opened.
  const opened: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const popup = context.waitForEvent('page');
    await first.getByTestId('open-tab').click();
    opened.push(await popup);
  }
  const [second, third] = opened as [Page, Page];
  for (const page of [first, second, third]) {
    await expect.poll(() => panel(page), { timeout: 10_000 }).toBe('3 rows, 1 leader, 1 jti');
  }

  // A leader the user opened cannot be closed by a script: it stays, and the asking tab says so.
  // The opened tabs load in the opener's renderer; a follower whose question waits past the
  // answer timeout meanwhile steals the lead (R12), and it comes back or not. That half of the
  // scenario needs the first tab leading: it is waited for, and the report says when it was not.
  const firstLeads = await expect
    .poll(() => first.getByTestId('role').textContent(), { timeout: 10_000 })
    .toBe('leader')
    .then(
      () => true,
      () => false,
    );
  if (firstLeads) {
    await second.getByTestId('close-leader').click();
    await expect(second.getByTestId('actions-note')).toContainText('did not close');
    expect(first.isClosed()).toBe(false);
  } else {
    note(
      'close',
      'a tab a script opened took the lead while the tabs loaded: the "did not close" half was not shown',
    );
  }

  // Closed by hand, a tab that a script opened takes the lead; the button closes that one.
  await first.close();
  await expect
    .poll(() => panel(second), { timeout: 2_000, intervals: [100] })
    .toBe('2 rows, 1 leader, 1 jti');
  const leader = (await second.getByTestId('role').textContent()) === 'leader' ? second : third;
  const other = leader === second ? third : second;
  const closed = leader.waitForEvent('close');
  await other.getByTestId('close-leader').click();
  await closed;
  await expect.poll(() => panel(other), { timeout: 2_000, intervals: [100] }).toBe('1 rows, 1 leader, 1 jti');
});

test('the timeline is drawn and gains a point per token the server issues', async ({ server, tabs }) => {
  await server.control({ ttlSeconds: SHORT_TTL_S });
  const { pages } = await tabs.openSettled(2);
  const timeline = (pages[0] as Page).getByTestId('timeline');
  await expect(timeline).toBeVisible();
  // A dot per request (`M x,y h0` segments of one path), data-requests of them, the newest at
  // data-newest. The window slides (old requests leave it on the left), so what shows that
  // points are added is the newest one moving on, twice.
  const points = async () =>
    ((await timeline.locator('path.tl-request-dots').getAttribute('d')) ?? '').split('M').length - 1;
  const newest = async () => Number(await timeline.getAttribute('data-newest'));
  await expect.poll(points, { message: 'the first token is drawn' }).toBeGreaterThan(0);
  expect(Number(await timeline.getAttribute('data-requests'))).toBe(await points());
  // 5 s tokens are refreshed about every 2.5 s; the timeline reads the server every 5 s.
  for (let i = 0; i < 2; i++) {
    const before = await newest();
    await expect
      .poll(newest, { timeout: 15_000, message: 'a point is added as a token is issued' })
      .toBeGreaterThan(before);
  }
  // The uncoordinated cost (2 tabs × 1 request per 5 s lifetime) is drawn beside it.
  await expect
    .poll(async () => Number(await timeline.getAttribute('data-uncoordinated')), { timeout: 10_000 })
    .toBeGreaterThan(0);
  await expect(timeline.locator('polyline.tl-uncoordinated')).toHaveCount(1);
});
