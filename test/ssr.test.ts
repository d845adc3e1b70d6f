import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// R19 on a server: a Node process (what an SSR build is) that creates a cache at module level,
// uses it and never closes it must still exit by itself. The library is built as it ships, then
// run in a child process, with no fake timers and no test harness around it.

let dir: string;
let entry: string;

beforeAll(async () => {
  // Inside node_modules, so that the built file resolves the dependencies as a consumer's would.
  dir = mkdtempSync(join(process.cwd(), 'node_modules', '.ssr-test-'));
  await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      lib: { entry: join(process.cwd(), 'src/index.ts'), formats: ['es'], fileName: 'index' },
      outDir: dir,
      emptyOutDir: true,
      rollupOptions: { external: ['broadcast-channel', 'jose', 'nanoevents'] },
    },
  });
  entry = pathToFileURL(join(dir, 'index.js')).href;
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runNode(script: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

const JWT = `
const b64 = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
const jwt = () => { const iat = Math.floor(Date.now() / 1000); return b64({ alg: 'none' }) + '.' + b64({ iat, exp: iat + 60 }) + '.c2ln'; };
`;

describe('R19: on a server', () => {
  it('a Node process that creates a cache, gets a token and never closes it exits by itself', () => {
    const r = runNode(`${JWT}
import { createTokenCache } from '${entry}';
const tokens = createTokenCache({ name: 'ssr', fetchToken: async () => jwt() });
const token = await tokens.getToken();
const again = await tokens.getToken();
console.log(token === again && tokens.isLeader ? 'served' : 'wrong');
`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('served');
    expect(r.status).toBe(0); // not killed by the 20 s timeout: nothing kept the process alive
  });

  it('two caches of one name in one process coordinate: one leader, one fetch', () => {
    const r = runNode(`${JWT}
import { createTokenCache } from '${entry}';
let fetches = 0;
const make = () => createTokenCache({ name: 'ssr', fetchToken: async () => { fetches++; return jwt(); } });
const a = make();
const b = make();
const ta = await a.getToken();
await new Promise((r) => setTimeout(r, 50));
const tb = await b.getToken();
console.log([a.isLeader, b.isLeader].filter(Boolean).length, fetches, ta === tb);
`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1 1 true');
    expect(r.status).toBe(0);
  });

  it('creating a cache and never using it fetches nothing and exits at once', () => {
    const r = runNode(`
import { createTokenCache } from '${entry}';
createTokenCache({ name: 'ssr', fetchToken: async () => { console.log('fetched'); return ''; } });
console.log('created');
`);
    expect(r.stdout.trim()).toBe('created');
    expect(r.status).toBe(0);
  });
});
