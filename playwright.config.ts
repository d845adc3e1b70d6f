// End-to-end tests (e2e/): real browsers against the playground, which Playwright starts itself.
//
// Playwright cannot download its own browsers here, so the suite launches the system's
// (e2e/browser.ts: Chromium, and Debian's Firefox ESR). The scenarios measure timing and server
// request counts, so they run one at a time (one worker, no retries: a flaky count is a finding).
//
// Chromium, two projects:
//   - `chromium`: every scenario but the back/forward cache, against a built copy of the
//     playground served by `vite preview` with the same token server (built from ../src at the
//     start of the run). Built, one script per page: a dashboard tab opens in a fraction of the
//     time the dev server's hundred modules take (the dev server itself is checked by
//     test/playground-dev-server.test.ts);
//   - `bfcache`: e2e/back-forward-cache.spec.ts, against the same build (the dev server's HMR
//     WebSocket alone keeps a page out of the back/forward cache), in a Chromium that keeps that
//     cache on (Playwright turns it off by default).
// Firefox, after them (firefoxProjects): `firefox`, the core scenarios, and `firefox-bfcache`,
// the same spec files against the built playground (docs/browsers.md).
// WebKit, last (webkitProjects): `webkit` and `webkit-bfcache`, the same spec files in WebKitGTK's
// MiniBrowser over classic WebDriver (e2e/webkit/), the built playground served through the lane's
// proxy on the next port.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  chromium,
  defineConfig,
  type LaunchOptions,
  type PlaywrightTestOptions,
  type PlaywrightWorkerOptions,
  type Project,
} from '@playwright/test';
import { FIREFOX_CACHE_LOG } from './e2e/back-forward-cache-probe';
import { findChromium, findFirefox, systemSearch } from './e2e/browser';
import { CHROMIUM_ARGS } from './e2e/chromium.mjs';
import { letPlaywrightDriveFirefoxEsr } from './e2e/firefox-bidi.mjs';
import type { WebKitLaneOption } from './e2e/webkit/lane';
import { findWebKit } from './e2e/webkit/processes';

const port = Number(process.env.E2E_PORT) || 5273;
/** The built playground, served by `vite preview`: every project runs against it. */
const builtURL = `http://localhost:${port}`;
const playgroundConfig = '--config playground/vite.config.ts';

const bfcacheSpec = /back-forward-cache\.spec\.ts$/;
/** The scenarios the Firefox and WebKit lanes run too (issues 12, 17, 20): the same spec files, the same code. */
const sharedSpecs =
  /(coordination|failover|hardening|hostile-messages|server-faults|identity|workers|openid|cancelled-navigation)\.spec\.ts$/;
/**
 * Scenarios of the library's own logic that no engine changes (the same JavaScript on the same
 * Web Locks and channel calls the other scenarios prove in Firefox), or of the OpenID Provider's
 * (the baseline without the library; a leader gone with its refresh at the provider, strict and
 * with a grace: the provider rotated, whatever the engine): Chromium runs them, and the Firefox
 * lane leaves them out to keep CI under 15 minutes (docs/browsers.md).
 */
const logicOnly =
  /server answering garbage|server failing|a token server whose clock steps a day ahead|another user signs in|1,000 malformed messages|OpenID Provider, the baseline|OpenID Provider: a leader that goes with its refresh/;
/**
 * Shared scenarios the Firefox lane leaves out since WebKit is the third lane, to keep CI under 15
 * minutes (docs/browsers.md): each still runs in Chromium and in WebKit, or (the fetching tab
 * hung, which WebKit's lane cannot make) in Chromium. Firefox keeps what is its own: two
 * browsers of several tabs, the leader closed and frozen, leader reasons, the three workers, the
 * navigation that does not happen, the back/forward cache. Left out, with their Firefox times in
 * the CI run at 9f99cbf: ten tabs 50 s, the fetching tab hung 30 s, sign-out during a refresh
 * 29 s, malformed election envelopes 11 s; and earlier the OpenID Provider's ten tabs 58 s,
 * opening a tab 22 s, a sign-out while a question to a hung leader is pending 21 s.
 */
const firefoxTrim =
  /OpenID Provider: ten tabs signed in once|opening a tab costs nothing|sign-out while a follower asks a hung leader|ten tabs elect one leader|exclusiveFetch with the fetching tab hung|sign out everywhere while a refresh is in flight|malformed internal \(leader-election\) envelopes/;

const launchOptions: LaunchOptions = {
  // $CHROMIUM_PATH, else Debian's Chromium, else Playwright's own; installed when none is there
  // (e2e/browser.ts), so that `npm ci && npm test` needs nothing else.
  executablePath: findChromium(systemSearch(() => chromium.executablePath())),
  args: [...CHROMIUM_ARGS],
};

