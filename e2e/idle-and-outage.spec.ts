// Idle keys (R21) and the outage budget (R24), on bare app tabs (/idle.html) that read their
// token once at start and then only when the test asks: the dashboard reads every second, which
// would keep every key in use.

import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { note } from './note';
import { peekJtis, type TestWindow, tryGetToken } from './page-state';
import { usableLifeMs } from './request-budget';
import { LONG_TTL_S, POLL_MS, SHORT_TTL_S } from './timing.mjs';
import { elapse, expectOneLeaderByApi } from './waits';

const IDLE_S = 3;

test('idle: a group whose tabs stop reading makes no token request after the idle timeout; the next read fetches once', async ({
  server,
  tabs,
}) => {
  test.setTimeout(60_000);
  await server.control({ ttlSeconds: SHORT_TTL_S });
  const pages = await tabs.openMany(3, undefined, { path: '/idle.html', params: { idle: String(IDLE_S) } });
  await expectOneLeaderByApi(pages);
  for (const page of pages) {
    await expect.poll(() => page.evaluate(() => window.firstRead)).toBe('ok');
  }
  // Nobody reads from here on. After the idle timeout the key is no longer refreshed, and once
  // its token is unservable it is dropped: let both pass, then count.
  await elapse(IDLE_S * 1000 + usableLifeMs(SHORT_TTL_S) + 1_000);
  const before = await server.requests();
  const watchMs = 2 * SHORT_TTL_S * 1000;
  await elapse(watchMs); // two token lifetimes: an active group would refresh twice
  const during = (await server.requests()) - before;
  note(
    'idle',
    `${during} token requests in ${watchMs} ms after the idle timeout (3 tabs, ${SHORT_TTL_S} s tokens)`,
  );
  expect(during, 'token requests of an idle group').toBe(0);

  const follower = (
    await Promise.all(
      pages.map((p) => p.evaluate(() => (window as unknown as TestWindow).tokenCache.isLeader)),
    )
  ).findIndex((leads) => !leads);
  expect(await tryGetToken(pages[follower] as Page)).toMatch(/^ok:/);
  await expect
    .poll(async () => new Set(await peekJtis(pages)).size, { message: 'every tab holds the new token' })
    .toBe(1);
  expect((await server.requests()) - before, 'the first read after the idle timeout fetches once').toBe(1);
});

test('outage: callers in the leader tab and in followers cost one request per poll interval', async ({
  server,
  tabs,
}) => {
  test.setTimeout(60_000);
  await server.control({ ttlSeconds: LONG_TTL_S });
  const pages = await tabs.openMany(4, undefined, { path: '/idle.html' });
  const leaderIndex = await expectOneLeaderByApi(pages);
  await server.control({ mode: 'fail' });
  const before = (await server.stats()).byKey.outage ?? 0;
  const durationMs = 5_000;
  const started = Date.now();
  // 10 callers in the leader's tab and 3 in each follower, every 100 ms, for a key with no token.
  const codes = await Promise.all(
    pages.map((page, i) =>
      page.evaluate(
        async ({ callers, durationMs }) => {
          const cache = (window as unknown as TestWindow).tokenCache;
          const seen = new Set<string>();
          const calls: Promise<unknown>[] = [];
          const end = Date.now() + durationMs;
          while (Date.now() < end) {
            for (let c = 0; c < callers; c++) {
              calls.push(
                cache.getToken('outage').then(
                  () => seen.add('ok'),
                  (e: { code?: string }) => seen.add(String(e.code)),
                ),
              );
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          await Promise.all(calls);
          return [...seen];
        },
        { callers: i === leaderIndex ? 10 : 3, durationMs },
      ),
    ),
  );
  const elapsedMs = Date.now() - started;
  const requests = ((await server.stats()).byKey.outage ?? 0) - before;
  const calls = Math.round(durationMs / 100) * (10 + 3 * 3);
  const bound = 1 + Math.ceil(elapsedMs / POLL_MS);
  note(
    'outage',
    `${requests} token requests for ~${calls} calls in ${elapsedMs} ms (bound ${bound}: one per ${POLL_MS} ms poll)`,
  );
  expect(new Set(codes.flat())).toEqual(new Set(['fetch_failed']));
  expect(requests, 'token requests during the outage').toBeLessThanOrEqual(bound);
  expect(requests, 'the endpoint is still tried every poll interval').toBeGreaterThanOrEqual(
    Math.floor(durationMs / POLL_MS) - 1,
  );
});
