// Sums the vitest and Playwright JSON reports into the one line CI reads: "N passed, M failed".
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
const missing = [];

if (existsSync('reports/vitest.json')) {
  const v = JSON.parse(readFileSync('reports/vitest.json', 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
} else missing.push('unit (vitest)');

if (existsSync('reports/playwright.json')) {
  const p = JSON.parse(readFileSync('reports/playwright.json', 'utf8'));
  passed += p.stats.expected + p.stats.flaky;
  failed += p.stats.unexpected + p.stats.flaky;
  // A skip says why in its test (a browser that cannot crash a tab): neither passed nor failed.
  if (p.stats.skipped) console.log(`end to end: ${p.stats.skipped} skipped`);
} else missing.push('end-to-end (Playwright)');

if (missing.length) console.log(`suites that did not report: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || missing.length ? 1 : 0);
