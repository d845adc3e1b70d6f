// Lets Playwright 1.65 drive a stock Firefox ESR over WebDriver BiDi (the Firefox lane).
//
// Playwright sets `prefers-color-scheme` with the BiDi command `emulation.setMediaFeaturesOverride`
// on every new context and page. Firefox ESR 153 has no such command, so without this every
// `browser.newContext()` fails ("unknown command"). This rewrites those two calls, in
// playwright-core's bundle, to the BiDi session's own `sendMayFail` (which ignores an error):
// colour-scheme emulation then does nothing in Firefox, which no scenario uses. The rewrite is
// idempotent, checked against the version it was written for, and runs before the test workers
// start (playwright.config.ts), which load the bundle afresh.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const CALL = '.send("emulation.setMediaFeaturesOverride",';
const PATCHED = '.sendMayFail("emulation.setMediaFeaturesOverride",';

/** Patches the installed playwright-core once; throws with what to do when it cannot. */
export function letPlaywrightDriveFirefoxEsr() {
  const root = dirname(require.resolve('playwright-core/package.json'));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const bundle = join(root, 'lib', 'coreBundle.js');
  const source = readFileSync(bundle, 'utf8');
  const calls = source.split(CALL).length - 1;
  if (calls === 0 && source.includes(PATCHED)) return;
  if (calls !== 2 || !version.startsWith('1.65.')) {
    throw new Error(
      `e2e/firefox-bidi.mjs was written for playwright-core 1.65 (two calls of emulation.setMediaFeaturesOverride); ` +
        `found ${version} with ${calls}. Check whether this Playwright still needs it, then update it ` +
        '(or run with E2E_FIREFOX=0 to leave the Firefox lane out).',
    );
  }
  writeFileSync(bundle, source.replaceAll(CALL, PATCHED));
}
