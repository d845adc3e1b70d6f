// Row `size` (table 5): the browser bundle's size, minified and gzipped (level 9): what every page
// load pays (the library with its dependencies), the chunks loaded only where needed, and each
// part of the page load alone, as bench/size.mjs builds them.

import { BUDGET_BYTES, GOAL_BYTES, measureParts, measureSizes } from '../size.mjs';

export const ROW = 'size';
export const DEV_SERVER = false;

export async function measure() {
  return { sizes: await measureSizes(), parts: await measureParts() };
}

/** Table 5 of bench/RESULTS.md. */
export function section({ sizes, parts }) {
  const out = ['## 5. Bundle size (browser build, minified; gzip level 9)', ''];
  out.push('| bundle | minified | gzipped |', '|---|---|---|');
  for (const s of sizes) out.push(`| ${s.what} | ${s.min} B | ${s.gzip} B |`);
  out.push(
    '',
    `Goal: ${GOAL_BYTES} B gzipped for every page load with the dependencies (${sizes[0].gzip > GOAL_BYTES ? 'not met' : 'met'}); CI fails above ${BUDGET_BYTES} B, a guard against growth.`,
    '',
    'The parts of every page load, each alone (a part gzipped alone compresses worse than within the whole, so the column adds up to more than the total):',
    '',
    '| part | minified | gzipped alone |',
    '|---|---|---|',
  );
  for (const p of parts) out.push(`| \`${p.what}\` | ${p.min} B | ${p.gzip} B |`);
  return out;
}
