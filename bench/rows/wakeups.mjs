// Row `wakeups` (table 6): wake-ups per minute of an idle follower and of the leader, default
// options. Counted by an init script (harness/count-wakeups.mjs) in each of three idle.html tabs,
// as the difference between two snapshots WAKEUP_SECONDS apart, taken after the group settled.

import { countWakeups, LIBRARY_PATH } from '../harness/count-wakeups.mjs';
import { api } from '../harness/playground.mjs';
import { BASE } from '../harness/settings.mjs';
import { sleep } from '../harness/stats.mjs';
import { closeAll, openIdleTab, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'wakeups';
export const DEV_SERVER = true;
const WAKEUP_SECONDS = Number(process.env.BENCH_WAKEUP_SECONDS) || 60; // the counting window

/**
 * Table 6: wake-ups per minute of an idle follower and of the leader, default options (poll 5 s)
 * and 60 s tokens. One group of three idle.html tabs: the leader's page reads once a second, so
 * the token stays in use and the leader refreshes and broadcasts it (its page's read timer is not
 * counted, see countWakeups); the two followers read once at start and never again. Counted over
 * WAKEUP_SECONDS after the group settled.
 */
async function wakeups(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  await context.addInitScript(countWakeups, LIBRARY_PATH);
  const name = uniqueName('wake');
  const key = `${name}-key`;
  const pageUrl = (extra) => `${BASE}/idle.html?name=${name}&key=${key}${extra}`;
  const opened = [await openIdleTab(context, pageUrl('&read=1'))];
  const failed = opened[0].error;
  if (failed) throw new Error(`idle.html could not create the cache: ${failed}`);
  const leader = opened[0].page;
  await leader.waitForFunction(() => window.tokenCache.isLeader, undefined, { timeout: 15_000 });
  for (let i = 0; i < 2; i++) opened.push(await openIdleTab(context, pageUrl('')));
  const tabs = opened.map((o) => o.page);
  await sleep(5_000); // settled: the followers' first exchanges are over
  const snapshot = () =>
    Promise.all(
      tabs.map((p) =>
        p.evaluate(() => ({
          ...window.__wakeups,
          isLeader: window.tokenCache.isLeader,
          received: window.tokenCache.stats().broadcastsReceived,
          at: performance.now(),
        })),
      ),
    );
  const requestsOf = async () => (await api('/api/stats')).byKey[key] ?? 0;
  const before = await snapshot();
  const requestsBefore = await requestsOf();
  await sleep(WAKEUP_SECONDS * 1000);
  const after = await snapshot();
  const requests = (await requestsOf()) - requestsBefore;
  await closeAll(context);
  const roles = [before, after].map((s) => s.map((t) => t.isLeader).join());
  if (roles[0] !== 'true,false,false' || roles[1] !== roles[0]) {
    throw new Error(`leadership was not the reading tab's throughout: ${roles.join(' -> ')}`);
  }
  const result = tabs.map((_, i) => {
    const [b, a] = [before[i], after[i]];
    const perMinute = (field) => ((a[field] - b[field]) * 60_000) / (a.at - b.at);
    return {
      role: i === 0 ? 'leader (its page reads once a second)' : `idle follower ${i}`,
      total: perMinute('timers') + perMinute('channel') + perMinute('worker'),
      timers: perMinute('timers'),
      channel: perMinute('channel'),
      worker: perMinute('worker'),
      locks: perMinute('locks'),
      other: perMinute('otherTimers'),
      received: perMinute('received'),
    };
  });
  return { tabs: result, requests: (requests * 60) / WAKEUP_SECONDS };
}

export async function measure(browser) {
  const wake = await wakeups(browser);
  for (const t of wake.tabs) console.log(`wake-ups per minute, ${t.role}: ${t.total.toFixed(1)}`);
  return wake;
}

/** Table 6 of bench/RESULTS.md. */
export function section(wake) {
  const out = ['## 6. Wake-ups per minute, idle follower and leader (default options)', ''];
  out.push(
    `Three \`playground/idle.html\` tabs of one group, library defaults (poll 5000 ms, leeway 15 s, cutoff 5 s), token ttl 60 s. The leader's page reads the token once a second, so the token stays in use and is refreshed and broadcast; the two followers read once at start, then never. Counted over ${WAKEUP_SECONDS} s after the group settled, one run. A wake-up is a task in which the library runs: a timer callback it set (setTimeout/setInterval), a \`message\` delivered to its BroadcastChannel, a message its Worker (or a MessagePort) posts; counted by an init script installed before the page's scripts (\`countWakeups\` in bench/harness/count-wakeups.mjs). Granted Web Locks are shown beside, not in the total: like the fetch's own tasks they are part of a refresh that a poll started. The page's own read timer and Vite's client are not the library's and are shown apart.`,
    '',
  );
  out.push(
    "| tab | wake-ups per minute | timers | channel messages | worker messages | lock grants (not in the total) | `broadcastsReceived` (stats) | timers of the page and of Vite's client (not counted) |",
  );
  out.push('|---|---|---|---|---|---|---|---|');
  const f = (x) => x.toFixed(1);
  for (const t of wake.tabs) {
    out.push(
      `| ${t.role} | **${f(t.total)}** | ${f(t.timers)} | ${f(t.channel)} | ${f(t.worker)} | ${f(t.locks)} | ${f(t.received)} | ${f(t.other)} |`,
    );
  }
  const follower = Math.max(...wake.tabs.slice(1).map((t) => t.total));
  const leader = wake.tabs[0].total;
  out.push(
    '',
    `Token requests to the server meanwhile: ${f(wake.requests)} per minute. Goals: an idle follower at most 2 per minute (${follower <= 2 ? 'met' : 'not met'}: ${f(follower)}), the leader at most 13 (${leader <= 13 ? 'met' : 'not met'}: ${f(leader)}).`,
  );
  return out;
}
