// Row `hung-leader` (table 11): a group of 10 tabs under a hung leader and a slow endpoint.
// Token requests per token lifetime (the server's count over a window, per new token the tabs
// got), and the longest wait of any read (from a getToken call to its settling), with the leader
// working and then with the leader hung, in one group.
//
// The tabs are playground/bench.html (getToken once a second) with the fast timing of the e2e
// suite (e2e/timing.mjs), a short fetch timeout, and the token server answering after
// LATENCY_MS. In 9 of them (all but the leader) the row also times a getToken every
// READ_EVERY_MS: the reads whose wait is measured. A hung tab is a tab whose main thread is busy
// (as in e2e/engine.ts's freezeFor): it keeps its Web Locks and answers nothing.

import { api } from '../harness/playground.mjs';
import { BASE, CUTOFF, LEEWAY, POLL, REPEATS, TTL } from '../harness/settings.mjs';
import { sleep, summary } from '../harness/stats.mjs';

const TABS = 10;
const LATENCY_MS = 1000; // the slow endpoint: every token request answers after a second
const FETCH_TIMEOUT_MS = 3000;
const READ_EVERY_MS = 250;
const HANG_MS = 3 * TTL * 1000; // the leader hangs three token lifetimes...
const AFTER_MS = TTL * 1000; // ...and the window goes on one lifetime after it thaws
const WINDOW_MS = HANG_MS + AFTER_MS; // the working leader is watched as long
/** R27: fetchTimeoutMs + 2 × the answer timeout (half a poll, within 50 ms to 1 s) + one poll. */
const BOUND_MS = FETCH_TIMEOUT_MS + 2 * Math.min(1000, Math.max(50, POLL / 2)) + POLL;

export const ROW = 'hung-leader';
export const DEV_SERVER = true;

/**
 * In a page: from now on, times a getToken every `everyMs` (the reads so far in `window.__reads`)
 * and keeps every new token it gets (`window.__tokens`).
 */
function timeReads(everyMs) {
  window.__reads = [];
  window.__tokens = new Set();
  if (window.__readTimer === undefined) window.tokenCache.on('token', (e) => window.__tokens.add(e.token));
  window.__readTimer ??= setInterval(() => {
    const read = [Date.now(), null];
    window.__reads.push(read);
    const settle = () => {
      read[1] = Date.now();
    };
    window.tokenCache.getToken().then(settle, settle);
  }, everyMs);
}

/**
 * Requests, requests per token lifetime, and read waits over one window. A token lifetime is the
 * time from one new token to the next (as in table 1), so per lifetime = requests / new tokens
 * the 9 tabs got in the window.
 */
async function windowResult(others) {
  const stats = await api('/api/stats');
  const seen = await Promise.all(
    others.map((p) =>
      p.evaluate(() => ({ now: Date.now(), reads: window.__reads, tokens: [...window.__tokens] })),
    ),
  );
  const all = seen.flatMap(({ now, reads }) => reads.map(([begun, ended]) => (ended ?? now) - begun));
  const tokens = new Set(seen.flatMap((tab) => tab.tokens)).size;
  return {
    requests: stats.requests,
    tokens,
    perLifetime: stats.requests / Math.max(1, tokens),
    maxInFlight: stats.maxInFlight,
    longestMs: Math.max(...all),
    reads: all.length,
    overBound: all.filter((wait) => wait > BOUND_MS).length,
  };
}

