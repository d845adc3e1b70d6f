// R31: a page that arrives with a token its server rendered into it (`/?ssr=1`, as a Next.js or
// Remix server holding the session would) seeds its cache with it: the page, and every tab opened
// after it, serve that token, and the group makes no token request for it.

import { expect, test } from './fixtures';
import { note } from './note';
import { peekJtis } from './page-state';
import { recorded } from './recorder';
import { expectOneLeader, expectSharedToken } from './waits';

test('a page arrives with a token its server rendered: it and the tabs opened after it serve it, 0 token requests', async ({
  server,
  tabs,
}) => {
  const seeded = await tabs.open(undefined, { params: { ssr: '1' } });
  const jti = await expectSharedToken([seeded]);
  const more = await tabs.openMany(2);
  const pages = [seeded, ...more];
  await expectOneLeader(pages);
  expect(await expectSharedToken(pages)).toBe(jti);
  expect(await peekJtis(pages)).toEqual(pages.map(() => jti));
  const sources = (await recorded(seeded)).tokens.map((t) => t.source);
  const requests = await server.requests();
  note('seeded page', `3 tabs serve the rendered token ${jti.slice(0, 8)}…; ${requests} token requests`);
  expect(sources, "the seeded page's token came from the page").toEqual(['seed']);
  expect(requests, 'token requests of the group').toBe(0);
});
