// Row `size` (table 5): the browser bundle's size, minified and gzipped (level 9), of the library
// with its dependencies and of each dependency alone, as bench/size.mjs builds them.

import { BUDGET_BYTES, GOAL_BYTES, measureSizes } from '../size.mjs';

export const ROW = 'size';
export const DEV_SERVER = false;

export function measure() {
  return measureSizes();
}

/** Table 5 of bench/RESULTS.md. */
export function section(sizes) {
  const out = ['## 5. Bundle size (browser build, minified; gzip level 9)', ''];
  out.push('| bundle | minified | gzipped |', '|---|---|---|');
  for (const s of sizes) out.push(`| ${s.what} | ${s.min} B | ${s.gzip} B |`);
  out.push(
    '',
    `Goal: ${GOAL_BYTES} B gzipped for the library with its dependencies (${sizes[0].gzip > GOAL_BYTES ? 'not met' : 'met'}); CI fails above ${BUDGET_BYTES} B, a guard against growth.`,
  );
  return out;
}
