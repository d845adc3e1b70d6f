// `npm run test:e2e`: the end-to-end suite's engine lanes, side by side. Each lane is its own
// Playwright run with its own servers (ports) and its own JSON report; they share one build of
// the playground. Chromium (projects dev-server and bfcache) and Firefox (firefox and
// firefox-bfcache) each take about half of the suite's time, so together they take about half
// (docs/testing.md). Within a lane the scenarios still run one at a time: they count requests.
//
//   npm run test:e2e                      both lanes, side by side
//   E2E_PARALLEL=0 npm run test:e2e       one after the other (a busy machine)
//   E2E_FIREFOX=0 npm run test:e2e        Chromium only
//   npm run test:e2e -- <playwright args> one Playwright run with those arguments, as before
//                                         (e.g. `-- --project=firefox e2e/seed.spec.ts`)

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const args = process.argv.slice(2);

if (args.length > 0) {
  const run = spawnSync(npx, ['playwright', 'test', ...args], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const step = (what, command) => {
  console.log(`== e2e: ${what}`);
  const run = spawnSync(npx, command, { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
};
// Loading the config finds (or installs) both browsers, once, before the lanes start.
step('browsers', ['playwright', 'test', '--list', '--reporter=null']);
step('build the playground', [
  'vite',
  'build',
  '--config',
  'playground/vite.config.ts',
  '--logLevel',
  'warn',
]);

const lanes = [
  { name: 'chromium', projects: ['dev-server', 'bfcache'], port: 5273, builtPort: 5274 },
  ...(process.env.E2E_FIREFOX === '0'
    ? []
    : [{ name: 'firefox', projects: ['firefox', 'firefox-bfcache'], port: 5275, builtPort: 5276 }]),
];
mkdirSync('reports', { recursive: true });
rmSync('reports/playwright.json', { force: true }); // a single run's report, from before

/** Runs one lane; its output lines carry its name. Resolves with its exit code. */
function runLane(lane) {
  const child = spawn(npx, ['playwright', 'test', ...lane.projects.map((p) => `--project=${p}`)], {
    env: {
      ...process.env,
      E2E_LANE: lane.name,
      E2E_PREBUILT: '1',
      E2E_PORT: String(lane.port),
      E2E_BFCACHE_PORT: String(lane.builtPort),
      E2E_REPORT: `reports/playwright-${lane.name}.json`,
      ...(lane.name === 'chromium' && { E2E_FIREFOX: '0' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) console.log(`[${lane.name}] ${line}`);
    });
    stream.on('end', () => rest && console.log(`[${lane.name}] ${rest}`));
  }
  const started = Date.now();
  return new Promise((resolve) =>
    child.on('close', (code) => {
      console.log(`[${lane.name}] lane done in ${Math.round((Date.now() - started) / 1000)} s, exit ${code}`);
      resolve(code ?? 1);
    }),
  );
}

let codes;
if (process.env.E2E_PARALLEL === '0') {
  codes = [];
  for (const lane of lanes) codes.push(await runLane(lane));
} else codes = await Promise.all(lanes.map(runLane));
process.exit(codes.some((code) => code !== 0) ? 1 : 0);
