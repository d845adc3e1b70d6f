// Row `broadcast` (table 3): broadcast delivery latency from a leader to 20 followers: from the
// leader's `token` event to each follower's (after the follower's verifyToken), both read in the
// pages on one clock (performance.timeOrigin + performance.now()), for 20 forced refreshes.

import { api } from '../harness/playground.mjs';
import { pct, sleep } from '../harness/stats.mjs';
import { closeAll, holdToken, openTabs, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'broadcast';
export const DEV_SERVER = true;

/** The latencies (ms) of every delivery of the 20 tokens to the 20 followers. */
export async function measure(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const pages = await openTabs(context, Array(21).fill(uniqueName('bc')));
  await holdToken(pages);
  const roles = await Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache.isLeader)));
  const leader = pages[roles.indexOf(true)];
  const followers = pages.filter((p) => p !== leader);
  // Only the tokens of this measurement: not the first one, which some tabs got on opening.
  for (const p of pages) await p.evaluate(() => window.__tokens.splice(0));
  for (let i = 0; i < 20; i++) {
    await leader.evaluate(() => window.tokenCache.getToken('default', { forceRefresh: true }));
    await sleep(100);
  }
  const sent = new Map(await leader.evaluate(() => window.__tokens));
  const latencies = [];
  for (const f of followers) {
    for (const [token, at] of await f.evaluate(() => window.__tokens)) {
      if (sent.has(token)) latencies.push(at - sent.get(token));
    }
  }
  await closeAll(context);
  console.log(`broadcast: p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms`);
  return latencies;
}

/** Table 3 of bench/RESULTS.md. */
export function section(latencies) {
  const out = ['## 3. Broadcast delivery latency, leader to 20 followers', ''];
  out.push(
    `From the leader's \`token\` event to each follower's (after the follower's verifyToken), on one clock (\`performance.timeOrigin + performance.now()\`): ${latencies.length} deliveries of 20 tokens.`,
    '',
  );
  out.push('| p50 | p99 | max |', '|---|---|---|');
  out.push(
    `| ${pct(latencies, 50).toFixed(2)} ms | ${pct(latencies, 99).toFixed(2)} ms | ${Math.max(...latencies).toFixed(2)} ms |`,
  );
  return out;
}
