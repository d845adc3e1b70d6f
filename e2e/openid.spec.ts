// Against a real authorization server (SPEC §3): the playground's OpenID Provider, oidc-provider
// with rotating refresh tokens and its own reuse detection (a refresh token presented twice
// revokes the whole grant: the user is signed out). The refresh token lives in the origin's
// localStorage; the page refreshes under exclusiveFetch (playground/openid/refresh.ts).
//
// In each engine the sign-in is the real code flow with PKCE, through the provider's login form.
// A leader that "crashes" with its refresh at the provider is crashed in Chromium (CDP) and
// closed in the others (engine.ts: no engine but Chromium can crash one tab here); both lose the
// answer that carried the rotated refresh token.

import type { Page } from '@playwright/test';
import { cannotCrash, crashTab, type EngineName } from './engine';
import { expect, test } from './fixtures';
import { note } from './note';
import { revokedAfter, signInWithOpenId } from './openid';
import { leaderIndexes, nextTokenCodes, peekJtis } from './page-state';
import { recorded } from './recorder';
import { isShown } from './shown';
import { tabUrl } from './tabs';
import { SHORT_TTL_S } from './timing.mjs';
import { expectOneLeader, expectSharedToken, leadingNow, waitUntilNoRefreshDue, watchTabs } from './waits';

const OPENID = { auth: 'oidc' };
const KEYS = ['default', 'second'];

/** The leader goes as the engine allows: crashed where it can be, else closed. */
async function leaderGoes(
  context: Parameters<typeof crashTab>[0],
  page: Page,
  engine: EngineName,
): Promise<string> {
  if (cannotCrash(engine) === null) {
    await crashTab(context, page);
    return 'crashed';
  }
  await page.close();
  return 'closed';
}

// A leader that closes or crashes while its refresh is at the provider loses the rotated refresh
// token whatever the library does (the last scenario of this file); here each leader goes between
// two refreshes, which is what the library can promise: the next leader carries on with 0 grants
// revoked. (Found by this scenario in Firefox: a refresh there took up to 700 ms on this 2-core
// machine, so leaders closed at random moments revoked the grant in 5 runs of 7.)
test('OpenID Provider: ten tabs signed in once, two audiences, exclusiveFetch, three token lifetimes, the leader closed then crashed between refreshes: no grant revoked, no call refused', async ({
  server,
  tabs,
  context,
  pageErrors,
  engine,
  cacheName,
}) => {
  test.setTimeout(150_000);
  // Seconds, one per phase (the middle one watched twice). Not shorter than 4: with two keys under
  // exclusiveFetch and Firefox's refreshes of up to 700 ms on a loaded machine, 3 s tokens kept
  // the fetch lock nearly always busy, and once (d4bdf0d) the leader never held both keys far
  // enough from due to be made to go between refreshes.
  const lifetimes = [SHORT_TTL_S, 4, 6];
  await server.control({ ttlSeconds: lifetimes[0] });
  // The sign-in in a dashboard, which then becomes a bare app tab like the nine others (engine.ts:
  // ten dashboards are too much for this machine), each reading both keys and calling the API.
  const first = await tabs.open();
  await signInWithOpenId(first, pageErrors);
  await waitUntilNoRefreshDue(first, ['default']); // (leaving mid-refresh would lose the rotated refresh token)
  const busy = { path: '/bench.html', params: { ...OPENID, also: 'second', calls: '1' } } as const;
  await pageErrors.navigating(first, () => first.goto(tabUrl(cacheName, busy)));
  const pages = [first, ...(await tabs.openMany(9, context, busy))];
  await expectOneLeader(pages);
  await expectSharedToken(pages);
  const started = Date.now();

  let open = [...pages];
  await watchTabs(open, (lifetimes[0] ?? 0) * 1000);
  const closing = open[(await leaderIndexes(open))[0] as number] as Page;
  await waitUntilNoRefreshDue(closing, KEYS);
  await closing.close();
  open = open.filter((p) => p !== closing);
  await server.control({ ttlSeconds: lifetimes[1] });
  await expectOneLeader(open);
  await watchTabs(open, 2 * (lifetimes[1] ?? 0) * 1000);

  await server.control({ ttlSeconds: lifetimes[2] });
  const going = open[(await leaderIndexes(open))[0] as number] as Page;
  await waitUntilNoRefreshDue(going, KEYS);
  const how = await leaderGoes(context, going, engine);
  open = open.filter((p) => p !== going);
  await expectOneLeader(open);
  const watched = await watchTabs(open, (lifetimes[2] ?? 0) * 1000);

  const stats = await server.stats();
  note(
    'openid',
    `${Date.now() - started} ms (lifetimes ${lifetimes.join(', ')} s; the second leader ${how}), ` +
      `${stats.requests} refresh grants (${JSON.stringify(stats.byKey)}), grants revoked ${stats.reuseDetected}, ` +
      `protected calls ${stats.accepted} accepted / ${stats.rejected} refused; ${watched.emptyReads} empty reads at the end`,
  );
  await expectSharedToken(open);
  expect(stats.byKey.second ?? 0, 'the second audience was refreshed too').toBeGreaterThanOrEqual(3);
  expect(stats.reuseDetected, 'grants revoked (a refresh token presented twice)').toBe(0);
  expect(stats.accepted, 'protected calls made').toBeGreaterThan(10 * 10);
  expect(stats.rejected, 'protected calls refused').toBe(0);
});

