// CI: the package as a consumer gets it. `npm pack`, install the tarball into a fresh project,
// type-check a consumer module (strict; moduleResolution bundler and nodenext), bundle it for the
// browser and run it in Chromium against a local token endpoint, and import it in Node (no window).
// Needs `npm run build` first (dist/). Prints one line per step; exits 1 on the first failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS } from '../../e2e/chromium.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ttc-consumer-'));
const app = join(work, 'app');
const step = (what) => console.log(`consumer: ${what}`);
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const b64 = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
const jwt = () => {
  const iat = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iat, exp: iat + 60, sub: 'consumer' })}.c2ln`;
};

try {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], repo))[0];
  step(`packed ${packed.filename} (${packed.size} B, ${packed.entryCount} files)`);
  spawnSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--silent', join(work, packed.filename)], app);
  step('installed the tarball into a fresh project');
  for (const f of ['app.ts', 'browser.ts', 'index.html']) copyFileSync(join(here, f), join(app, f));

  const tsc = join(repo, 'node_modules', '.bin', 'tsc');
  const base = {
    strict: true,
    noEmit: true,
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    skipLibCheck: false,
    types: [],
  };
  for (const [module, moduleResolution] of [
    ['ESNext', 'Bundler'],
    ['NodeNext', 'NodeNext'],
  ]) {
    const config = join(app, `tsconfig.${moduleResolution.toLowerCase()}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: { ...base, module, moduleResolution },
        files: ['app.ts', 'browser.ts'],
      }),
    );
    run(tsc, ['-p', config], app);
    step(`type-checks (strict, moduleResolution ${moduleResolution})`);
  }

  const { build } = await import(join(repo, 'node_modules', 'vite', 'dist', 'node', 'index.js'));
  const outDir = join(work, 'dist');
  await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  step('bundled for the browser');

  const types = { '.html': 'text/html', '.js': 'text/javascript' };
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/token')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token: jwt() }));
      return;
    }
    const path = req.url === '/' ? '/index.html' : (req.url ?? '/');
    try {
      res.setHeader('content-type', types[extname(path)] ?? 'application/octet-stream');
      res.end(readFileSync(join(outDir, path)));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const { chromium } = await import(join(repo, 'node_modules', 'playwright-core', 'index.mjs'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.body.dataset.token !== undefined, null, { timeout: 15_000 });
    const token = await page.evaluate(() => document.body.dataset.token);
    if (token?.split('.').length !== 3 || errors.length) {
      throw new Error(`the page got ${token} (page errors: ${errors.join('; ') || 'none'})`);
    }
    step(
      `ran in Chromium: a token from the local endpoint, leader ${await page.evaluate(() => document.body.dataset.leader)}`,
    );
  } finally {
    await browser.close();
    server.close();
  }

  const script = `
    const b64 = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
    const iat = Math.floor(Date.now() / 1000);
    const { createTokenCache } = await import('tab-token-cache');
    if (typeof window !== 'undefined') throw new Error('window in Node?');
    const tokens = createTokenCache({ name: 'node', fetchToken: async () => b64({ alg: 'none' }) + '.' + b64({ iat, exp: iat + 60 }) + '.c2ln' });
    const t = await tokens.getToken();
    console.log(t.split('.').length === 3 ? 'node-ok' : 'node-bad');`;
  const node = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: app,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (node.status !== 0 || node.stdout.trim() !== 'node-ok') {
    throw new Error(`Node import: exit ${node.status}, ${node.stdout} ${node.stderr}`);
  }
  step('imports and runs in Node without a window, and the process exits by itself');
  console.log('consumer: all checks passed');
} catch (error) {
  console.error(`consumer: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
