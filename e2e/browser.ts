// Finds (or gets) the browsers the end-to-end suite runs in, so that `npm ci && npm test` is the
// whole set-up on a fresh machine. Chromium, in order:
//   1. $CHROMIUM_PATH, when that file exists;
//   2. /usr/bin/chromium (Debian's package `chromium`);
//   3. Playwright's own Chromium, when it is installed;
//   4. `npx playwright install chromium` (fails where its download host is unreachable);
//   5. as root, Debian's `chromium` with apt-get;
// else it stops with one message that says what to run. Firefox (the second lane, a stock Firefox
// over WebDriver BiDi: Playwright's own Firefox is a patched build that speaks another protocol):
// $FIREFOX_PATH, /usr/bin/firefox-esr, /usr/bin/firefox, then as root Debian's `firefox-esr` with
// apt-get, else one message. E2E_BROWSER_INSTALL=0 forbids installing anything.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface BrowserSearch {
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  /** Playwright's own Chromium, where it would be (whether or not it is installed). */
  playwrightPath(): string | undefined;
  /** Runs a command; true when it exited 0. */
  run(command: string, args: readonly string[]): boolean;
  isRoot: boolean;
  log(line: string): void;
}

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Installs Debian's `pkg` (as root); true when `path` is there afterwards. */
function aptInstall(search: BrowserSearch, pkg: string, path: string): boolean {
  return (
    search.run('apt-get', ['update', '-qq']) &&
    search.run('apt-get', ['install', '-y', '-qq', pkg]) &&
    search.exists(path)
  );
}

/** The executable to launch; undefined means Playwright's own, which is installed. */
export function findChromium(search: BrowserSearch): string | undefined {
  const tried: string[] = [];
  const wanted = search.env.CHROMIUM_PATH;
  if (wanted) {
    if (search.exists(wanted)) return wanted;
    tried.push(`$CHROMIUM_PATH=${wanted} (no such file)`);
  }
  if (search.exists(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  tried.push(`${DEBIAN_CHROMIUM} (not installed)`);
  const own = search.playwrightPath();
  if (own && search.exists(own)) return undefined;
  tried.push("Playwright's own Chromium (not installed)");
  if (search.env.E2E_BROWSER_INSTALL !== '0') {
    search.log('No Chromium found: trying `npx playwright install chromium`');
    if (search.run('npx', ['playwright', 'install', 'chromium']) && own && search.exists(own))
      return undefined;
    tried.push('`npx playwright install chromium` (failed)');
    if (search.isRoot) {
      search.log("Trying Debian's chromium package with apt-get");
      if (aptInstall(search, 'chromium', DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
      tried.push('apt-get install chromium (failed)');
    } else tried.push('apt-get (needs root)');
  } else tried.push('installing (E2E_BROWSER_INSTALL=0)');
  throw new Error(
    `No Chromium for the end-to-end tests. Tried: ${tried.join('; ')}. ` +
      'Install one (Debian/Ubuntu: `sudo apt-get install chromium`; elsewhere `npx playwright install chromium`), ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable, then run `npm test` again.',
  );
}

export const DEBIAN_FIREFOX = '/usr/bin/firefox-esr';
const OTHER_FIREFOX = '/usr/bin/firefox';

/** The Firefox executable to launch over WebDriver BiDi. */
export function findFirefox(search: BrowserSearch): string {
  const tried: string[] = [];
  const wanted = search.env.FIREFOX_PATH;
  if (wanted) {
    if (search.exists(wanted)) return wanted;
    tried.push(`$FIREFOX_PATH=${wanted} (no such file)`);
  }
  for (const path of [DEBIAN_FIREFOX, OTHER_FIREFOX]) {
    if (search.exists(path)) return path;
    tried.push(`${path} (not installed)`);
  }
  if (search.env.E2E_BROWSER_INSTALL === '0') tried.push('installing (E2E_BROWSER_INSTALL=0)');
  else if (!search.isRoot) tried.push('apt-get (needs root)');
  else {
    search.log("No Firefox found: trying Debian's firefox-esr package with apt-get");
    if (aptInstall(search, 'firefox-esr', DEBIAN_FIREFOX)) return DEBIAN_FIREFOX;
    tried.push('apt-get install firefox-esr (failed)');
  }
  throw new Error(
    `No Firefox for the end-to-end tests' Firefox lane. Tried: ${tried.join('; ')}. ` +
      'Install one (Debian/Ubuntu: `sudo apt-get install firefox-esr`), or set FIREFOX_PATH to a Firefox ' +
      '(128 or later, it speaks WebDriver BiDi), then run `npm test` again; E2E_FIREFOX=0 leaves the lane out.',
  );
}

/** The search on this machine. */
export function systemSearch(playwrightPath: () => string | undefined): BrowserSearch {
  return {
    env: process.env,
    exists: existsSync,
    playwrightPath,
    run: (command, args) =>
      spawnSync(command, args, {
        stdio: 'inherit',
        timeout: 10 * 60_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      }).status === 0,
    isRoot: process.getuid?.() === 0,
    log: (line) => console.log(`[e2e] ${line}`),
  };
}
