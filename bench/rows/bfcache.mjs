// Row `bfcache` (table 10): back/forward-cache restores of a leader and a follower (R22). Three
// bench.html tabs of one group; each trip sends one tab to /away.html and Back. Restore time runs
// from calling goBack to the page's `pageshow`; token time from that `pageshow` to the tab's next
// `token` event (both on Date.now()); token requests are counted from just before the tab left
// to BFCACHE_SETTLE_MS after it held a token again.
//
// It cannot use the dev server (its HMR WebSocket alone keeps a page out of that cache): it builds
// the playground into a temporary directory of its own (not dist-playground/, which the e2e suite
// builds and serves), serves it with `vite preview` (which mounts the same token server) on a
// port of its own, and launches a Chromium of its own without Playwright's
// --disable-back-forward-cache, as e2e/back-forward-cache.spec.ts does.

import { launchChromium } from '../harness/browser.mjs';
import { api, startBuiltPlayground } from '../harness/playground.mjs';
import { median, sleep, summary } from '../harness/stats.mjs';
import { closeAll, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'bfcache';
export const DEV_SERVER = false;
// Its own server and browser, default options (poll 5 s, leeway 15 s, cutoff 5 s).
const BFCACHE_PORT = Number(process.env.BENCH_BFCACHE_PORT) || 5392;
const BFCACHE_BASE = `http://localhost:${BFCACHE_PORT}`;
const BFCACHE_POLL = 5_000;
const BFCACHE_TRIPS = Number(process.env.BENCH_BFCACHE_TRIPS) || 5; // round trips per role
const BFCACHE_AWAY_MS = 6_000; // longer than one poll
const BFCACHE_SETTLE_MS = 1_000; // after the token is held again: one getToken of bench.ts, and any fetch
const BFCACHE_TTL = 600; // no refresh falls due during the row: any request counted is the trips'

/**
 * An init script (before any script of the page): records each `pageshow` of the document with
 * its `persisted` and when it fired (Date.now(), the clock the bench reads around goBack). The
 * bench empties the list before each trip, so after Back it holds that trip's pageshow: the
 * restore (persisted) in the same document, or the load of a new document.
 */
function recordPageshows() {
  const shows = [];
  Object.defineProperty(window, '__pageshows', { value: shows });
  window.addEventListener('pageshow', (event) => shows.push({ persisted: event.persisted, at: Date.now() }));
}

/**
 * Records the tab's `token` events in `window.__tokenEvents`, on the pageshow clock; the recorder
 * survives a trip through the cache (same document), and is installed once per document.
 */
function recordTokenEvents() {
  if (window.__tokenEvents) return;
  window.__tokenEvents = [];
  window.tokenCache.on('token', (e) => window.__tokenEvents.push({ source: e.source, at: Date.now() }));
}

/**
 * Three /bench.html tabs of one group in one context (default options, poll 5 s), settled on one
 * leader and one shared token; then BFCACHE_TRIPS round trips for the tab that leads at the time
 * and as many for a follower, alternating. A trip: /away.html, stay BFCACHE_AWAY_MS, goBack. For
 * each: restored or not (the trip's pageshow has `persisted` and Chromium sent no
 * Page.backForwardCacheNotUsed) with Chromium's reasons, goBack → pageshow, pageshow → the tab's
 * next `token` event (the group's snapshot), the group's token requests from just before leaving
 * to BFCACHE_SETTLE_MS after the tab held a token again, and the number of leaders while away and
 * after the return.
 */
async function bfcacheTrips() {
  const playground = await startBuiltPlayground(BFCACHE_PORT);
  const browser = await launchChromium({ ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  try {
    const bfApi = (path, body) => api(path, body, BFCACHE_BASE);
    await bfApi('/api/stats/reset', {});
    await bfApi('/api/control', { ttlSeconds: BFCACHE_TTL, latencyMs: 0, mode: 'ok' });
    const requests = async () => (await bfApi('/api/stats')).requests;
    const context = await browser.newContext();
    await context.addInitScript(recordPageshows);
    const name = uniqueName(`bf${Date.now().toString(36)}-`);
    const pages = [];
    const notRestored = new Map(); // page -> Chromium's reasons since the trip began
    for (let i = 0; i < 3; i++) {
      const page = await context.newPage();
      const reasons = [];
      const cdp = await context.newCDPSession(page);
      cdp.on('Page.backForwardCacheNotUsed', (event) => {
        for (const { type, reason, context: detail } of event.notRestoredExplanations) {
          reasons.push(`${reason} (${type}${detail ? `: ${detail}` : ''})`);
        }
      });
      await cdp.send('Page.enable');
      notRestored.set(page, reasons);
      await page.goto(`${BFCACHE_BASE}/bench.html?poll=${BFCACHE_POLL}&name=${name}`);
      await page.waitForFunction(() => window.tokenCache !== undefined);
      await page.evaluate(recordTokenEvents);
      pages.push(page);
    }
    const leaderFlags = () =>
      Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache?.isLeader === true)));
    const heldTokens = () => Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache?.peekToken())));
    const settled = async () => {
      const [flags, tokens] = [await leaderFlags(), await heldTokens()];
      return flags.filter(Boolean).length === 1 && tokens[0] !== null && tokens.every((t) => t === tokens[0]);
    };
    const deadline = Date.now() + 20_000;
    while (!(await settled())) {
      if (Date.now() > deadline) throw new Error('the three tabs did not settle on one leader and one token');
      await sleep(100);
    }
    const setupRequests = await requests();

    const trips = [];
    for (let i = 0; i < 2 * BFCACHE_TRIPS; i++) {
      const role = i % 2 === 0 ? 'leader' : 'follower';
      const flags = await leaderFlags();
      if (flags.filter(Boolean).length !== 1) throw new Error(`before trip ${i + 1}: leaders ${flags}`);
      const leaderIndex = flags.indexOf(true);
      // The follower: the first tab that does not lead (a different tab from the leader).
      const index = role === 'leader' ? leaderIndex : flags.indexOf(false);
      const page = pages[index];
      const others = pages.filter((p) => p !== page);
      const reasons = notRestored.get(page);
      reasons.length = 0;
      await page.evaluate(recordTokenEvents); // again: a tab that was not restored is a new document
      await page.evaluate(() => {
        window.__pageshows.length = 0;
        window.__tokenEvents.length = 0;
      });
      const before = await requests();
      await page.goto(`${BFCACHE_BASE}/away.html`);
      const left = Date.now();
      await sleep(Math.max(0, BFCACHE_AWAY_MS - (Date.now() - left) - 300));
      const leadersAway = (
        await Promise.all(others.map((p) => p.evaluate(() => window.tokenCache.isLeader)))
      ).filter(Boolean).length;
      await sleep(Math.max(0, BFCACHE_AWAY_MS - (Date.now() - left)));
      const backAt = Date.now();
      // A page restored from the cache fires no `load`: wait for the commit only.
      await page.goBack({ waitUntil: 'commit' });
      await page.waitForFunction(() => (window.__pageshows?.length ?? 0) > 0, undefined, {
        timeout: 10_000,
        polling: 5,
      });
      const [show] = await page.evaluate(() => window.__pageshows);
      // Held again: its first `token` event after the restore (a reloaded page has no recorder).
      await page.waitForFunction(
        () => (window.__tokenEvents?.length ?? 0) > 0 || window.tokenCache?.peekToken() != null,
        undefined,
        { timeout: 10_000, polling: 5 },
      );
      const tokenEvent = await page.evaluate(() => window.__tokenEvents?.[0]);
      await sleep(BFCACHE_SETTLE_MS);
      const after = await requests();
      const leadersAfter = (await leaderFlags()).filter(Boolean).length;
      const tokens = await heldTokens();
      const trip = {
        trip: i + 1,
        role,
        tab: index + 1,
        restored: show.persisted && reasons.length === 0,
        reasons: [...reasons],
        restoreMs: show.at - backAt,
        tokenMs: tokenEvent ? tokenEvent.at - show.at : undefined,
        tokenSource: tokenEvent?.source,
        requests: after - before,
        leadersAway,
        leadersAfter,
        shared: tokens[0] !== null && tokens.every((t) => t === tokens[0]),
      };
      trips.push(trip);
      console.log(
        `bfcache trip ${trip.trip} (${role}, tab ${trip.tab}): ${trip.restored ? 'restored' : 'NOT restored'} in ${trip.restoreMs} ms, token after ${trip.tokenMs ?? '?'} ms (${trip.tokenSource ?? '?'}), ${trip.requests} requests, leaders away ${leadersAway} / after ${leadersAfter}${trip.reasons.length ? `; reasons: ${trip.reasons.join('; ')}` : ''}`,
      );
    }
    await closeAll(context);
    return { trips, setupRequests, buildMs: playground.buildMs };
  } finally {
    await browser.close();
    await playground.close();
  }
}

