// The WebKit lane's processes: Debian's WebKitGTK WebDriver and MiniBrowser (installed as root when
// missing, as the other lanes' browsers are), the virtual display they need (Xvfb, one per run:
// setup.ts), and one WebKitWebDriver per browser context (a driver holds one session, and a
// session is one MiniBrowser: another browser, another user). Every process is stopped by its id.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const XVFB = '/usr/bin/Xvfb';

/** The driver and the display server, installed with apt-get as root when missing; throws with what to do. */
export function findWebKit(): void {
  const missing = [WEBKIT_DRIVER, MINIBROWSER, XVFB].filter((path) => !existsSync(path));
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && process.env.E2E_BROWSER_INSTALL !== '0') {
    console.log("[e2e] WebKit lane: installing Debian's webkit2gtk-driver and xvfb with apt-get");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (args: string[]) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
    if (run(['update', '-qq']) && run(['install', '-y', '-qq', 'webkit2gtk-driver', 'xvfb'])) {
      if ([WEBKIT_DRIVER, MINIBROWSER, XVFB].every((path) => existsSync(path))) return;
    }
  }
  throw new Error(
    `No WebKit for the end-to-end tests' WebKit lane (missing ${missing.join(', ')}). Install them ` +
      '(Debian/Ubuntu: `sudo apt-get install webkit2gtk-driver xvfb`), then run `npm test` again; ' +
      'E2E_WEBKIT=0 leaves the lane out.',
  );
}

/** A TCP port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** Starts Xvfb on a free display number; resolves with the display and the process. */
export async function startDisplay(): Promise<{ display: string; process: ChildProcess }> {
  for (let n = 99; n < 140; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const child = spawn(XVFB, [`:${n}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50 && !existsSync(`/tmp/.X11-unix/X${n}`); i++) await sleep(100);
    if (existsSync(`/tmp/.X11-unix/X${n}`)) return { display: `:${n}`, process: child };
    child.kill();
  }
  throw new Error('WebKit lane: no display: Xvfb did not start on any of :99 to :139');
}

/** A WebKitWebDriver on a free port, ready for a session. */
export async function startDriver(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'ignore', env: process.env });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${url}/status`)
      .then((res) => res.ok)
      .catch(() => false);
    if (ready) return { url, process: child };
    await sleep(50);
  }
  child.kill();
  throw new Error(`WebKit lane: WebKitWebDriver did not answer on port ${port}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
