// R29: the token server says the session is gone. With rotation on, someone else (a stolen
// cookie) uses the group's refresh token; the leader's next refresh presents the used one, the
// server revokes the session (401 refresh_token_reused) and the app's fetchToken says so with
// `signedOut`: every tab signs out at once, says why, and asks for nothing more. Long-lived
// tokens, so that no refresh of the group's own races the thief: the next one is forced.

import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { note } from './note';
import { leaderIndexes, tryGetToken } from './page-state';
import { recorded } from './recorder';
import { signIn } from './server-api';
import { elapse } from './waits';

test('a revoked session signs every tab out at once (origin server), and nothing more is asked', async ({
  server,
  tabs,
  context,
  playwright,
  baseURL,
}) => {
  await server.control({ rotation: true });
  await signIn(context);
  const { pages } = await tabs.openSettled(2);
  const leader = pages[(await leaderIndexes(pages))[0] as number] as Page;
  // The thief: the group's current refresh token, used from elsewhere.
  const rt = (await context.cookies()).find((c) => c.name === 'rt');
  expect(rt, 'the refresh cookie').toBeDefined();
  const thief = await playwright.request.newContext({ baseURL });
  const stolen = await thief.post('/api/token', { data: {}, headers: { cookie: `rt=${rt?.value}` } });
  expect(stolen.status()).toBe(200);
  await thief.dispose();

  // The group's next refresh presents the used token.
  expect(await tryGetToken(leader, true)).toBe('signed_out');
  for (const page of pages) {
    await expect(page.getByTestId('signed-out')).toBeVisible();
    await expect(page.getByTestId('signed-out')).toHaveAttribute('data-origin', 'server');
  }
  const after = await server.requests();
  await elapse(3_000); // three of the dashboards' once-a-second calls: none asks for a token
  const stats = await server.stats();
  for (const page of pages) {
    const { clears } = await recorded(page);
    expect(clears.map((c) => `${c.origin} ${c.reason}`)).toEqual(['server refresh_token_reused']);
  }
  note(
    'server sign-out',
    `reuse detected ${stats.reuseDetected}; requests after the sign-out ${stats.requests - after}`,
  );
  expect(stats.reuseDetected).toBe(1);
  expect(stats.requests - after, 'token requests after every tab said signed out').toBe(0);
});
