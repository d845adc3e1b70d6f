// `npm run bench`: measures the claims side by side in real Chromium, against the playground.
// Prints a table and writes it to bench/RESULTS.md. Every figure is a median over repeated runs
// with min and max beside it.
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { BUDGET_BYTES, GOAL_BYTES, measureSizes } from './size.mjs';

const PORT = Number(process.env.BENCH_PORT) || 5290;
const BASE = `http://localhost:${PORT}`;
const POLL = 500;
const LEEWAY = 1.5;
const CUTOFF = 0.5;
const TTL = 5; // usable 4 s: a token is stale 2.5 s after its fetch began, refreshed at the next poll
const LIFETIMES = 6; // token lifetimes counted in each run of table 1
const REPEATS = Number(process.env.BENCH_REPEATS) || 3;
const executablePath =
  process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => sorted(xs)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const summary = (xs, digits = 2) =>
  `${median(xs).toFixed(digits)} (min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)})`;

async function api(path, body) {
  const res = await fetch(`${BASE}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

let run = 0;
const uniqueName = (prefix) => `${prefix}${++run}`;
// bench.html: the playground's cache, options and once-a-second getToken, without the dashboard.
const url = (name) => `${BASE}/bench.html?poll=${POLL}&leeway=${LEEWAY}&cutoff=${CUTOFF}&name=${name}`;

/** Opens one tab per name; each records when it got each new token and when it became leader. */
async function openTabs(context, names) {
  const pages = [];
  for (const name of names) {
    const page = await context.newPage();
    await page.goto(url(name));
    await page.waitForFunction(() => window.tokenCache !== undefined);
    await page.evaluate(() => {
      const now = () => performance.timeOrigin + performance.now();
      window.__tokens = [];
      window.__leaderAt = 0;
      window.tokenCache.on('token', (e) => window.__tokens.push([e.token, now()]));
      window.tokenCache.on('leader', ({ isLeader }) => {
        if (isLeader) window.__leaderAt = now();
      });
    });
    pages.push(page);
  }
  return pages;
}

const holdToken = (pages) =>
  Promise.all(pages.map((p) => p.waitForFunction(() => window.tokenCache.peekToken() !== null)));

async function closeAll(context) {
  for (const p of context.pages()) await p.evaluate(() => window.tokenCache.close()).catch(() => {});
  await context.close();
}

/**
 * Server requests while the first tab goes through LIFETIMES token lifetimes, with `n` tabs
 * coordinated (one name) or each its own cache (distinct names). The window runs from just after
 * one new token to just after the LIFETIMES-th next one in that tab: whole lifetimes, so no count
 * is cut at the window's edges.
 */
async function requestsPerLifetime(browser, n, coordinated) {
  await api('/api/control', { ttlSeconds: TTL, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const name = uniqueName('rq');
  const pages = await openTabs(
    context,
    Array.from({ length: n }, (_, i) => (coordinated ? name : `${name}-tab${i}`)),
  );
  await holdToken(pages);
  const tab = pages[0];
  const afterToken = async (count) => {
    await tab.waitForFunction((c) => window.__tokens.length >= c, count, { timeout: 60_000 });
    return (await api('/api/stats')).byKey.default ?? 0;
  };
  const seen = await tab.evaluate(() => window.__tokens.length);
  const start = await afterToken(seen + 1);
  const end = await afterToken(seen + 1 + LIFETIMES);
  await closeAll(context);
  return (end - start) / LIFETIMES;
}

/** Requests caused by opening 10 more tabs into a warm group of 10 (60 s tokens: no refresh meanwhile). */
async function warmOpen(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const names = Array(10).fill(uniqueName('warm'));
  await holdToken(await openTabs(context, names));
  const before = (await api('/api/stats')).requests;
  await holdToken(await openTabs(context, names));
  const after = (await api('/api/stats')).requests;
  await closeAll(context);
  return after - before;
}

/** ns per call of a hit, over 1,000,000 calls, beside a bare Map.get. */
async function hitCost(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const [page] = await openTabs(context, [uniqueName('hit')]);
  await holdToken([page]);
  const result = await page.evaluate(() => {
    const N = 1_000_000;
    const cache = window.tokenCache;
    const map = new Map([['default', 'x']]);
    const time = (fn) => {
      fn(10_000); // warm-up
      const t0 = performance.now();
      fn(N);
      return ((performance.now() - t0) * 1e6) / N;
    };
    let sink = 0;
    const out = { getToken: [], peekToken: [], mapGet: [] };
    for (let r = 0; r < 5; r++) {
      out.mapGet.push(
        time((n) => {
          for (let i = 0; i < n; i++) sink += map.get('default').length;
        }),
      );
      out.peekToken.push(
        time((n) => {
          for (let i = 0; i < n; i++) sink += cache.peekToken('default').length;
        }),
      );
      out.getToken.push(
        time((n) => {
          for (let i = 0; i < n; i++) cache.getToken('default');
        }),
      );
    }
    return { ...out, sink };
  });
  await closeAll(context);
  return result;
}

/** From the leader holding a new token to each of 20 followers holding it, on one clock. */
async function broadcastLatency(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const pages = await openTabs(context, Array(21).fill(uniqueName('bc')));
  await holdToken(pages);
  const roles = await Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache.isLeader)));
  const leader = pages[roles.indexOf(true)];
  const followers = pages.filter((p) => p !== leader);
  // Only the tokens of this measurement: not the first one, which some tabs got on opening.
  for (const p of pages) await p.evaluate(() => window.__tokens.splice(0));
  for (let i = 0; i < 20; i++) {
    await leader.evaluate(() => window.tokenCache.getToken('default', { forceRefresh: true }));
    await sleep(100);
  }
  const sent = new Map(await leader.evaluate(() => window.__tokens));
  const latencies = [];
  for (const f of followers) {
    for (const [token, at] of await f.evaluate(() => window.__tokens)) {
      if (sent.has(token)) latencies.push(at - sent.get(token));
    }
  }
  await closeAll(context);
  return latencies;
}

/** Until another tab reports leader, after the leader is closed or crashed. */
async function takeover(browser, how) {
  const times = [];
  for (let trial = 0; trial < 10; trial++) {
    const context = await browser.newContext();
    const name = uniqueName(`to-${how}-`);
    const pages = await openTabs(context, [name, name, name]);
    await pages[0].waitForFunction(() => window.tokenCache.isLeader);
    const followers = pages.slice(1);
    const cdp = how === 'crash' ? await context.newCDPSession(pages[0]) : undefined;
    const t0 = Date.now();
    if (cdp) cdp.send('Page.crash').catch(() => {});
    else await pages[0].close();
    let at = 0;
    for (let i = 0; i < 1_000 && !at; i++) {
      for (const f of followers) at = at || (await f.evaluate(() => window.__leaderAt));
      if (!at) await sleep(5);
    }
    if (!at) throw new Error(`no tab took over after the leader was ${how}d`);
    times.push(at - t0);
    await context.close();
  }
  return times;
}

function report({ started, version, table1, warm, hits, latencies, close, crash, sizes }) {
  const rows = [];
  const push = (...lines) => rows.push(...lines);
  push('# Benchmark results', '');
  push(`- date: ${new Date().toISOString()}`);
  push(
    `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, Chromium ${version}`,
  );
  push(
    `- command: \`npm run bench\` (${REPEATS} repeats; took ${Math.round((Date.now() - started) / 1000)} s)`,
  );
  push(
    `- settings: token ttl ${TTL} s (usable ${TTL - 1} s), poll ${POLL} ms, leeway ${LEEWAY} s, cutoff ${CUTOFF} s. Tabs are \`playground/bench.html\`: the playground's cache, options and verifyToken (ES256 signature against the JWKS), getToken once a second, no dashboard.`,
    '',
  );
  push('## 1. Token requests per token lifetime', '');
  push(
    `Server requests while the first tab went through ${LIFETIMES} token lifetimes (from just after one new token to just after the ${LIFETIMES}th next), divided by ${LIFETIMES}. Median (min, max) over ${REPEATS} runs.`,
    '',
  );
  push(
    '| tabs | coordinated (one name) | each tab its own cache (distinct names) | ratio (baseline / coordinated) |',
  );
  push('|---|---|---|---|');
  for (const { n, coord, base } of table1) {
    push(`| ${n} | ${summary(coord)} | ${summary(base)} | ${(median(base) / median(coord)).toFixed(1)}x |`);
  }
  push('', `Opening 10 more tabs into a warm group of 10: ${summary(warm, 0)} token requests.`, '');
  push('## 2. Cost of a hit inside Chromium (ns per call, 1,000,000 calls, 5 runs)', '');
  push('| call | ns per call |', '|---|---|');
  push(`| \`getToken()\` (fresh token; returns a resolved promise) | ${summary(hits.getToken, 0)} |`);
  push(`| \`peekToken()\` | ${summary(hits.peekToken, 0)} |`);
  push(`| bare \`Map.get\` (the floor) | ${summary(hits.mapGet, 0)} |`, '');
  push('## 3. Broadcast delivery latency, leader to 20 followers', '');
  push(
    `From the leader's \`token\` event to each follower's (after the follower's verifyToken), on one clock (\`performance.timeOrigin + performance.now()\`): ${latencies.length} deliveries of 20 tokens.`,
    '',
  );
  push('| p50 | p99 | max |', '|---|---|---|');
  push(
    `| ${pct(latencies, 50).toFixed(2)} ms | ${pct(latencies, 99).toFixed(2)} ms | ${Math.max(...latencies).toFixed(2)} ms |`,
    '',
  );
  push('## 4. Leader takeover (3 tabs, 10 trials each)', '');
  push("From the moment the leader is closed or crashed to another tab's `leader` event.", '');
  push('| how the leader went | p50 | max |', '|---|---|---|');
  push(
    `| closed (\`page.close()\`) | ${median(close).toFixed(0)} ms | ${Math.max(...close).toFixed(0)} ms |`,
  );
  push(
    `| crashed (CDP \`Page.crash\`) | ${median(crash).toFixed(0)} ms | ${Math.max(...crash).toFixed(0)} ms |`,
    '',
  );
  push('## 5. Bundle size (browser build, minified; gzip level 9)', '');
  push('| bundle | minified | gzipped |', '|---|---|---|');
  for (const s of sizes) push(`| ${s.what} | ${s.min} B | ${s.gzip} B |`);
  push(
    '',
    `Goal: ${GOAL_BYTES} B gzipped for the library with its dependencies (${sizes[0].gzip > GOAL_BYTES ? 'not met' : 'met'}); CI fails above ${BUDGET_BYTES} B, a guard against growth.`,
    '',
  );
  return `${rows.join('\n')}\n`;
}

