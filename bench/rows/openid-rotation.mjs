// Row `openid-rotation` (table 9): table 8's question against a real authorization server, the
// playground's OpenID Provider (oidc-provider, strict: a refresh token presented twice revokes the
// whole grant). 10 tabs signed in once, coordinated (one name; the page turns exclusiveFetch on
// with `auth=oidc`) against uncoordinated (distinct names, each tab refreshing for itself with the
// refresh token in localStorage). Revocations (= forced sign-outs) per minute, counted as table 8.

import { api } from '../harness/playground.mjs';
import { watchReuse } from '../harness/reuse-watch.mjs';
import { BASE } from '../harness/settings.mjs';
import { sleep } from '../harness/stats.mjs';
import { closeAll, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'openid-rotation';
export const DEV_SERVER = true;
// As table 8: usable 5 s, a token refreshed about every 3 s.
const TTL = 6;
const POLL = 500;
const LEEWAY = 2;
const CUTOFF = 0.5;
const TABS = 10;
const SECONDS = Number(process.env.BENCH_OPENID_SECONDS) || 45;

const timing = `poll=${POLL}&leeway=${LEEWAY}&cutoff=${CUTOFF}`;

/**
 * Signs in with OpenID as a user does: the dashboard's "Sign in with OpenID", the provider's login
 * form (skipped when the provider's own session, its cookie, still stands from an earlier sign-in
 * of this context, as for a user), and the code exchanged on the way back, which leaves the
 * grant's refresh token in localStorage. The page the sign-in then returns to is answered with a
 * stub (`page.route`), so that the sign-in tab refreshes nothing: only the measured tabs do.
 */
async function signIn(context) {
  const page = await context.newPage();
  const back = /[?&]auth=oidc/;
  await page.route(back, (route) => route.fulfill({ contentType: 'text/html', body: '<p>signed in</p>' }));
  await page.goto(`${BASE}/?${timing}&name=${uniqueName('signin')}`);
  await page.getByTestId('sign-in-openid').click();
  const login = page.locator('input[name=login]');
  await Promise.race([login.waitFor(), page.waitForURL(back)]);
  if (!back.test(page.url())) {
    await login.fill('ada');
    await page.locator('input[name=password]').fill('any password');
    await page.locator('button[type=submit]').click();
  }
  await page.waitForURL(back);
  await page.close();
}

async function run(browser, coordinated) {
  await api('/api/control', { ttlSeconds: TTL, latencyMs: 0, mode: 'ok', reuseGraceSeconds: 0 });
  const context = await browser.newContext();
  const name = uniqueName(coordinated ? 'oidc' : 'oidcx');
  const baseline = (await api('/api/stats')).reuseDetected;
  await signIn(context);
  const t0 = Date.now();
  const watch = watchReuse({ baseline, t0, signInAgain: () => signIn(context) });
  try {
    const pages = [];
    for (let i = 0; i < TABS; i++) {
      const page = await context.newPage();
      await page.goto(
        `${BASE}/bench.html?auth=oidc&${timing}&calls=1&name=${coordinated ? name : `${name}-tab${i}`}`,
      );
      pages.push(page);
    }
    const snapshot = async () => {
      const { requests, reuseDetected, accepted, rejected } = await api('/api/stats');
      const calls = await Promise.all(pages.map((p) => p.evaluate(() => window.protectedCalls)));
      const failed = calls.reduce((sum, c) => sum + c.refused + c.noToken, 0);
      const made = calls.reduce((sum, c) => sum + c.made, 0);
      return { at: Date.now(), requests, reuseDetected, accepted, rejected, failed, made };
    };
    const before = await snapshot();
    await sleep(SECONDS * 1000);
    const after = await snapshot();
    watch.stop = true;
    await watch.done;
    const windowMs = after.at - before.at;
    const revoked = after.reuseDetected - before.reuseDetected;
    return {
      coordinated,
      openMs: before.at - t0,
      windowMs,
      requests: after.requests - before.requests,
      revoked,
      firstMs: watch.detections[0],
      perMinute: (revoked * 60_000) / windowMs,
      signIns: watch.signIns,
      made: after.made - before.made,
      failed: after.failed - before.failed,
    };
  } finally {
    watch.stop = true;
    await watch.done.catch(() => {});
    await closeAll(context);
  }
}

/** Table 9: coordinated, then uncoordinated. */
export async function measure(browser) {
  const results = [];
  try {
    for (const coordinated of [true, false]) {
      const r = await run(browser, coordinated);
      results.push(r);
      console.log(
        `openid-rotation, ${coordinated ? 'coordinated' : 'uncoordinated'}: ${r.requests} refresh grants in ${(r.windowMs / 1000).toFixed(1)} s, grants revoked ${r.revoked}, ${r.perMinute.toFixed(1)} forced sign-outs per minute`,
      );
    }
  } finally {
    await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok', reuseGraceSeconds: 0 });
  }
  return results;
}

/** Table 9 of bench/RESULTS.md. */
export function section(results) {
  const out = [
    '## 9. Refresh-token reuse against a real OpenID Provider, coordinated against uncoordinated tabs',
    '',
  ];
  out.push(
    `The playground's OpenID Provider (\`oidc-provider\` 9, mounted at \`/oidc\`; rotating refresh tokens with its own reuse detection, no reuse grace: a used refresh token presented again revokes the whole grant and counts in \`reuseDetected\`), access tokens of ${TTL} s; tabs are \`playground/bench.html?auth=oidc\` (each access token from a \`refresh_token\` grant at \`/oidc/token\`, the grant's newest refresh token kept in localStorage) with poll ${POLL} ms, leeway ${LEEWAY} s, cutoff ${CUTOFF} s, and \`calls=1\` (a protected call a second through \`tokens.fetch\`). Each run uses a fresh browser context: the bench signs in once through the provider's login form (code flow with PKCE from a dashboard; the page it returns to is a stub, so the sign-in tab refreshes nothing), then opens ${TABS} tabs. **Coordinated**: one \`name\` (\`auth=oidc\` turns \`exclusiveFetch\` on). **Uncoordinated**: a \`name\` per tab, each refreshing for itself, as an app without the library (oidc-client-ts in each tab) does. After each revocation the bench signs in again through the form. Window: ${SECONDS} s from the moment the last tab is open; **forced sign-outs per minute** = grants revoked in the window × 60 s / window. One run per mode.`,
    '',
    '| mode | tabs | window | refresh grants | grants revoked (= sign-outs) | first revocation after the sign-in | forced sign-outs per minute | protected calls failed / made |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const r of results) {
    const first =
      r.firstMs === undefined
        ? `none in ${((r.openMs + r.windowMs) / 1000).toFixed(0)} s`
        : `${r.firstMs} ms`;
    out.push(
      `| ${r.coordinated ? 'coordinated (one name, `exclusiveFetch`)' : 'uncoordinated (distinct names)'} | ${TABS} | ${(r.windowMs / 1000).toFixed(1)} s | ${r.requests} | **${r.revoked}** | ${first} | **${r.perMinute.toFixed(1)}** | ${r.failed} / ${r.made} |`,
    );
  }
  out.push('');
  for (const r of results) {
    out.push(
      `- ${r.coordinated ? 'coordinated' : 'uncoordinated'}: the tabs were open ${(r.openMs / 1000).toFixed(1)} s after the sign-in; sign-ins again ${r.signIns}.`,
    );
  }
  return out;
}