/**
 * The Firefox lane: a stock Firefox (Debian's firefox-esr) over WebDriver BiDi, after the Chromium
 * projects. E2E_FIREFOX=0 leaves it out.
 */
/** The suite's own options (e2e/fixtures.ts). */
type Options = { webkitLane: WebKitLaneOption | null };
type LaneProject = Project<PlaywrightTestOptions, PlaywrightWorkerOptions & Options>;

/** The projects named with --project, if any: a run of other lanes' projects needs no browser of this one. */
const chosen = process.argv.flatMap((arg, i) =>
  arg.startsWith('--project=')
    ? [arg.slice('--project='.length)]
    : arg === '--project'
      ? [process.argv[i + 1] ?? '']
      : [],
);

function firefoxProjects(): LaneProject[] {
  // A run of Chromium's projects only (`--project chromium`) needs no Firefox: the workers,
  // which load this file again, inherit the decision.
  if (chosen.length > 0 && !chosen.some((name) => name.startsWith('firefox'))) process.env.E2E_FIREFOX = '0';
  if (process.env.E2E_FIREFOX === '0') return [];
  letPlaywrightDriveFirefoxEsr();
  mkdirSync(dirname(FIREFOX_CACHE_LOG), { recursive: true });
  const firefox: LaunchOptions = { executablePath: findFirefox(systemSearch(() => undefined)) };
  // A `moz-` channel is what makes Playwright speak WebDriver BiDi to the executable given.
  const use = { browserName: 'firefox' as const, channel: 'moz-firefox', launchOptions: firefox };
  return [
    // The built playground (one script, not the dev server's hundred modules per tab): Firefox
    // opened a dev-server tab in 6.8 s on this 2-core machine, Chromium in 1.4 s.
    {
      name: 'firefox',
      testMatch: sharedSpecs,
      grepInvert: [logicOnly, firefoxTrim],
      use: { ...use, baseURL: builtURL },
    },
    {
      name: 'firefox-bfcache',
      testMatch: bfcacheSpec,
      use: {
        ...use,
        baseURL: builtURL,
        // Firefox says why it kept a page out of the back/forward cache only in its log.
        launchOptions: {
          ...firefox,
          env: { ...process.env, MOZ_LOG: 'sync,SHIPBFCache:5', MOZ_LOG_FILE: FIREFOX_CACHE_LOG },
        },
      },
    },
  ];
}

/**
 * The WebKit lane: WebKitGTK's MiniBrowser (Debian's webkit2gtk-driver, under Xvfb), after the
 * other lanes. E2E_WEBKIT=0 leaves it out.
 */
function webkitProjects(): LaneProject[] {
  if (chosen.length > 0 && !chosen.some((name) => name.startsWith('webkit'))) process.env.E2E_WEBKIT = '0';
  if (process.env.E2E_WEBKIT === '0') return [];
  findWebKit();
  const webkitLane: WebKitLaneOption = { target: builtURL, port: port + 1 };
  const use = { webkitLane, baseURL: `http://localhost:${port + 1}` };
  return [
    { name: 'webkit', testMatch: sharedSpecs, grepInvert: logicOnly, use },
    { name: 'webkit-bfcache', testMatch: bfcacheSpec, use },
  ];
}

export default defineConfig<object, Options>({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 90_000,
  expect: { timeout: 10_000 },
  // The JSON report (both projects) is what .ci/run sums with vitest's into one "N passed, M failed" line.
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: {
    baseURL: builtURL,
    headless: true,
    trace: 'retain-on-failure',
    launchOptions,
  },
  projects: [
    { name: 'chromium', testIgnore: bfcacheSpec },
    {
      name: 'bfcache',
      testMatch: bfcacheSpec,
      use: {
        baseURL: builtURL,
        // Playwright launches Chromium with --disable-back-forward-cache unless told not to.
        launchOptions: { ...launchOptions, ignoreDefaultArgs: ['--disable-back-forward-cache'] },
      },
    },
    ...firefoxProjects(),
    ...webkitProjects(),
  ],
  webServer: [
    {
      // The playground built into dist-playground/ (the library from ../src as it is at the start
      // of the run, so an edit during a run changes nothing under test), then served with the
      // same token server (plugin.ts's configurePreviewServer).
      command: `npx vite build ${playgroundConfig} --logLevel warn && npx vite preview ${playgroundConfig} --port ${port} --strictPort`,
      url: `${builtURL}/api/stats`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
