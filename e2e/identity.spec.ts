// R30: another user signs in in one tab: every tab says so once (`identity`), and the leader's
// events say why leadership moved.

import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { recorded } from './recorder';
import { attributeOf, click, textOf } from './shown';
import { expectOneLeader } from './waits';

test('another user signs in in one tab: every tab says so, once', async ({ tabs }) => {
  const { pages } = await tabs.openSettled(2);
  const switching = pages[1] as Page;
  await click(switching, 'switch-user'); // the server now signs tokens for 'ada'
  for (const page of pages) {
    await expect.poll(() => textOf(page, 'identity')).toBe('ada');
    await expect.poll(() => attributeOf(page, 'identity', 'data-previous')).toBe('user_demo');
  }
  for (const page of pages) {
    const { identities } = await recorded(page);
    expect(identities.map(({ previous, current }) => ({ previous, current }))).toEqual([
      { previous: 'user_demo', current: 'ada' },
    ]);
  }
});

test("leadership says why it moved: 'elected', then 'took-over' when the leader's tab closes", async ({
  tabs,
}) => {
  const { pages, leader } = await tabs.openSettled(2);
  const follower = pages.find((p) => p !== leader) as Page;
  expect((await recorded(leader)).leader.map((e) => e.reason)).toEqual(['elected']);
  await leader.close();
  await expectOneLeader([follower]);
  expect((await recorded(follower)).leader.map((e) => `${e.isLeader} ${e.reason}`)).toEqual([
    'true took-over',
  ]);
});