export async function measure() {
  const bfcache = await bfcacheTrips();
  for (const role of ['leader', 'follower']) {
    const ts = bfcache.trips.filter((t) => t.role === role);
    const restored = ts.filter((t) => t.restored);
    console.log(
      `bfcache ${role}: restored ${restored.length}/${ts.length}, median restore ${restored.length ? median(restored.map((t) => t.restoreMs)) : 'n/a'} ms, ${ts.reduce((a, t) => a + t.requests, 0)} token requests`,
    );
  }
  return bfcache;
}

/** Table 10 of bench/RESULTS.md. */
export function section(bfcache) {
  const { trips, setupRequests } = bfcache;
  const out = ['## 10. Back/forward-cache restores of a leader and a follower', ''];
  out.push(
    `Three \`playground/bench.html\` tabs of one group in one browser context, library defaults (poll ${BFCACHE_POLL} ms, leeway 15 s, cutoff 5 s), token ttl ${BFCACHE_TTL} s (no refresh falls due during the row, so every token request counted below is caused by a trip). The playground is built (\`vite build\` into a temporary directory) and served by \`vite preview\` with the token server; Chromium runs without Playwright's \`--disable-back-forward-cache\`. Once the group has one leader and one shared token (${setupRequests} token request${setupRequests === 1 ? '' : 's'} to get there), ${BFCACHE_TRIPS} round trips for the tab that leads at the time and ${BFCACHE_TRIPS} for a follower, alternating: the tab goes to \`/away.html\` (a same-origin page without scripts), stays ${BFCACHE_AWAY_MS / 1000} s (longer than one poll), and goes Back (\`goBack({ waitUntil: 'commit' })\`). Restored: the trip's \`pageshow\` has \`persisted\` and Chromium sent no \`Page.backForwardCacheNotUsed\` (DevTools protocol). Restore time: from calling goBack to the page's \`pageshow\` (both on \`Date.now()\`); token: from \`pageshow\` to the tab's next \`token\` event. Token requests: the server's count from just before the tab left to ${BFCACHE_SETTLE_MS / 1000} s after it held a token again. Leaders: tabs whose \`isLeader\` is true, among the two that stayed (just before Back) and among all three (at the end of the trip).`,
    '',
  );
  const ms = (xs) => (xs.length ? `${summary(xs, 0)} ms` : 'n/a');
  const reasonsOf = (ts) => {
    const counts = new Map();
    for (const t of ts) for (const r of t.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const silent = ts.filter((t) => !t.restored && t.reasons.length === 0).length;
    if (silent) counts.set('no reason given', silent);
    return counts.size ? [...counts].map(([r, n]) => `${r} ×${n}`).join('; ') : 'none';
  };
  out.push(
    '| tab that went away | restored | restore time (goBack → pageshow), median (min, max) | pageshow → token held again, median (min, max) | token requests on restore (total) | leaders after return | not restored because |',
    '|---|---|---|---|---|---|---|',
  );
  for (const role of ['leader', 'follower']) {
    const ts = trips.filter((t) => t.role === role);
    const restored = ts.filter((t) => t.restored);
    const tokenTimes = restored.map((t) => t.tokenMs).filter((x) => x !== undefined);
    const leaders = [...new Set(ts.map((t) => t.leadersAfter))].join(', ');
    out.push(
      `| ${role} | **${restored.length}/${ts.length}** | ${ms(restored.map((t) => t.restoreMs))} | ${ms(tokenTimes)} | ${ts.reduce((a, t) => a + t.requests, 0)} | ${leaders} (expected 1) | ${reasonsOf(ts)} |`,
    );
  }
  out.push(
    '',
    '| trip | tab that went away | restored | goBack → pageshow | pageshow → token (source) | token requests | leaders while away (of the other two) | leaders after return | one token shared by all three |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const t of trips) {
    out.push(
      `| ${t.trip} | ${t.role} (tab ${t.tab}) | ${t.restored ? 'yes' : `no: ${t.reasons.join('; ') || 'no reason given'}`} | ${t.restoreMs} ms | ${t.tokenMs === undefined ? '—' : `${t.tokenMs} ms (${t.tokenSource})`} | ${t.requests} | ${t.leadersAway} | ${t.leadersAfter} | ${t.shared ? 'yes' : 'no'} |`,
    );
  }
  const all = trips.filter((t) => t.restored);
  out.push(
    '',
    `Restored ${all.length}/${trips.length}; median restore time ${all.length ? `${median(all.map((t) => t.restoreMs)).toFixed(0)} ms` : 'n/a'}; token requests over all trips ${trips.reduce((a, t) => a + t.requests, 0)} (expected 0: the group held a servable token throughout); leaders after every return 1: ${trips.every((t) => t.leadersAfter === 1) ? 'yes' : 'no'}.`,
  );
  return out;
}
