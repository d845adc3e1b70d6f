// Row `idle` (table 7): token requests of an idle group (keys nobody reads) over ten idle
// timeouts: counted on the token server from before the first of three idle.html tabs opened to
// IDLE_TIMEOUTS idle timeouts after the last tab's read; then the requests one later read causes.
// With idleTimeoutSeconds and with the library's default.

import { api } from '../harness/playground.mjs';
import { BASE, CUTOFF, LEEWAY, POLL, TTL } from '../harness/settings.mjs';
import { sleep } from '../harness/stats.mjs';
import { closeAll, openIdleTab, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'idle';
export const DEV_SERVER = true;
const IDLE_SECONDS = 3; // idleTimeoutSeconds
const IDLE_TIMEOUTS = 10; // counted over this many idle timeouts

/**
 * Table 7: token requests of an idle group. Three idle.html tabs (poll 500 ms, leeway 1.5 s,
 * cutoff 0.5 s, 5 s tokens) read once at start and never again; the token server's requests for
 * their key are counted from before the first tab opened until IDLE_TIMEOUTS idle timeouts after
 * the last tab's read. With `idle`, one follower then reads once: the requests that read cost.
 * Without `idle` (the library's default), the same group for comparison. Resolves to
 * `{ unsupported }` when the page cannot create a cache with these options.
 */
async function idleGroup(browser, idle) {
  await api('/api/control', { ttlSeconds: TTL, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const name = uniqueName('idle');
  const key = `${name}-key`;
  const idleParam = idle === undefined ? '' : `&idle=${idle}`;
  const pageUrl = `${BASE}/idle.html?poll=${POLL}&leeway=${LEEWAY}&cutoff=${CUTOFF}${idleParam}&name=${name}&key=${key}`;
  const requestsOf = async () => (await api('/api/stats')).byKey[key] ?? 0;
  const tabs = [];
  for (let i = 0; i < 3; i++) {
    const { page, error } = await openIdleTab(context, pageUrl);
    if (error !== undefined) {
      await context.close();
      if (/idleTimeoutSeconds/.test(error)) return { unsupported: error };
      throw new Error(`idle.html could not create the cache: ${error}`);
    }
    tabs.push(page);
  }
  const t0 = Date.now(); // every tab has read once; nobody reads from here on
  const windowMs = IDLE_TIMEOUTS * IDLE_SECONDS * 1000;
  let total = await requestsOf();
  let lastAt = 0; // ms after t0 by which the last request of the window had arrived
  while (Date.now() - t0 < windowMs) {
    await sleep(250);
    const n = await requestsOf();
    if (n !== total) lastAt = Date.now() - t0;
    total = n;
  }
  let read;
  if (idle !== undefined) {
    const roles = await Promise.all(tabs.map((p) => p.evaluate(() => window.tokenCache.isLeader)));
    const reader = tabs[Math.max(0, roles.indexOf(false))];
    const before = await requestsOf();
    const outcome = await reader.evaluate(
      (k) =>
        window.tokenCache.getToken(k).then(
          () => 'ok',
          (e) => String(e),
        ),
      key,
    );
    if (outcome !== 'ok') throw new Error(`the read after the idle window failed: ${outcome}`);
    await sleep(1_000); // any other tab's fetch for the same read would have arrived by now
    read = (await requestsOf()) - before;
  }
  await closeAll(context);
  return { total, lastAt, read };
}

export async function measure(browser) {
  const withIdle = await idleGroup(browser, IDLE_SECONDS);
  console.log(
    withIdle.unsupported
      ? `idle group: n/a (library has no idleTimeoutSeconds): ${withIdle.unsupported}`
      : `idle group (idle ${IDLE_SECONDS} s): ${withIdle.total} requests, then ${withIdle.read} for one read`,
  );
  const without = await idleGroup(browser, undefined);
  console.log(`idle group (library default): ${without.total} requests`);
  return { withIdle, without };
}

/** Table 7 of bench/RESULTS.md. */
export function section(idle) {
  const window = IDLE_TIMEOUTS * IDLE_SECONDS;
  const out = [`## 7. Token requests of an idle group over ${IDLE_TIMEOUTS} idle timeouts`, ''];
  out.push(
    `Three \`playground/idle.html\` tabs of one group, poll ${POLL} ms, leeway ${LEEWAY} s, cutoff ${CUTOFF} s, token ttl ${TTL} s; every tab reads the token once at start, then nobody reads it. Token server requests for the key from before the first tab opened to ${window} s (${IDLE_TIMEOUTS} × ${IDLE_SECONDS} s) after the last tab's read; then one follower reads once. One run each.`,
    '',
  );
  out.push(
    `| options | requests over ${window} s (first fetch included) | last request, after the last read | requests caused by one read afterwards |`,
  );
  out.push('|---|---|---|---|');
  const s = (x) => (x / 1000).toFixed(2);
  const { withIdle, without } = idle;
  if (withIdle.unsupported) {
    out.push(
      `| \`idleTimeoutSeconds: ${IDLE_SECONDS}\` | n/a (library has no idleTimeoutSeconds) | n/a | n/a |`,
    );
  } else {
    out.push(
      `| \`idleTimeoutSeconds: ${IDLE_SECONDS}\` | ${withIdle.total} | ${s(withIdle.lastAt)} s | ${withIdle.read} (expected 1) |`,
    );
  }
  out.push(`| library default (no \`idle\` in the URL) | ${without.total} | ${s(without.lastAt)} s | — |`);
  if (withIdle.unsupported) out.push('', `createTokenCache refused the option: ${withIdle.unsupported}`);
  return out;
}
