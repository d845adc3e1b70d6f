// Scenarios 6, 7 and 8: sign-out during a refresh, a failing token server, a server answering garbage.

import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { requestArrivals } from './hardening-probes';
import { note } from './note';
import { cacheStats, leaderIndexes, peekJtis, type TestWindow, tryGetToken } from './page-state';
import { recorded } from './recorder';
import { usableLifeMs } from './request-budget';
import { click, isShown, textOf } from './shown';
import { CUTOFF_S, LONG_TTL_S, POLL_MS, SHORT_TTL_S } from './timing.mjs';
import { elapse, expectSharedToken } from './waits';

/** Long enough that the sign-out lands while the answer is held, on a loaded 2-core machine too. */
const LATENCY_MS = 3000;
/** Date.now() in a page and in the test are one clock; this covers reading it at slightly different moments. */
const CLOCK_SLACK_MS = 50;

/** peekToken's jti, with the page's Date.now() at the moment of the read. */
function peekStamped(page: Page): Promise<{ at: number; jti: string | null }> {
  return page.evaluate(() => {
    const token = (window as unknown as TestWindow).tokenCache.peekToken('default');
    const at = Date.now();
    if (token === null) return { at, jti: null };
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { jti?: unknown };
    return { at, jti: typeof claims.jti === 'string' ? claims.jti : '?' };
  });
}

test('sign out everywhere while a refresh is in flight: no tab keeps or regains a token', async ({
  server,
  tabs,
  request,
}) => {
  test.setTimeout(60_000);
  await server.control({ ttlSeconds: SHORT_TTL_S });
  const { pages, leaderIndex, jti: jtiBefore } = await tabs.openSettled(3);
  const follower = pages.find((_, i) => i !== leaderIndex) as Page;

  // Slow answers: the leader's next background refresh (due at most 2.5 s from now) hangs 3 s.
  await server.control({ latencyMs: LATENCY_MS });
  const requestsBefore = await server.requests();
  await expect
    .poll(() => server.requests(), {
      timeout: 10_000,
      intervals: [50],
      message: 'a refresh reached the server',
    })
    .toBeGreaterThan(requestsBefore);
  const inFlight = await server.requests();
  // When it reached the server (its clock is this machine's): the answer leaves LATENCY_MS later.
  const arrived = (await requestArrivals(request)).at(-1) ?? Number.NaN;

  // Sign out from a follower, while the leader's request is still waiting on the server.
  await follower.evaluate(() => (window as unknown as TestWindow).tokenCache.clear());
  const clearedAt = Date.now();
  expect(clearedAt - arrived, 'the clear came while the refresh was in flight').toBeLessThan(LATENCY_MS);
  await expect.poll(() => peekJtis(pages), { timeout: 2000 }).toEqual([null, null, null]);
  for (const page of pages) {
    await expect.poll(() => isShown(page, 'signed-out')).toBe(true);
    await expect.poll(() => textOf(page, 'token-jti')).toBe('—');
  }

  // Let the slow answer come back (and more), then look again: nothing came back with it.
  await elapse(Math.max(0, clearedAt + LATENCY_MS + 1000 - Date.now()));
  expect(await peekJtis(pages), 'tokens after the late answer').toEqual([null, null, null]);
  for (const [i, page] of pages.entries()) {
    const log = await recorded(page);
    expect(log.clears, `tab ${i} saw the clear`).toHaveLength(1);
    const afterClear = log.tokens.filter((event) => event.at >= (log.clears[0]?.at ?? 0));
    expect(afterClear, `tab ${i}: token events after the clear`).toEqual([]);
    expect((await cacheStats(page)).keys, `tab ${i}: keys held`).toBe(0);
    await expect.poll(() => textOf(page, 'token-jti')).toBe('—');
  }
  expect(await server.requests(), 'no fetch after the clear').toBe(inFlight);
  const seenBeforeClear = [jtiBefore];
  for (const page of pages)
    for (const event of (await recorded(page)).tokens) seenBeforeClear.push(event.jti ?? '');

  // Sign in again: the next getToken fetches a brand-new token, once.
  await server.control({ latencyMs: 0, ttlSeconds: LONG_TTL_S });
  const signingIn = pages[0] as Page;
  await click(signingIn, 'sign-in');
  await expect.poll(() => server.requests()).toBe(inFlight + 1);
  await expect.poll(() => isShown(signingIn, 'signed-out')).toBe(false);
  await expect.poll(() => textOf(signingIn, 'token-jti')).not.toBe('—');
  const jtiAfter = await expectSharedToken(pages);
  // The others are signed in by the token the sign-in brought: no button pressed there.
  for (const page of pages) {
    await expect.poll(() => isShown(page, 'signed-out')).toBe(false);
    await expect.poll(() => textOf(page, 'token-jti')).toBe(jtiAfter);
  }
  expect(jtiAfter, 'a new token after signing in').not.toBe(jtiBefore);
  expect(seenBeforeClear, 'tokens from before the sign-out').not.toContain(jtiAfter);
  await elapse(2 * POLL_MS);
  expect(await server.requests(), 'one fetch for the sign-in').toBe(inFlight + 1);
  expect((await server.stats()).rejected).toBe(0);
});

