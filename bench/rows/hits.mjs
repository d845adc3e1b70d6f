// Row `hits` (table 2): the cost of a hit inside Chromium, in ns per call: getToken() and
// peekToken() on a fresh token, beside a bare Map.get. Timed in the page with performance.now()
// from before to after 1,000,000 calls (after 10,000 of warm-up), 5 runs.

import { api } from '../harness/playground.mjs';
import { summary } from '../harness/stats.mjs';
import { closeAll, holdToken, openTabs, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'hits';
export const DEV_SERVER = true;

/** ns per call of a hit, over 1,000,000 calls, beside a bare Map.get. */
export async function measure(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const [page] = await openTabs(context, [uniqueName('hit')]);
  await holdToken([page]);
  const result = await page.evaluate(() => {
    const N = 1_000_000;
    const cache = window.tokenCache;
    const map = new Map([['default', 'x']]);
    const time = (fn) => {
      fn(10_000); // warm-up
      const t0 = performance.now();
      fn(N);
      return ((performance.now() - t0) * 1e6) / N;
    };
    let sink = 0;
    const out = { getToken: [], peekToken: [], mapGet: [] };
    for (let r = 0; r < 5; r++) {
      out.mapGet.push(
        time((n) => {
          for (let i = 0; i < n; i++) sink += map.get('default').length;
        }),
      );
      out.peekToken.push(
        time((n) => {
          for (let i = 0; i < n; i++) sink += cache.peekToken('default').length;
        }),
      );
      out.getToken.push(
        time((n) => {
          for (let i = 0; i < n; i++) cache.getToken('default');
        }),
      );
    }
    return { ...out, sink };
  });
  await closeAll(context);
  console.log(`getToken hit: ${summary(result.getToken, 0)} ns`);
  return result;
}

/** Table 2 of bench/RESULTS.md. */
export function section(hits) {
  const out = ['## 2. Cost of a hit inside Chromium (ns per call, 1,000,000 calls, 5 runs)', ''];
  out.push('| call | ns per call |', '|---|---|');
  out.push(`| \`getToken()\` (fresh token; returns a resolved promise) | ${summary(hits.getToken, 0)} |`);
  out.push(`| \`peekToken()\` | ${summary(hits.peekToken, 0)} |`);
  out.push(`| bare \`Map.get\` (the floor) | ${summary(hits.mapGet, 0)} |`);
  return out;
}
