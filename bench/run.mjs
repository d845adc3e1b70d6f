// `npm run bench`: measures the claims side by side in real Chromium, against the playground.
// Prints a table and writes it to bench/RESULTS.md. This file only wires the rows together:
// each row is a module of bench/rows/ (what it measures, from which event to which, and its
// section of RESULTS.md); what they share is in bench/harness/.
//
// `node bench/run.mjs --only wakeups,idle` runs only the named rows (ids: requests, hits, broadcast,
// takeover, size, wakeups, idle, rotation, openid-rotation, bfcache, hung-leader), prints them, and replaces only their
// sections in bench/RESULTS.md (each such section says it was measured alone, when and how).
//
// A row module exports ROW (its id), DEV_SERVER (whether it needs the playground's dev server),
// measure(browser) (its data; it logs progress) and section(data) (its lines of RESULTS.md,
// starting with its `## N.` heading).

import { onlyRows } from './harness/args.mjs';
import { launchChromium } from './harness/browser.mjs';
import { startDevServer } from './harness/playground.mjs';
import { writeResults } from './harness/results.mjs';
import * as bfcache from './rows/bfcache.mjs';
import * as broadcast from './rows/broadcast.mjs';
import * as hits from './rows/hits.mjs';
import * as hungLeader from './rows/hung-leader.mjs';
import * as idle from './rows/idle.mjs';
import * as openidRotation from './rows/openid-rotation.mjs';
import * as requests from './rows/requests.mjs';
import * as rotation from './rows/rotation.mjs';
import * as size from './rows/size.mjs';
import * as takeover from './rows/takeover.mjs';
import * as wakeups from './rows/wakeups.mjs';

// In the order of bench/RESULTS.md's tables (1 to 11).
const ROWS = [
  requests,
  hits,
  broadcast,
  takeover,
  size,
  wakeups,
  idle,
  rotation,
  openidRotation,
  bfcache,
  hungLeader,
];

const started = Date.now();
const only = onlyRows(
  process.argv.slice(2),
  ROWS.map((row) => row.ROW),
);
const chosen = ROWS.filter((row) => !only || only.has(row.ROW));
const stopServer = chosen.some((row) => row.DEV_SERVER) ? await startDevServer() : undefined;
const browser = await launchChromium();
try {
  const measured = [];
  for (const row of chosen) measured.push(row.section(await row.measure(browser)));
  const text = writeResults({ measured, only, started, version: browser.version() });
  console.log(`\n${text}`);
} finally {
  await browser.close();
  await stopServer?.();
}
