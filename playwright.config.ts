// End-to-end tests (e2e/): real Chromium against the playground, which Playwright starts itself.
//
// Playwright cannot download its own browsers here, so the suite launches the system Chromium
// ($CHROMIUM_PATH, else /usr/bin/chromium). The scenarios measure timing and server request
// counts, so they run one at a time (one worker, no retries: a flaky count is a finding).

import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT) || 5273;
const baseURL = `http://localhost:${port}`;

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 90_000,
  expect: { timeout: 10_000 },
  // The JSON report is what .ci/run sums with vitest's into one "N passed, M failed" line.
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: {
    baseURL,
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: {
      // $CHROMIUM_PATH, else Debian's Chromium where present, else Playwright's own browser.
      executablePath:
        process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `npx vite --config playground/vite.config.ts --port ${port} --strictPort`,
    url: `${baseURL}/api/stats`,
    reuseExistingServer: false,
    timeout: 60_000,
    // An edit to src/ or playground/ during a run must not reload the tabs under test.
    env: { PLAYGROUND_NO_WATCH: '1' },
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
