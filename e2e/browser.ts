// Finds (or gets) the Chromium the end-to-end suite runs in, so that `npm ci && npm test` is the
// whole set-up on a fresh machine. In order:
//   1. $CHROMIUM_PATH, when that file exists;
//   2. /usr/bin/chromium (Debian's package `chromium`);
//   3. Playwright's own Chromium, when it is installed;
//   4. `npx playwright install chromium` (fails where its download host is unreachable);
//   5. as root, Debian's `chromium` with apt-get;
// else it stops with one message that says what to run. E2E_BROWSER_INSTALL=0 forbids steps 4
// and 5 (a machine that must not install anything).

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
      const installed =
        search.run('apt-get', ['update', '-qq']) &&
        search.run('apt-get', ['install', '-y', '-qq', 'chromium']) &&
        search.exists(DEBIAN_CHROMIUM);
      if (installed) return DEBIAN_CHROMIUM;
      tried.push('apt-get install chromium (failed)');
    } else tried.push('apt-get (needs root)');
  } else tried.push('installing (E2E_BROWSER_INSTALL=0)');
  throw new Error(
    `No Chromium for the end-to-end tests. Tried: ${tried.join('; ')}. ` +
      'Install one (Debian/Ubuntu: `sudo apt-get install chromium`; elsewhere `npx playwright install chromium`), ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable, then run `npm test` again.',
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
