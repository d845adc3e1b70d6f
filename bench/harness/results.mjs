// The results writer: bench/RESULTS.md, a header (date, machine, command, library revision,
// settings) and one section per row, each a list of lines starting with its `## N.` heading.
// A run of some rows (--only) keeps the rest of the file and replaces only their sections.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { CUTOFF, LEEWAY, POLL, REPEATS, TTL } from './settings.mjs';

const RESULTS = new URL('../RESULTS.md', import.meta.url);
// The machine's load (1-minute average) when the run began (this module loads first) and ended:
// other work on a shared machine slows the tabs, and the timings with them.
const loadAtStart = loadavg()[0];
const load = () =>
  `load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`;

/** The library measured: the commit, and whether src/ has uncommitted changes (BENCH_LIBRARY overrides). */
export function libraryRevision() {
  if (process.env.BENCH_LIBRARY) return process.env.BENCH_LIBRARY;
  const git = (...args) =>
    execFileSync('git', args, {
      cwd: new URL('../..', import.meta.url),
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function header({ started, version }) {
  return [
    '# Benchmark results',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, Chromium ${version}; ${load()}`,
    `- command: \`npm run bench\` (${REPEATS} repeats; took ${Math.round((Date.now() - started) / 1000)} s)`,
    `- library: ${libraryRevision()}`,
    `- settings: token ttl ${TTL} s (usable ${TTL - 1} s), poll ${POLL} ms, leeway ${LEEWAY} s, cutoff ${CUTOFF} s. Tabs are \`playground/bench.html\`: the playground's cache, options and verifyToken (ES256 signature against the JWKS), getToken once a second, no dashboard. Tables 4 and 6 to 11 say their own settings.`,
    '',
  ];
}

const sectionNumber = (lines) => Number(/^## (\d+)\./.exec(lines[0])?.[1]);

/** `previous` with the sections of `measured` put in place of those of the same number, each with `note`. */
function merge(previous, measured, note) {
  const [head, ...rest] = previous.split(/^(?=## \d+\.)/m);
  const sections = new Map(rest.map((text) => [sectionNumber(text.split('\n')), text.trimEnd().split('\n')]));
  for (const lines of measured) sections.set(sectionNumber(lines), [lines[0], '', note, ...lines.slice(1)]);
  const body = [...sections.entries()].sort(([a], [b]) => a - b).map(([, lines]) => lines.join('\n'));
  return `${head.trimEnd()}\n\n${body.join('\n\n')}\n`;
}

/**
 * Writes RESULTS.md: the whole file after a full run, or (`only`: the ids run) the measured
 * sections into the previous file, each marked as measured alone. Returns what to print.
 */
export function writeResults({ measured, only, started, version }) {
  let text;
  if (!only || !existsSync(RESULTS)) {
    text = [...header({ started, version }), ...measured.flatMap((lines) => [...lines, ''])].join('\n');
  } else {
    const took = Math.round((Date.now() - started) / 1000);
    const command = `node bench/run.mjs --only ${[...only].join(',')}`;
    const note = `_Measured alone: \`${command}\`, ${new Date().toISOString()}, took ${took} s (${load()}), Chromium ${version}, library ${libraryRevision()}._`;
    text = merge(readFileSync(RESULTS, 'utf8'), measured, note);
  }
  writeFileSync(RESULTS, text);
  return only ? measured.map((lines) => lines.join('\n')).join('\n\n') : text;
}
