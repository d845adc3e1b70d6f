// R11: a tab lets its locks go at `beforeunload` (Firefox keeps no page that holds or waits for a
// Web Lock, and decides before `pagehide`), but a navigation that starts does not always happen:
// another `beforeunload` listener asks the user, who stays; a link turns out to be a download.
// Then no `pagehide` follows, and the tab must come back by itself: a poll after its next use (the
// bare app tab reads its token once a second) it rejoins, as a follower, with the group's token, and the
// group has one leader and fetches nothing. That the other tab took over first shows the tab did
// let go at `beforeunload`: without the listener, a navigation that does not happen changes nothing.

import type { Page } from '@playwright/test';
import { cannotDismissPrompt } from './engine';
import { expect, test } from './fixtures';
import { note } from './note';
import { isLeader, leaderIndexes, peekJti } from './page-state';
import { expectOneLeaderByApi } from './waits';

/** Served as application/octet-stream (playground/public/): the browser downloads it, the tab stays. */
const DOWNLOAD = '/e2e-download.bin';

async function leaderWhoStays(
  tabs: Parameters<Parameters<typeof test>[2]>[0]['tabs'],
  server: Parameters<Parameters<typeof test>[2]>[0]['server'],
): Promise<{ pages: Page[]; leader: Page; other: Page; jti: string }> {
  const { pages, leaderIndex, jti } = await tabs.openSettled(2, { path: '/bench.html' });
  await server.reset(); // from here on the group holds a 60 s token: nothing has a reason to fetch
  return { pages, leader: pages[leaderIndex] as Page, other: pages[1 - leaderIndex] as Page, jti };
}

async function expectRejoined(pages: Page[], stayed: Page, other: Page, jti: string, startedAt: number) {
  await expect.poll(() => isLeader(other), { message: 'the other tab took over at beforeunload' }).toBe(true);
  const tookOverMs = Date.now() - startedAt;
  expect(await stayed.evaluate(() => location.pathname), 'the tab stayed on its page').toBe('/bench.html');
  await expect.poll(() => peekJti(stayed), { message: 'back in the group, with its token' }).toBe(jti);
  await expectOneLeaderByApi(pages);
  expect(await leaderIndexes(pages)).toEqual([pages.indexOf(other)]);
  note('stayed', `the other tab led ${tookOverMs} ms after the navigation began; the tab rejoined`);
}

test('a navigation that turns into a download: the leader lets go at beforeunload, stays, and rejoins after its next read; one leader, no fetch', async ({
  tabs,
  server,
  pageErrors,
}) => {
  const { pages, leader, other, jti } = await leaderWhoStays(tabs, server);
  const startedAt = Date.now();
  await pageErrors.navigating(leader, () =>
    leader.evaluate((url) => {
      location.href = url;
    }, DOWNLOAD),
  );
  await expectRejoined(pages, leader, other, jti, startedAt);
  expect(await server.requests(), 'token requests').toBe(0);
});

test('a navigation the user cancels at another listener’s prompt: the leader lets go at beforeunload, stays, and rejoins after its next read; one leader, no fetch', async ({
  tabs,
  server,
  pageErrors,
  engine,
}) => {
  test.skip(cannotDismissPrompt(engine) !== null, cannotDismissPrompt(engine) ?? '');
  const { pages, leader, other, jti } = await leaderWhoStays(tabs, server);
  // The app's own listener, which asks "leave the site?"; browsers ask only a page the user used.
  await leader.evaluate(() =>
    window.addEventListener('beforeunload', (event) => {
      event.preventDefault();
      event.returnValue = '';
    }),
  );
  await leader.mouse.click(5, 5);
  const asked = leader.waitForEvent('dialog').then(async (dialog) => {
    const type = dialog.type();
    await dialog.dismiss(); // the user stays
    return type;
  });
  const startedAt = Date.now();
  await pageErrors.navigating(leader, () =>
    leader.evaluate(() => {
      location.href = '/away.html';
    }),
  );
  expect(await asked, 'the prompt the user dismissed').toBe('beforeunload');
  await expectRejoined(pages, leader, other, jti, startedAt);
  expect(await server.requests(), 'token requests').toBe(0);
});
