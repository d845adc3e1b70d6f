// Row `rotation` (table 8): refresh-token reuse with rotation on, 10 tabs coordinated (one name,
// exclusiveFetch) against uncoordinated (distinct names), at two server latencies. Token requests,
// reuses (= forced sign-outs) and failed calls are differences between snapshots taken from the
// moment the last tab is open to `seconds` later; the first reuse is timed from the sign-in.

import { api } from '../harness/playground.mjs';
import { STATS_POLL_MS, watchReuse } from '../harness/reuse-watch.mjs';
import { BASE } from '../harness/settings.mjs';
import { median, sleep } from '../harness/stats.mjs';
import { closeAll, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'rotation';
export const DEV_SERVER = true;
const ROTATION_TTL = 6; // usable 5 s: a tab refreshes about every 3 s (leeway 2 s, poll 0.5 s)
const ROTATION_POLL = 500;
const ROTATION_LEEWAY = 2;
const ROTATION_CUTOFF = 0.5;
const ROTATION_TABS = 10;
// One run per mode (coordinated, uncoordinated) for each server latency, each counted over `seconds`.
const ROTATION_RUNS = [
  { latencyMs: 0, seconds: Number(process.env.BENCH_ROTATION_SECONDS) || 45 },
  { latencyMs: 100, seconds: Number(process.env.BENCH_ROTATION_LATENCY_SECONDS) || 30 },
];
// After a reuse is seen, wait the latency and this much more before signing in again, so that no
// answer still in flight sets a cookie of the revoked family over the new session's.
const ROTATION_SIGN_IN_DELAY_MS = 250;

/** Sign in: a new refresh-token family, as the httpOnly cookie `rt` of the browser context. */
async function signIn(context) {
  const res = await context.request.post(`${BASE}/api/session`);
  if (!res.ok()) throw new Error(`POST /api/session answered ${res.status()}`);
}

/**
 * A bench.html tab with the row's options (`exclusive=1` when coordinated). Besides bench.html's
 * getToken once a second, it calls /api/protected once a second through `tokens.fetch`, as the
 * playground page does, and counts the outcomes in `window.__calls`.
 */
async function openRotationTab(context, name, coordinated) {
  const page = await context.newPage();
  const exclusive = coordinated ? '&exclusive=1' : '';
  await page.goto(
    `${BASE}/bench.html?poll=${ROTATION_POLL}&leeway=${ROTATION_LEEWAY}&cutoff=${ROTATION_CUTOFF}${exclusive}&name=${name}`,
  );
  await page.waitForFunction(() => window.tokenCache !== undefined);
  await page.evaluate(() => {
    const calls = { made: 0, ok: 0, refused: 0, noToken: 0 };
    window.__calls = calls;
    setInterval(() => {
      calls.made++;
      window.tokenCache.fetch('/api/protected').then(
        (res) => {
          if (res.ok) calls.ok++;
          else calls.refused++;
        },
        () => {
          calls.noToken++;
        },
      );
    }, 1_000);
  });
  return page;
}

/**
 * One run of table 8: ROTATION_TABS tabs, coordinated (one name, exclusiveFetch) or not (each its
 * own name), one shared cookie jar signed in once before the first tab opens; counted over
 * `seconds` from the moment the last tab is open.
 */
async function rotationRun(browser, { coordinated, latencyMs, seconds }) {
  await api('/api/control', { ttlSeconds: ROTATION_TTL, latencyMs, mode: 'ok', rotation: true });
  const context = await browser.newContext();
  const name = uniqueName(coordinated ? 'rot' : 'rotx');
  const baseline = (await api('/api/stats')).reuseDetected;
  await signIn(context);
  const t0 = Date.now();
  // After a reuse: wait the latency and a little more, so that no answer still in flight sets a
  // cookie of the revoked family over the new session's, then sign in again.
  const signInAgain = async () => {
    await sleep(latencyMs + ROTATION_SIGN_IN_DELAY_MS);
    await signIn(context);
  };
  const watch = watchReuse({ baseline, t0, signInAgain });
  try {
    const pages = [];
    for (let i = 0; i < ROTATION_TABS; i++) {
      pages.push(await openRotationTab(context, coordinated ? name : `${name}-tab${i}`, coordinated));
    }
    const snapshot = async () => {
      const at = Date.now();
      const { requests, reuseDetected, rejected } = await api('/api/stats');
      const tabs = await Promise.all(
        pages.map((p) =>
          p.evaluate(() => ({ ...window.__calls, fetchErrors: window.tokenCache.stats().fetchErrors })),
        ),
      );
      const sum = (f) => tabs.reduce((a, t) => a + f(t), 0);
      return {
        at,
        requests,
        reuseDetected,
        rejected,
        made: sum((t) => t.made),
        failed: sum((t) => t.refused + t.noToken),
        fetchErrors: sum((t) => t.fetchErrors),
      };
    };
    const before = await snapshot();
    await sleep(seconds * 1000);
    const after = await snapshot();
    watch.stop = true;
    await watch.done;
    const windowMs = after.at - before.at;
    const reuse = after.reuseDetected - before.reuseDetected;
    const inWindow = watch.detections.filter((at) => at >= before.at - t0 && at <= after.at - t0);
    const gaps = inWindow.slice(1).map((at, i) => at - inWindow[i]);
    return {
      coordinated,
      latencyMs,
      tabs: ROTATION_TABS,
      openMs: before.at - t0,
      windowMs,
      requests: after.requests - before.requests,
      reuse,
      reuseTotal: after.reuseDetected - baseline,
      firstReuseMs: watch.detections[0],
      perMinute: (reuse * 60_000) / windowMs,
      medianGapMs: gaps.length ? median(gaps) : undefined,
      signIns: watch.signIns,
      made: after.made - before.made,
      failed: after.failed - before.failed,
      rejected: after.rejected - before.rejected,
      fetchErrors: after.fetchErrors - before.fetchErrors,
    };
  } finally {
    watch.stop = true;
    await watch.done.catch(() => {});
    await closeAll(context);
  }
}

/** Table 8: every run of ROTATION_RUNS, coordinated then uncoordinated; rotation is off afterwards. */
export async function measure(browser) {
  const results = [];
  try {
    for (const { latencyMs, seconds } of ROTATION_RUNS) {
      for (const coordinated of [true, false]) {
        const r = await rotationRun(browser, { coordinated, latencyMs, seconds });
        results.push(r);
        console.log(
          `rotation, ${coordinated ? 'coordinated' : 'uncoordinated'}, latency ${latencyMs} ms: ${r.requests} token requests in ${(r.windowMs / 1000).toFixed(1)} s, reuse detected ${r.reuse}, first reuse ${r.firstReuseMs === undefined ? 'none' : `after ${r.firstReuseMs} ms`}, ${r.perMinute.toFixed(1)} sign-outs per minute`,
        );
      }
    }
  } finally {
    await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok', rotation: false });
  }
  return results;
}

/** Table 8 of bench/RESULTS.md. */
export function section(rotation) {
  const out = ['## 8. Refresh-token reuse with rotation on, coordinated against uncoordinated tabs', ''];
  const runs = ROTATION_RUNS.map((r) => `${r.seconds} s at latency ${r.latencyMs} ms`).join(', ');
  out.push(
    `The token server with refresh-token rotation on (SPEC 3: \`POST /api/token\` uses up the \`rt\` cookie and sets the next one; a used one presented again revokes the whole family and counts in \`reuseDetected\`), token ttl ${ROTATION_TTL} s; tabs are \`playground/bench.html\` with poll ${ROTATION_POLL} ms, leeway ${ROTATION_LEEWAY} s, cutoff ${ROTATION_CUTOFF} s (a token is refreshed about every ${ROTATION_TTL - 1 - ROTATION_LEEWAY} s). Each run uses a fresh browser context: the bench signs in once (\`POST /api/session\` through \`context.request\`, which shares the context's cookie jar), so that every tab presents one refresh-token family as tabs of one signed-in user do, then opens ${ROTATION_TABS} tabs one after the other. **Coordinated**: the tabs share one \`name\`, with \`exclusive=1\` (\`exclusiveFetch\`). **Uncoordinated**: each tab has a \`name\` of its own, so each refreshes for itself with the shared cookie. Besides bench.html's getToken once a second, each tab calls \`/api/protected\` once a second through \`tokens.fetch\`.`,
    '',
    `Sign-outs: from the sign-in on, the bench reads \`/api/stats\` every ${STATS_POLL_MS} ms. When \`reuseDetected\` has grown, a reuse has revoked the family: every tab is signed out (its next refresh gets 401 \`no_session\`). The bench then waits the server latency + ${ROTATION_SIGN_IN_DELAY_MS} ms (so that no answer still in flight can set a cookie of the revoked family over the new one) and signs in again through \`context.request\`, as the user would have to; the tabs' next refreshes use the new family. Between two sign-ins there is at most one live family, so each reuse is one forced sign-out. **First reuse after**: from the first sign-in (just before the first tab opens) to the stats read that saw the first reuse (so up to ${STATS_POLL_MS} ms late). **Window**: from the moment the last tab is open, for ${runs}; token requests, reuses, protected calls and the tabs' failed token fetches (\`stats().fetchErrors\`, summed) are differences between snapshots at the window's two ends; **sign-outs per minute** = reuses in the window × 60 s / window. One run per mode and latency.`,
    '',
  );
  out.push(
    '| mode | server latency | tabs | window | token requests | reuse detected (= sign-outs) | first reuse after | sign-outs per minute | protected calls failed / made | failed token fetches in the tabs |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of rotation) {
    const first =
      r.firstReuseMs === undefined
        ? `none in ${((r.openMs + r.windowMs) / 1000).toFixed(0)} s`
        : `${r.firstReuseMs} ms`;
    out.push(
      `| ${r.coordinated ? 'coordinated (one name, `exclusive=1`)' : 'uncoordinated (distinct names)'} | ${r.latencyMs} ms | ${r.tabs} | ${(r.windowMs / 1000).toFixed(1)} s | ${r.requests} | **${r.reuse}** | ${first} | **${r.perMinute.toFixed(1)}** | ${r.failed} / ${r.made} | ${r.fetchErrors} |`,
    );
  }
  out.push('');
  for (const r of rotation) {
    const mode = r.coordinated ? 'coordinated' : 'uncoordinated';
    const gap =
      r.medianGapMs === undefined
        ? ''
        : `; median time between two sign-outs in the window ${(r.medianGapMs / 1000).toFixed(1)} s`;
    out.push(
      `- ${mode}, latency ${r.latencyMs} ms: the ${r.tabs} tabs were open ${(r.openMs / 1000).toFixed(1)} s after the sign-in; reuses from the sign-in to the window's end ${r.reuseTotal}, sign-ins again ${r.signIns}${gap}; protected calls refused by the server (401) ${r.rejected}.`,
    );
  }
  return out;
}