/** One group: a window with the leader working, then one with the leader hung (and thawed). */
async function oneRun(browser, name) {
  await api('/api/control', { ttlSeconds: TTL, latencyMs: LATENCY_MS, mode: 'ok' });
  const context = await browser.newContext();
  const query = `poll=${POLL}&leeway=${LEEWAY}&cutoff=${CUTOFF}&timeout=${FETCH_TIMEOUT_MS}&name=${name}`;
  const pages = [];
  try {
    for (let i = 0; i < TABS; i++) {
      const page = await context.newPage();
      await page.goto(`${BASE}/bench.html?${query}`);
      await page.waitForFunction(() => window.tokenCache?.peekToken() !== null, null, { timeout: 60_000 });
      pages.push(page);
    }
    const roles = await Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache.isLeader)));
    if (roles.filter(Boolean).length !== 1)
      throw new Error(`hung-leader: ${roles.filter(Boolean).length} leaders`);
    const leader = pages[roles.indexOf(true)];
    const others = pages.filter((p) => p !== leader);

    const startWindow = async () => {
      await Promise.all(others.map((p) => p.evaluate(timeReads, READ_EVERY_MS)));
      await api('/api/stats/reset', {});
      return Date.now();
    };
    await startWindow();
    await sleep(WINDOW_MS);
    const working = await windowResult(others);

    const start = await startWindow();
    await leader.evaluate((ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // busy: nothing else runs in this tab
      }
    }, HANG_MS);
    await sleep(Math.max(0, start + WINDOW_MS - Date.now()));
    const hung = await windowResult(others);
    const after = await Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache.isLeader)));
    hung.leadersAfter = after.filter(Boolean).length;
    hung.thawedLeads = after[pages.indexOf(leader)];
    return { working, hung };
  } finally {
    for (const p of context.pages()) await p.evaluate(() => window.tokenCache.close()).catch(() => {});
    await context.close();
  }
}

/** Table 11's measurements: REPEATS groups, each with a working then a hung leader. */
export async function measure(browser) {
  const runs = [];
  for (let r = 0; r < REPEATS; r++) {
    const run = await oneRun(browser, `hung${Date.now().toString(36)}${r}`);
    runs.push(run);
    const show = (w) =>
      `${w.requests} requests for ${w.tokens} new tokens (${w.perLifetime.toFixed(2)} per lifetime), longest read ${w.longestMs} ms`;
    console.log(`hung leader, run ${r + 1}: working ${show(run.working)}; hung ${show(run.hung)}`);
  }
  return runs;
}

/** Table 11 of bench/RESULTS.md. */
export function section(runs) {
  const out = ['## 11. A group of 10 tabs under a hung leader and a slow endpoint', ''];
  out.push(
    `${TABS} \`playground/bench.html\` tabs of one group (poll ${POLL} ms, leeway ${LEEWAY} s, cutoff ${CUTOFF} s, \`fetchTimeoutMs\` ${FETCH_TIMEOUT_MS}), token ttl ${TTL} s, the token server answering every token request after ${LATENCY_MS} ms. Two windows of ${WINDOW_MS / 1000} s in each group: first with the leader working, then with the leader hung for ${HANG_MS / 1000} s (its main thread busy: it keeps its Web Locks and answers nothing) and ${AFTER_MS / 1000} s after it thaws. Token requests: the server's count over the window (\`/api/stats\`, reset at its start); a token lifetime runs from one new token to the next (as in table 1), so per lifetime = requests / new tokens the 9 tabs got in the window (1.00: one request per token). Reads: the 9 tabs other than the leader each time a getToken every ${READ_EVERY_MS} ms (besides bench.html's own); a read's wait runs from the call to its settling (resolved or rejected), or to the window's end if still pending. R27's bound for these options: ${BOUND_MS} ms. Median (min, max) over ${runs.length} groups.`,
    '',
    '| leader | token requests per lifetime | requests / new tokens | longest wait of any read | reads over R27 bound / reads | most requests in flight at once |',
    '|---|---|---|---|---|---|',
  );
  for (const which of ['working', 'hung']) {
    const ws = runs.map((run) => run[which]);
    const over = ws.map((w) => `${w.overBound}/${w.reads}`).join(', ');
    const counts = ws.map((w) => `${w.requests}/${w.tokens}`).join(', ');
    const longest = summary(
      ws.map((w) => w.longestMs),
      0,
    );
    const inFlight = Math.max(...ws.map((w) => w.maxInFlight));
    out.push(
      `| ${which} | ${summary(ws.map((w) => w.perLifetime))} | ${counts} | ${longest} ms | ${over} | ${inFlight} |`,
    );
  }
  const leaders = runs.map((run) => run.hung.leadersAfter).join(', ');
  const thawed = runs.filter((run) => run.hung.thawedLeads).length;
  out.push(
    '',
    `Leaders after the thaw: ${leaders} (expected 1 each); the thawed tab led again in ${thawed} of ${runs.length}.`,
  );
  return out;
}
