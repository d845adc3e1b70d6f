// Row `takeover` (table 4): leader takeover time, the leader closed and the leader crashed,
// timed from the events the end-to-end suite times (e2e/failover.spec.ts): from Node's Date.now()
// just before the command is sent (`page.close()`; CDP `Page.crash` on a session attached
// beforehand) to Date.now() in the page of the tab that takes over, in its `leader` event (a
// recorder installed before the page's scripts, as e2e/recorder.ts's). Polling from Node only
// learns of that moment; it is not part of the figure.
//
// As in the suite, each trial is a fresh browser context with TABS tabs of one group, settled
// (exactly one leader, every tab serving the same token) before the leader goes. Trials run on
// the dashboard (`/`, the page of the suite's failover scenarios) and on the bare app tab
// (`/bench.html`: the same cache and options, nothing drawn), close and crash interleaved so that
// the machine's load falls on all four alike.

import { api } from '../harness/playground.mjs';
import { BASE, CUTOFF, LEEWAY, POLL, TTL } from '../harness/settings.mjs';
import { median, pct, sleep } from '../harness/stats.mjs';
import { closeAll, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'takeover';
export const DEV_SERVER = true;
const TABS = 3; // as e2e/failover.spec.ts (tabs.openSettled(3))
const TRIALS = Number(process.env.BENCH_TAKEOVER_TRIALS) || 20; // per page and way of going
const PAGES = [
  { path: '/', what: 'dashboard (`/`, as the end-to-end suite)' },
  { path: '/bench.html', what: 'bare app tab (`/bench.html`)' },
];
const HOWS = ['close', 'crash'];

/** Init script: logs the `leader` events of the page's cache from its creation, on Date.now(). */
function recordLeader() {
  const log = [];
  let cache;
  Object.defineProperty(window, '__leaderLog', { value: log });
  Object.defineProperty(window, 'tokenCache', {
    configurable: true,
    enumerable: true,
    get: () => cache,
    set: (value) => {
      cache = value;
      value?.on?.('leader', (e) => log.push({ isLeader: e.isLeader, at: Date.now() }));
    },
  });
}

/** Waits until exactly one of `pages` leads and all serve one token; returns the leader. */
async function settled(pages) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const tabs = await Promise.all(
      pages.map((p) =>
        p.evaluate(() => [window.tokenCache.isLeader, window.tokenCache.peekToken('default')]),
      ),
    );
    const leaders = tabs.flatMap(([leads], i) => (leads ? [pages[i]] : []));
    const token = tabs[0][1];
    if (leaders.length === 1 && token !== null && tabs.every(([, t]) => t === token)) return leaders[0];
    if (Date.now() > deadline)
      throw new Error('takeover: the tabs did not settle on one leader and one token');
    await sleep(50);
  }
}

/** One trial: ms from the command to the new leader's `leader` event, and when Playwright saw the page gone. */
async function trial(browser, path, how) {
  const context = await browser.newContext();
  await context.addInitScript(recordLeader);
  try {
    const name = uniqueName(`to-${how}-`);
    const pages = [];
    for (let i = 0; i < TABS; i++) {
      const page = await context.newPage();
      await page.goto(
        `${BASE}${path}?poll=${POLL}&leeway=${LEEWAY}&cutoff=${CUTOFF}&name=${name}&key=default`,
      );
      await page.waitForFunction(() => window.tokenCache !== undefined);
      pages.push(page);
    }
    const leader = await settled(pages);
    const rest = pages.filter((p) => p !== leader);
    const attaching = Date.now();
    const cdp = how === 'crash' ? await context.newCDPSession(leader) : undefined;
    const attachMs = cdp ? Date.now() - attaching : undefined;
    const crashed = cdp ? leader.waitForEvent('crash') : undefined;
    // Still the leader? On a loaded machine a follower that got no answer in time may have
    // stolen meanwhile (R12); the trial is then void and run again.
    if (!(await leader.evaluate(() => window.tokenCache.isLeader))) return undefined;
    const t0 = Date.now(); // just before the command is sent
    if (cdp) {
      cdp.send('Page.crash').catch(() => {}); // never answers: the page is gone
      await crashed;
    } else {
      await leader.close();
    }
    const goneMs = Date.now() - t0;
    const tookOver = (since) => window.__leaderLog.some((e) => e.isLeader && e.at >= since);
    const waits = rest.map((p) => p.waitForFunction(tookOver, t0, { timeout: 5_000, polling: 20 }));
    if (!(await Promise.any(waits).catch(() => false))) {
      // No tab began to lead: if one leads, it did before the command (void), else a failure.
      const leading = await Promise.all(rest.map((p) => p.evaluate(() => window.tokenCache.isLeader)));
      if (leading.some(Boolean)) return undefined;
      throw new Error(`takeover (${how}, ${path}): no tab leads 5 s after the leader went`);
    }
    const logs = await Promise.all(rest.map((p) => p.evaluate(() => window.__leaderLog)));
    // The first moment another tab leads. On a loaded machine leadership may change hands again
    // soon after (a follower that gets no answer in time steals, R12): counted, not timed.
    const became = logs
      .flat()
      .filter((e) => e.isLeader && e.at >= t0)
      .sort((a, b) => a.at - b.at);
    return { ms: became[0].at - t0, goneMs, attachMs, handOvers: became.length - 1 };
  } finally {
    await closeAll(context);
  }
}