test('OpenID Provider, the baseline: the same ten tabs each refreshing for itself (no shared cache) get the grant revoked', async ({
  server,
  tabs,
  context,
  pageErrors,
}) => {
  test.setTimeout(90_000);
  await server.control({ ttlSeconds: SHORT_TTL_S });
  const first = await tabs.open();
  await signInWithOpenId(first, pageErrors);
  const signedIn = Date.now();
  // Each tab its own cache name: ten caches, as ten tabs of an app without the library would be,
  // sharing the one refresh token in localStorage (what oidc-client-ts does per tab).
  for (let i = 0; i < 9; i++) {
    const page = await context.newPage();
    await page.goto(tabUrl(`alone-${i}-${Date.now()}`, { path: '/bench.html', params: OPENID }));
  }
  const after = await revokedAfter(async () => (await server.stats()).reuseDetected, signedIn, 60_000);
  const stats = await server.stats();
  note(
    'openid baseline',
    `grant revoked ${after} ms after the sign-in; ${stats.requests} refresh grants by then`,
  );
  expect(stats.reuseDetected).toBeGreaterThanOrEqual(1);
});

for (const graceSeconds of [0, 10]) {
  const strict = graceSeconds === 0;
  test(`OpenID Provider: a leader that goes with its refresh at the provider (it rotated, the answer never arrived), ${strict ? 'strict provider: every tab is signed out' : `reuse grace ${graceSeconds} s: nobody is signed out`}`, async ({
    server,
    tabs,
    context,
    pageErrors,
    engine,
  }) => {
    test.setTimeout(90_000);
    const latencyMs = 2_000;
    await server.control({ ttlSeconds: SHORT_TTL_S, latencyMs, reuseGraceSeconds: graceSeconds });
    const first = await tabs.open();
    await signInWithOpenId(first, pageErrors);
    const pages = [first, ...(await tabs.openMany(2, context, { params: OPENID }))];
    await expectOneLeader(pages);

    // The leader's next refresh reaches the provider (counted once it rotated, before the
    // latency holds the answer back); then the leader goes while the answer is held. The leader
    // is asked for again now: with 2 s answers and 5 s tokens a follower may have taken over
    // meanwhile (CI, 2026-11-30: the tab crashed had just handed over, and nobody was signed out).
    const before = await server.requests();
    await expect
      .poll(() => server.requests(), { timeout: 2 * SHORT_TTL_S * 1000, intervals: [25] })
      .toBeGreaterThan(before);
    const leader = await leadingNow(pages, 'the one whose refresh is at the provider');
    const rest = pages.filter((p) => p !== leader);
    const [held] = await peekJtis(rest);
    const how = await leaderGoes(context, leader, engine);
    // The new leader refreshes with what localStorage holds: the refresh token the provider used
    // up. Strict: the grant is revoked and the group signed out; with a grace: a new token.
    const settled = strict
      ? () => nextTokenCodes(rest).then((codes) => codes.every((code) => code === 'signed_out'))
      : () => peekJtis(rest).then((jtis) => jtis.every((jti) => jti !== null && jti !== held));
    await expect.poll(settled, { timeout: 3 * SHORT_TTL_S * 1000 + latencyMs }).toBe(true);
    const codes = await nextTokenCodes(rest);
    const stats = await server.stats();
    note(
      strict ? 'openid crash strict' : 'openid crash grace',
      `leader ${how}; grants revoked ${stats.reuseDetected}; the tabs' next getToken: ${codes.join(', ')}`,
    );
    if (strict) {
      expect(stats.reuseDetected, 'the provider saw the used refresh token again').toBe(1);
      expect(codes, 'signed out: every tab is told so').toEqual(['signed_out', 'signed_out']);
      for (const page of rest) {
        const { clears } = await recorded(page);
        expect(clears.map((c) => c.origin)).toContain('server');
      }
      await expect.poll(() => isShown(rest[0] as Page, 'signed-out')).toBe(true);
    } else {
      expect(stats.reuseDetected, 'no grant revoked').toBe(0);
      expect(codes).toEqual(['ok', 'ok']);
      for (const page of rest) expect((await recorded(page)).clears).toEqual([]);
    }
  });
}