test('server failing: stale tokens until the cutoff, then fetch_failed, never an expired token; recovery within a poll', async ({
  server,
  tabs,
}) => {
  test.setTimeout(60_000);
  await server.control({ ttlSeconds: SHORT_TTL_S });
  const { pages, jti: jtiBefore } = await tabs.openSettled(3);

  await server.control({ mode: 'fail' });
  const failedAt = Date.now();
  const beforeFail = await server.requests();

  // Until its cutoff every tab keeps serving the token it has (R2); from then on none serves
  // one (R3). Each read is stamped inside the page and checked against the token's expiresAt
  // (wall-clock ms, from its token event): served means more than the cutoff was left.
  const servedLate: string[] = [];
  const lastServed = new Map<number, number>();
  const lastJti = new Map<number, string>();
  const firstEmpty = new Map<number, number>();
  const deadline = Date.now() + usableLifeMs(SHORT_TTL_S) + 5000;
  while (firstEmpty.size < pages.length && Date.now() < deadline) {
    // The tabs are read together: one after the other, a sample of three took seconds in a loaded
    // Firefox (page.evaluate 0.6 to 1.4 s), longer than the tokens' usable life.
    const reads = await Promise.all(
      pages.map(async (page) => {
        const read = await peekStamped(page);
        return { read, events: read.jti === null ? [] : (await recorded(page)).tokens };
      }),
    );
    for (const [i, { read, events }] of reads.entries()) {
      if (read.jti === null) {
        if (!firstEmpty.has(i)) firstEmpty.set(i, read.at);
        continue;
      }
      const event = events.filter((e) => e.jti === read.jti).at(-1);
      const left = (event?.expiresAt ?? Number.NaN) - read.at;
      if (!(left > CUTOFF_S * 1000 - CLOCK_SLACK_MS))
        servedLate.push(`tab ${i}: ${read.jti} with ${left} ms left`);
      if (firstEmpty.has(i)) {
        // The token the tab stopped serving must not come back. A newer one may: the leader's
        // refresh that the server answered just before it failed, arriving after the tab's token
        // ran out (seen once in CI on a loaded machine at baae0c2: that refresh came 1.1 s late).
        if (read.jti === lastJti.get(i))
          servedLate.push(`tab ${i}: served ${read.jti} again after an empty read`);
        else firstEmpty.delete(i);
      }
      lastJti.set(i, read.jti);
      lastServed.set(i, read.at);
    }
    await elapse(100);
  }
  expect(firstEmpty.size, 'every tab stopped serving its token').toBe(pages.length);
  expect(servedLate, 'tokens served at or past their cutoff').toEqual([]);
  // ...and served it right up to the cutoff: each tab's last token read before the first empty
  // one had little more than a sample period (and a verification) to go.
  for (const [i, page] of pages.entries()) {
    const tokens = (await recorded(page)).tokens.filter((e) => e.at <= (firstEmpty.get(i) ?? 0));
    const cutoffAt = (tokens.at(-1)?.expiresAt ?? Number.NaN) - CUTOFF_S * 1000;
    expect(
      (firstEmpty.get(i) ?? 0) - cutoffAt,
      `tab ${i}: first empty read after its token's cutoff (ms)`,
    ).toBeGreaterThanOrEqual(-CLOCK_SLACK_MS);
    expect(lastServed.get(i), `tab ${i} served its token while the server failed`).toBeDefined();
  }
  const unservableAfter = Math.max(...firstEmpty.values()) - failedAt;
  // Every tab's app sees fetch_failed (its getToken rejects), none an expired token.
  for (const page of pages) await expect.poll(() => textOf(page, 'last-error')).toBe('fetch_failed');

  // Keep failing for longer than a lifetime.
  await elapse(Math.max(0, failedAt + SHORT_TTL_S * 1000 + 1000 - Date.now()));
  expect(await peekJtis(pages)).toEqual([null, null, null]);
  const codes = new Set<string>();
  for (const page of pages) for (const event of (await recorded(page)).errors) codes.add(event.code);
  expect([...codes], 'error events while the server fails').toEqual(['fetch_failed']);
  const during = await server.stats();
  expect(during.rejected, 'protected calls refused (an expired token was served)').toBe(0);
  note(
    'failing',
    `${Date.now() - failedAt} ms failing: ${during.requests - beforeFail} token requests; no tab served a token after ${unservableAfter} ms`,
  );

  // Recovery: every tab has a token again within about a poll interval. The tabs' own calls
  // (one a second each) and the leader's poll drive it; the slack covers a loaded machine.
  await server.control({ mode: 'ok' });
  const recoveredAt = Date.now();
  const jtiAfter = await expectSharedToken(pages, 10_000);
  const recoveryMs = Date.now() - recoveredAt;
  note('recovery', `every tab held a new token ${recoveryMs} ms after the server recovered`);
  expect(recoveryMs, 'every tab has a token after the server recovers (ms)').toBeLessThanOrEqual(
    POLL_MS + 1000 + 1500,
  );
  expect(jtiAfter).not.toBe(jtiBefore);
  for (const page of pages) await expect.poll(() => textOf(page, 'last-error')).toBe('');
  expect((await server.stats()).rejected, 'protected calls refused').toBe(0);
});