async function main() {
  const started = Date.now();
  process.env.PLAYGROUND_NO_WATCH = '1'; // an edit to src/ during the run must not reload the tabs
  const server = await createServer({
    configFile: 'playground/vite.config.ts',
    server: { port: PORT, strictPort: true },
    logLevel: 'error',
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath, args: ARGS });
  try {
    const table1 = [];
    for (const n of [1, 10, 50]) {
      const coord = [];
      const base = [];
      for (let r = 0; r < REPEATS; r++) {
        coord.push(await requestsPerLifetime(browser, n, true));
        base.push(await requestsPerLifetime(browser, n, false));
      }
      table1.push({ n, coord, base });
      console.log(
        `${n} tabs, requests per lifetime: coordinated ${coord.join(', ')}; each for itself ${base.join(', ')}`,
      );
    }
    const warm = [];
    for (let r = 0; r < REPEATS; r++) warm.push(await warmOpen(browser));
    console.log(`opening 10 tabs into a warm group: ${warm.join(', ')} requests`);
    const hits = await hitCost(browser);
    console.log(`getToken hit: ${summary(hits.getToken, 0)} ns`);
    const latencies = await broadcastLatency(browser);
    console.log(
      `broadcast: p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms`,
    );
    const close = await takeover(browser, 'close');
    const crash = await takeover(browser, 'crash');
    console.log(`takeover: close ${median(close)} ms, crash ${median(crash)} ms`);
    const sizes = await measureSizes();
    const text = report({
      started,
      version: browser.version(),
      table1,
      warm,
      hits,
      latencies,
      close,
      crash,
      sizes,
    });
    writeFileSync(new URL('./RESULTS.md', import.meta.url), text);
    console.log(`\n${text}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
