// The browser bundle's size: what every page load pays (the entry chunk and what it imports
// statically, our code with its dependencies, minified and gzipped), each part of it (ours by
// folder, each dependency), and the chunks loaded only where they are needed.
// `node bench/size.mjs --check` fails above the budget.
//
// Loaded only where needed (each its own chunk): broadcast-channel, where the platform has no
// native BroadcastChannel; the in-realm lock manager, where `navigator.locks` is missing;
// `tokens.fetch`, on its first call.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

export const GOAL_BYTES = 10 * 1024;
// The goal (10 KB) is not met: every page load is 12.6 KB gzipped since the channel, the in-realm
// lock manager and tokens.fetch load only where needed (from 16.9 KB). The budget is that figure
// with room for the small features of issue 20 (each ~300 B), so growth beyond them is a decision.
// Issue 17 took it to 13.5 KB: R11's beforeunload listener and rejoining after a navigation that
// does not happen, with `ifAvailable` asked for without the option (Firefox keeps no page that
// holds or waits for a Web Lock) cost 312 B (13,301 to 13,613), with 11 B of the old budget left.
export const BUDGET_BYTES = 13.5 * 1024;

const root = new URL('..', import.meta.url).pathname;
const gzip = (code) => gzipSync(code, { level: 9 }).length;

async function chunksOf(code, preserveModules = false) {
  // The entry lives inside the project, so its imports resolve against our node_modules.
  const dir = mkdtempSync(join(import.meta.dirname, '.size-'));
  const entry = join(dir, 'entry.js');
  writeFileSync(entry, code);
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: 'entry' },
      // Lib mode keeps whitespace in ES output unless the bundler's own minifier runs.
      rolldownOptions: { external: [], output: { minify: true, preserveModules } },
    },
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  return (Array.isArray(out) ? out[0] : out).output.filter((o) => o.type === 'chunk');
}

/** The entry chunk and every chunk it imports statically: what a page loads before any call. */
function initialLoad(chunks) {
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Set();
  const visit = (c) => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const i of c.imports) visit(byName.get(i));
  };
  for (const c of chunks) if (c.isEntry) visit(c);
  return seen;
}

const measure = (chunks) => {
  const js = chunks.map((c) => c.code).join('\n');
  return { min: Buffer.byteLength(js), gzip: gzip(js) };
};

/** A module's part: our folder (src/sync …) or the dependency's package name. */
function partOf(moduleId) {
  const path = relative(root, moduleId);
  const dep = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (dep) return dep[1];
  const parts = path.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : `${parts[0]}/*.ts`;
}

const lib = join(root, 'src/index.ts');
const entryCode = `export * from ${JSON.stringify(lib)};`;

export async function measureSizes() {
  const chunks = await chunksOf(entryCode);
  const initial = initialLoad(chunks);
  const lazy = chunks.filter((c) => !initial.has(c));
  // A lazy chunk is named by its modules: ours by file, a dependency by its package.
  const lazyName = (c) =>
    [
      ...new Set(
        Object.keys(c.modules).map((m) => (m.includes('node_modules') ? partOf(m) : relative(root, m))),
      ),
    ].join(' + ');
  return [
    { what: 'tab-token-cache, every page load (with its dependencies)', ...measure([...initial]) },
    ...lazy.map((c) => ({ what: `loaded only where needed: ${lazyName(c)}`, ...measure([c]) })),
  ];
}

/** Each part of the initial load alone (gzip of a part alone; the parts don't add up to the whole). */
export async function measureParts() {
  const modules = await chunksOf(entryCode, true);
  const initial = initialLoad(modules);
  const parts = new Map();
  for (const c of initial) {
    for (const id of Object.keys(c.modules)) {
      if (id.includes('.size-')) continue;
      const part = partOf(id);
      parts.set(part, [...(parts.get(part) ?? []), c]);
    }
  }
  return [...parts]
    .map(([what, cs]) => ({ what, ...measure([...new Set(cs)]) }))
    .sort((a, b) => b.min - a.min);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await measureSizes();
  for (const s of sizes) console.log(`${s.what}: ${s.min} B minified, ${s.gzip} B gzipped`);
  console.log('parts of every page load (minified; gzipped alone):');
  for (const p of await measureParts())
    console.log(`  ${p.what.padEnd(18)} ${String(p.min).padStart(6)} B  ${String(p.gzip).padStart(5)} B`);
  const total = sizes[0].gzip;
  if (process.argv.includes('--check')) {
    if (total > BUDGET_BYTES) {
      console.error(`size budget exceeded: ${total} B gzipped > ${BUDGET_BYTES} B`);
      process.exit(1);
    }
    console.log(`size budget ok: ${total} B gzipped <= ${BUDGET_BYTES} B`);
    if (total > GOAL_BYTES) console.log(`size goal not met: ${total} B gzipped > ${GOAL_BYTES} B`);
  }
}