test('server answering garbage: invalid_token surfaces, nothing is cached or broadcast', async ({
  server,
  tabs,
}) => {
  await server.control({ ttlSeconds: LONG_TTL_S });
  const { pages, leaderIndex } = await tabs.openSettled(3);

  await server.control({ mode: 'garbage' });
  // Sign out, so that the next getToken must fetch.
  await pages[1]?.evaluate(() => (window as unknown as TestWindow).tokenCache.clear());
  await expect.poll(() => peekJtis(pages)).toEqual([null, null, null]);
  const before = await Promise.all(pages.map(cacheStats));
  const requestsBefore = await server.requests();

  // Every tab asks; the leader fetches (the followers' misses go to it) and gets garbage.
  for (const [i, page] of pages.entries()) {
    expect(await tryGetToken(page), `getToken in tab ${i}`).toBe('invalid_token');
  }
  expect(await server.requests(), 'the garbage was fetched').toBeGreaterThan(requestsBefore);
  const leader = pages[leaderIndex] as Page;
  await expect.poll(() => textOf(leader, 'last-error')).toBe('invalid_token');
  expect((await recorded(leader)).errors.map((event) => event.code)).toContain('invalid_token');

  // A few polls later still nothing is held anywhere, and nothing was broadcast.
  await elapse(3 * POLL_MS);
  expect(await peekJtis(pages)).toEqual([null, null, null]);
  const after = await Promise.all(pages.map(cacheStats));
  for (const [i, page] of pages.entries()) {
    expect(after[i]?.keys, `tab ${i}: keys held`).toBe(0);
    expect(after[i]?.broadcastsSent, `tab ${i}: broadcasts sent`).toBe(before[i]?.broadcastsSent);
    expect(after[i]?.broadcastsReceived, `tab ${i}: broadcasts received`).toBe(before[i]?.broadcastsReceived);
    const log = await recorded(page);
    expect(
      log.tokens.filter((event) => event.at >= (log.clears[0]?.at ?? 0)),
      `tab ${i}: token events after the clear`,
    ).toEqual([]);
    await expect.poll(() => textOf(page, 'token-jti')).toBe('—');
  }
  expect(await leaderIndexes(pages)).toEqual([leaderIndex]);
  expect((await server.stats()).rejected).toBe(0);
});
