// The React recipe of docs/recipes.md, for real: playground/react.html uses the hook under <StrictMode>
// (every component mounted twice) with the cache as a module-level singleton.

import { expect, test } from './fixtures';
import { expectOneLeader, expectSharedToken } from './waits';

test('React under StrictMode: no page error, one leader, and every tab shows the shared token', async ({
  tabs,
  server,
}) => {
  const pages = await tabs.openMany(3, undefined, { path: '/react.html' });
  await expectOneLeader(pages); // by the API and by each page's data-testid="role"
  const jti = await expectSharedToken(pages);
  for (const page of pages) await expect(page.getByTestId('token-jti')).toHaveText(jti);
  expect(await server.requests(), 'one token for the three tabs').toBe(1);
  // (The fixture fails the test on any page error or unhandled rejection.)
});