/** A trial of `r` that counts: run again while void (leadership moved before the command). */
async function countedTrial(browser, r) {
  for (;;) {
    const t = await trial(browser, r.path, r.how);
    if (t) return t;
    if (++r.voids > TRIALS) throw new Error(`takeover (${r.how}, ${r.path}): more void trials than trials`);
  }
}

/** TRIALS trials for each page and way of going, interleaved. */
export async function measure(browser) {
  await api('/api/control', { ttlSeconds: TTL, latencyMs: 0, mode: 'ok' });
  const results = PAGES.flatMap((page) => HOWS.map((how) => ({ ...page, how, trials: [], voids: 0 })));
  for (let i = 0; i < TRIALS; i++) {
    for (const r of results) r.trials.push(await countedTrial(browser, r));
  }
  for (const r of results) {
    const ms = r.trials.map((t) => t.ms);
    console.log(`takeover, ${r.how}, ${r.path}: ${ms.join(', ')} ms (${r.voids} void)`);
  }
  return results;
}

/** Table 4 of bench/RESULTS.md. */
export function section(results) {
  const trials = results[0].trials.length;
  const out = [`## 4. Leader takeover (${TABS} tabs, ${trials} trials each)`, ''];
  out.push(
    `Timed as the end-to-end suite times it (e2e/failover.spec.ts): from \`Date.now()\` in Node just before the command is sent (\`page.close()\`; CDP \`Page.crash\` on a session attached beforehand) to \`Date.now()\` in the page of the tab that takes over, in its \`leader\` event (a recorder installed before the page's scripts). Each trial: a fresh browser context, ${TABS} tabs of one group (poll ${POLL} ms, token ttl ${TTL} s), settled on one leader and one token before the leader goes; the four kinds of trial interleaved. "Page gone": when Playwright saw it (\`page.close()\` resolved, the page's \`crash\` event), median, for comparison. No Playwright trace is recorded: with one (the screenshots and DOM snapshots of the suite's \`trace: 'retain-on-failure'\`) the pages are busier and takeover reads several times longer.`,
    '',
  );
  out.push('| page | how the leader went | p50 | p95 | max | page gone (p50) |', '|---|---|---|---|---|---|');
  const label = { close: 'closed (`page.close()`)', crash: 'crashed (CDP `Page.crash`)' };
  for (const r of results) {
    const ms = r.trials.map((t) => t.ms);
    const gone = median(r.trials.map((t) => t.goneMs));
    out.push(
      `| ${r.what} | ${label[r.how]} | ${pct(ms, 50)} ms | ${pct(ms, 95)} ms | ${Math.max(...ms)} ms | ${gone} ms |`,
    );
  }
  const attach = results.flatMap((r) =>
    r.trials.flatMap((t) => (t.attachMs === undefined ? [] : [t.attachMs])),
  );
  out.push(
    '',
    `Attaching the CDP session for a crash (before the clock starts, not counted) took ${median(attach)} ms (p50; max ${Math.max(...attach)} ms); a crash timed from before the attach would read that much longer.`,
  );
  const again = results.flatMap((r) => r.trials).filter((t) => t.handOvers > 0).length;
  const voids = results.reduce((n, r) => n + r.voids, 0);
  out.push(
    '',
    `Leadership changed hands again before the bench read the logs (a steal, R12; the first takeover is the one timed) in ${again} of ${results.length * trials} trials. Void trials, run again: ${voids} (leadership had moved between the settling and the command, so the tab closed or crashed did not lead).`,
  );
  return out;
}
