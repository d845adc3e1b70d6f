// Row `requests` (table 1): token requests per token lifetime for 1, 10 and 50 tabs, coordinated
// (one name) against each tab its own cache (distinct names). Counted on the token server from
// just after one new token in the first tab to just after its LIFETIMES-th next one. Also: the
// requests caused by opening 10 more tabs into a warm group of 10.

import { api } from '../harness/playground.mjs';
import { REPEATS, TTL } from '../harness/settings.mjs';
import { median, summary } from '../harness/stats.mjs';
import { closeAll, holdToken, openTabs, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'requests';
export const DEV_SERVER = true;
const LIFETIMES = 6; // token lifetimes counted in each run

/**
 * Server requests while the first tab goes through LIFETIMES token lifetimes, with `n` tabs
 * coordinated (one name) or each its own cache (distinct names). The window runs from just after
 * one new token to just after the LIFETIMES-th next one in that tab: whole lifetimes, so no count
 * is cut at the window's edges.
 */
async function requestsPerLifetime(browser, n, coordinated) {
  await api('/api/control', { ttlSeconds: TTL, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const name = uniqueName('rq');
  const pages = await openTabs(
    context,
    Array.from({ length: n }, (_, i) => (coordinated ? name : `${name}-tab${i}`)),
  );
  await holdToken(pages);
  const tab = pages[0];
  const afterToken = async (count) => {
    await tab.waitForFunction((c) => window.__tokens.length >= c, count, { timeout: 60_000 });
    return (await api('/api/stats')).byKey.default ?? 0;
  };
  const seen = await tab.evaluate(() => window.__tokens.length);
  const start = await afterToken(seen + 1);
  const end = await afterToken(seen + 1 + LIFETIMES);
  await closeAll(context);
  return (end - start) / LIFETIMES;
}

/** Requests caused by opening 10 more tabs into a warm group of 10 (60 s tokens: no refresh meanwhile). */
async function warmOpen(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const names = Array(10).fill(uniqueName('warm'));
  await holdToken(await openTabs(context, names));
  const before = (await api('/api/stats')).requests;
  await holdToken(await openTabs(context, names));
  const after = (await api('/api/stats')).requests;
  await closeAll(context);
  return after - before;
}

/** Each tab count REPEATS times in both modes, then REPEATS warm openings. */
export async function measure(browser) {
  const table1 = [];
  for (const n of [1, 10, 50]) {
    const coord = [];
    const base = [];
    for (let r = 0; r < REPEATS; r++) {
      coord.push(await requestsPerLifetime(browser, n, true));
      base.push(await requestsPerLifetime(browser, n, false));
    }
    table1.push({ n, coord, base });
    console.log(
      `${n} tabs, requests per lifetime: coordinated ${coord.join(', ')}; each for itself ${base.join(', ')}`,
    );
  }
  const warm = [];
  for (let r = 0; r < REPEATS; r++) warm.push(await warmOpen(browser));
  console.log(`opening 10 tabs into a warm group: ${warm.join(', ')} requests`);
  return { table1, warm };
}

/** Table 1 of bench/RESULTS.md. */
export function section({ table1, warm }) {
  const out = ['## 1. Token requests per token lifetime', ''];
  out.push(
    `Server requests while the first tab went through ${LIFETIMES} token lifetimes (from just after one new token to just after the ${LIFETIMES}th next), divided by ${LIFETIMES}. Median (min, max) over ${REPEATS} runs.`,
    '',
  );
  out.push(
    '| tabs | coordinated (one name) | each tab its own cache (distinct names) | ratio (baseline / coordinated) |',
  );
  out.push('|---|---|---|---|');
  for (const { n, coord, base } of table1) {
    out.push(
      `| ${n} | ${summary(coord)} | ${summary(base)} | ${(median(base) / median(coord)).toFixed(1)}x |`,
    );
  }
  out.push('', `Opening 10 more tabs into a warm group of 10: ${summary(warm, 0)} token requests.`);
  return out;
}
