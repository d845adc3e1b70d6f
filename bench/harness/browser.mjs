// Launches the Chromium every row runs in: $CHROMIUM_PATH, else Debian's, else Playwright's own,
// with the project's Chromium arguments (e2e/chromium.mjs).

import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS } from '../../e2e/chromium.mjs';

const executablePath =
  process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

/** A new Chromium; `options` are Playwright's launch options (the bfcache row passes ignoreDefaultArgs). */
export function launchChromium(options = {}) {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, ...options });
}
