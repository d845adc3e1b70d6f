// `npm run bench`: measures the claims side by side in real Chromium, against the playground.
// Prints a table and writes it to bench/RESULTS.md. Every figure is a median over repeated runs
// with min and max beside it.
//
// `node bench/run.mjs --only wakeups,idle` runs only the named rows (ids: requests, hits, broadcast,
// takeover, size, wakeups, idle, rotation, bfcache, hung-leader), prints them, and replaces only their
// sections in bench/RESULTS.md (each such section says it was measured alone, when and how).
//
// The back/forward-cache row (bfcache) cannot use the dev server (its HMR WebSocket alone keeps a
// page out of that cache): it builds the playground into a temporary directory of its own (not
// dist-playground/, which the e2e suite builds and serves), serves it with `vite preview` (which
// mounts the same token server) on a port of its own, and launches Chromium without Playwright's
// --disable-back-forward-cache, as e2e/back-forward-cache.spec.ts does.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { build, createServer, preview } from 'vite';
import { CHROMIUM_ARGS } from '../e2e/chromium.mjs';
import * as timing from '../e2e/timing.mjs';
import * as hungLeader from './rows/hung-leader.mjs';
import { BUDGET_BYTES, GOAL_BYTES, measureSizes } from './size.mjs';

const PORT = Number(process.env.BENCH_PORT) || 5290;
const BASE = `http://localhost:${PORT}`;
// The fast timing the e2e scenarios run with too: poll 500 ms, leeway 1.5 s, cutoff 0.5 s, and
// tokens of 5 s (usable 4 s: a token is stale 2.5 s after its fetch began, refreshed at the next poll).
const { POLL_MS: POLL, LEEWAY_S: LEEWAY, CUTOFF_S: CUTOFF, SHORT_TTL_S: TTL } = timing;
const LIFETIMES = 6; // token lifetimes counted in each run of table 1
const REPEATS = Number(process.env.BENCH_REPEATS) || 3;
const WAKEUP_SECONDS = Number(process.env.BENCH_WAKEUP_SECONDS) || 60; // counting window of table 6
const IDLE_SECONDS = 3; // idleTimeoutSeconds of table 7
const IDLE_TIMEOUTS = 10; // table 7 counts over this many idle timeouts
// Table 9 (bfcache): its own server and browser, default options (poll 5 s, leeway 15 s, cutoff 5 s).
const BFCACHE_PORT = Number(process.env.BENCH_BFCACHE_PORT) || 5392;
const BFCACHE_BASE = `http://localhost:${BFCACHE_PORT}`;
const BFCACHE_POLL = 5_000;
const BFCACHE_TRIPS = Number(process.env.BENCH_BFCACHE_TRIPS) || 5; // round trips per role
const BFCACHE_AWAY_MS = 6_000; // longer than one poll
const BFCACHE_SETTLE_MS = 1_000; // after the token is held again: one getToken of bench.ts, and any fetch
const BFCACHE_TTL = 600; // no refresh falls due during the row: any request counted is the trips'
// Table 8 (rotation): refresh-token rotation on, 10 tabs coordinated against uncoordinated.
const ROTATION_TTL = 6; // usable 5 s: a tab refreshes about every 3 s (leeway 2 s, poll 0.5 s)
const ROTATION_POLL = 500;
const ROTATION_LEEWAY = 2;
const ROTATION_CUTOFF = 0.5;
const ROTATION_TABS = 10;
// One run per mode (coordinated, uncoordinated) for each server latency, each counted over `seconds`.
const ROTATION_RUNS = [
  { latencyMs: 0, seconds: Number(process.env.BENCH_ROTATION_SECONDS) || 45 },
  { latencyMs: 100, seconds: Number(process.env.BENCH_ROTATION_LATENCY_SECONDS) || 30 },
];
const ROTATION_STATS_POLL_MS = 50; // how often /api/stats is read for a new reuse
// After a reuse is seen, wait the latency and this much more before signing in again, so that no
// answer still in flight sets a cookie of the revoked family over the new session's.
const ROTATION_SIGN_IN_DELAY_MS = 250;
const ROWS = ['requests', 'hits', 'broadcast', 'takeover', 'size', 'wakeups', 'idle', 'rotation', 'bfcache'];
// Rows that need the playground's dev server (size builds the library; bfcache serves a build).
const DEV_SERVER_ROWS = ['requests', 'hits', 'broadcast', 'takeover', 'wakeups', 'idle', 'rotation'];
// Rows that are modules of their own (bench/rows/), on the dev server too.
ROWS.push(hungLeader.ROW);
DEV_SERVER_ROWS.push(hungLeader.ROW);
const only = onlyRows(process.argv.slice(2));
const executablePath =
  process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const ARGS = CHROMIUM_ARGS;

/** The library measured: the commit, and whether src/ has uncommitted changes (BENCH_LIBRARY overrides). */
function libraryRevision() {
  if (process.env.BENCH_LIBRARY) return process.env.BENCH_LIBRARY;
  const git = (...args) =>
    execFileSync('git', args, {
      cwd: new URL('..', import.meta.url),
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

/** `--only a,b` or `--only=a,b`: the rows to run, or undefined for all of them. */
function onlyRows(argv) {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return undefined;
  const list = argv[i].startsWith('--only=') ? argv[i].slice('--only='.length) : argv[i + 1];
  const rows = (list ?? '').split(',').filter(Boolean);
  const unknown = rows.filter((r) => !ROWS.includes(r));
  if (rows.length === 0 || unknown.length > 0) {
    console.error(`--only takes a comma-separated list of: ${ROWS.join(', ')}`);
    process.exit(2);
  }
  return new Set(rows);
}
const runs = (row) => !only || only.has(row);

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

async function api(path, body, base = BASE) {
  const res = await fetch(`${base}${path}`, {
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

/**
 * Installed before any script of the page (context.addInitScript): counts in `window.__wakeups`
 * the tasks in which the library's code runs. A wake-up is a timer callback that fires (setTimeout,
 * setInterval), a `message` event delivered to a BroadcastChannel, or a message a Worker (or a
 * MessagePort) posts to the page; an event reaching several listeners counts once. Granted Web
 * Locks are counted apart (`locks`). A timer counts as the library's when a frame of the library
 * (`libraryPath`, its sources as the dev server serves them) or of a dependency (/node_modules/)
 * is on the stack that set it; the other timers (idle.ts's once-a-second read, Vite's client) are
 * counted apart in `otherTimers`. The pages create no BroadcastChannel, Worker, MessagePort or Web
 * Lock of their own: every one is the library's.
 */
function countWakeups(libraryPath) {
  const counts = { timers: 0, channel: 0, worker: 0, locks: 0, otherTimers: 0 };
  Object.defineProperty(window, '__wakeups', { value: counts });
  const isLibrary = (stack) => stack.includes(libraryPath) || /\/node_modules\/(?!vite\/)/.test(stack);
  const setByLibrary = () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 200;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    return isLibrary(stack);
  };
  for (const name of ['setTimeout', 'setInterval']) {
    const original = window[name];
    window[name] = (callback, ...rest) => {
      if (typeof callback !== 'function') return original.call(window, callback, ...rest);
      const field = setByLibrary() ? 'timers' : 'otherTimers';
      return original.call(
        window,
        function (...args) {
          counts[field]++;
          return callback.apply(this, args);
        },
        ...rest,
      );
    };
  }
  const counted = new WeakSet();
  const patch = (Target, field) => {
    const proto = Target.prototype;
    const count = (event) => {
      if (counted.has(event)) return;
      counted.add(event);
      counts[field]++;
    };
    const wrappers = new WeakMap();
    const wrap = (listener) => {
      if (!wrappers.has(listener)) {
        wrappers.set(
          listener,
          typeof listener === 'function'
            ? function (event) {
                count(event);
                return listener.call(this, event);
              }
            : {
                handleEvent(event) {
                  count(event);
                  return listener.handleEvent(event);
                },
              },
        );
      }
      return wrappers.get(listener);
    };
    const { addEventListener: add, removeEventListener: remove } = EventTarget.prototype;
    Object.defineProperty(proto, 'addEventListener', {
      configurable: true,
      writable: true,
      value(type, listener, options) {
        return add.call(this, type, type === 'message' && listener ? wrap(listener) : listener, options);
      },
    });
    Object.defineProperty(proto, 'removeEventListener', {
      configurable: true,
      writable: true,
      value(type, listener, options) {
        const wrapped = type === 'message' && listener ? wrappers.get(listener) : undefined;
        return remove.call(this, type, wrapped ?? listener, options);
      },
    });
    const handler = Object.getOwnPropertyDescriptor(proto, 'onmessage');
    const raw = new WeakMap();
    Object.defineProperty(proto, 'onmessage', {
      configurable: true,
      enumerable: true,
      get() {
        return raw.has(this) ? raw.get(this) : handler.get.call(this);
      },
      set(fn) {
        raw.set(this, fn);
        handler.set.call(
          this,
          typeof fn === 'function'
            ? function (event) {
                count(event);
                return fn.call(this, event);
              }
            : fn,
        );
      },
    });
  };
  if (typeof BroadcastChannel === 'function') patch(BroadcastChannel, 'channel');
  if (typeof Worker === 'function') patch(Worker, 'worker');
  if (typeof MessagePort === 'function') patch(MessagePort, 'worker');
  // A granted Web Lock runs its callback in a task of its own.
  if (typeof LockManager === 'function') {
    const request = LockManager.prototype.request;
    LockManager.prototype.request = function (...args) {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = function (...rest) {
          counts.locks++;
          return callback.apply(this, rest);
        };
      }
      return request.apply(this, args);
    };
  }
}

// The library's sources as the dev server serves them (outside the playground's root: /@fs/...).
const LIBRARY_PATH = `/@fs${new URL('../src/', import.meta.url).pathname}`;

/** An idle.html tab: resolves once its first getToken settled, or to the createTokenCache error. */
async function openIdleTab(context, pageUrl) {
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.firstRead !== undefined || window.tokenCacheError !== undefined, {
    timeout: 30_000,
  });
  const { firstRead, error } = await page.evaluate(() => ({
    firstRead: window.firstRead,
    error: window.tokenCacheError,
  }));
  if (error === undefined && firstRead !== 'ok') throw new Error(`first getToken failed: ${firstRead}`);
  return { page, error };
}

/**
 * Table 6: wake-ups per minute of an idle follower and of the leader, default options (poll 5 s)
 * and 60 s tokens. One group of three idle.html tabs: the leader's page reads once a second, so
 * the token stays in use and the leader refreshes and broadcasts it (its page's read timer is not
 * counted, see countWakeups); the two followers read once at start and never again. Counted over
 * WAKEUP_SECONDS after the group settled.
 */
async function wakeups(browser) {
  await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  await context.addInitScript(countWakeups, LIBRARY_PATH);
  const name = uniqueName('wake');
  const key = `${name}-key`;
  const pageUrl = (extra) => `${BASE}/idle.html?name=${name}&key=${key}${extra}`;
  const opened = [await openIdleTab(context, pageUrl('&read=1'))];
  const failed = opened[0].error;
  if (failed) throw new Error(`idle.html could not create the cache: ${failed}`);
  const leader = opened[0].page;
  await leader.waitForFunction(() => window.tokenCache.isLeader, undefined, { timeout: 15_000 });
  for (let i = 0; i < 2; i++) opened.push(await openIdleTab(context, pageUrl('')));
  const tabs = opened.map((o) => o.page);
  await sleep(5_000); // settled: the followers' first exchanges are over
  const snapshot = () =>
    Promise.all(
      tabs.map((p) =>
        p.evaluate(() => ({
          ...window.__wakeups,
          isLeader: window.tokenCache.isLeader,
          received: window.tokenCache.stats().broadcastsReceived,
          at: performance.now(),
        })),
      ),
    );
  const requestsOf = async () => (await api('/api/stats')).byKey[key] ?? 0;
  const before = await snapshot();
  const requestsBefore = await requestsOf();
  await sleep(WAKEUP_SECONDS * 1000);
  const after = await snapshot();
  const requests = (await requestsOf()) - requestsBefore;
  await closeAll(context);
  const roles = [before, after].map((s) => s.map((t) => t.isLeader).join());
  if (roles[0] !== 'true,false,false' || roles[1] !== roles[0]) {
    throw new Error(`leadership was not the reading tab's throughout: ${roles.join(' -> ')}`);
  }
  const result = tabs.map((_, i) => {
    const [b, a] = [before[i], after[i]];
    const perMinute = (field) => ((a[field] - b[field]) * 60_000) / (a.at - b.at);
    return {
      role: i === 0 ? 'leader (its page reads once a second)' : `idle follower ${i}`,
      total: perMinute('timers') + perMinute('channel') + perMinute('worker'),
      timers: perMinute('timers'),
      channel: perMinute('channel'),
      worker: perMinute('worker'),
      locks: perMinute('locks'),
      other: perMinute('otherTimers'),
      received: perMinute('received'),
    };
  });
  return { tabs: result, requests: (requests * 60) / WAKEUP_SECONDS };
}

/**
 * Table 7: token requests of an idle group. Three idle.html tabs (poll 500 ms, leeway 1.5 s,
 * cutoff 0.5 s, 5 s tokens) read once at start and never again; the token server's requests for
 * their key are counted from before the first tab opened until IDLE_TIMEOUTS idle timeouts after
 * the last tab's read. With `idle`, one follower then reads once: the requests that read cost.
 * Without `idle` (the library's default), the same group for comparison. Resolves to
 * `{ unsupported }` when the page cannot create a cache with these options.
 */
async function idleGroup(browser, idle) {
  await api('/api/control', { ttlSeconds: TTL, latencyMs: 0, mode: 'ok' });
  const context = await browser.newContext();
  const name = uniqueName('idle');
  const key = `${name}-key`;
  const idleParam = idle === undefined ? '' : `&idle=${idle}`;
  const pageUrl = `${BASE}/idle.html?poll=${POLL}&leeway=${LEEWAY}&cutoff=${CUTOFF}${idleParam}&name=${name}&key=${key}`;
  const requestsOf = async () => (await api('/api/stats')).byKey[key] ?? 0;
  const tabs = [];
  for (let i = 0; i < 3; i++) {
    const { page, error } = await openIdleTab(context, pageUrl);
    if (error !== undefined) {
      await context.close();
      if (/idleTimeoutSeconds/.test(error)) return { unsupported: error };
      throw new Error(`idle.html could not create the cache: ${error}`);
    }
    tabs.push(page);
  }
  const t0 = Date.now(); // every tab has read once; nobody reads from here on
  const windowMs = IDLE_TIMEOUTS * IDLE_SECONDS * 1000;
  let total = await requestsOf();
  let lastAt = 0; // ms after t0 by which the last request of the window had arrived
  while (Date.now() - t0 < windowMs) {
    await sleep(250);
    const n = await requestsOf();
    if (n !== total) lastAt = Date.now() - t0;
    total = n;
  }
  let read;
  if (idle !== undefined) {
    const roles = await Promise.all(tabs.map((p) => p.evaluate(() => window.tokenCache.isLeader)));
    const reader = tabs[Math.max(0, roles.indexOf(false))];
    const before = await requestsOf();
    const outcome = await reader.evaluate(
      (k) =>
        window.tokenCache.getToken(k).then(
          () => 'ok',
          (e) => String(e),
        ),
      key,
    );
    if (outcome !== 'ok') throw new Error(`the read after the idle window failed: ${outcome}`);
    await sleep(1_000); // any other tab's fetch for the same read would have arrived by now
    read = (await requestsOf()) - before;
  }
  await closeAll(context);
  return { total, lastAt, read };
}

// ---------------------------------------------------------------------------------------------
// Table 8: refresh-token reuse with rotation on, coordinated against uncoordinated tabs (SPEC 3)

/** Sign in: a new refresh-token family, as the httpOnly cookie `rt` of the browser context. */
async function signIn(context) {
  const res = await context.request.post(`${BASE}/api/session`);
  if (!res.ok()) throw new Error(`POST /api/session answered ${res.status()}`);
}

/**
 * A bench.html tab with the row's options (`exclusive=1` when coordinated). Besides bench.html's
 * getToken once a second, it calls /api/protected once a second through `tokens.fetch`, as the
 * playground page does, and counts the outcomes in `window.__calls`.
 */
async function openRotationTab(context, name, coordinated) {
  const page = await context.newPage();
  const exclusive = coordinated ? '&exclusive=1' : '';
  await page.goto(
    `${BASE}/bench.html?poll=${ROTATION_POLL}&leeway=${ROTATION_LEEWAY}&cutoff=${ROTATION_CUTOFF}${exclusive}&name=${name}`,
  );
  await page.waitForFunction(() => window.tokenCache !== undefined);
  await page.evaluate(() => {
    const calls = { made: 0, ok: 0, refused: 0, noToken: 0 };
    window.__calls = calls;
    setInterval(() => {
      calls.made++;
      window.tokenCache.fetch('/api/protected').then(
        (res) => {
          if (res.ok) calls.ok++;
          else calls.refused++;
        },
        () => {
          calls.noToken++;
        },
      );
    }, 1_000);
  });
  return page;
}

/**
 * From the sign-in on: reads /api/stats every ROTATION_STATS_POLL_MS; when reuseDetected has grown
 * (the family is revoked: every tab is signed out), records when (ms after `t0`), waits the latency
 * and ROTATION_SIGN_IN_DELAY_MS, and signs in again, as the user would have to. Set `stop` and
 * await `done` to end it.
 */
function watchReuse(context, latencyMs, baseline, t0) {
  const watch = { stop: false, detections: [], signIns: 0 };
  watch.done = (async () => {
    let seen = baseline;
    while (!watch.stop) {
      const { reuseDetected } = await api('/api/stats');
      if (reuseDetected > seen) {
        const at = Date.now() - t0;
        for (let i = seen; i < reuseDetected; i++) watch.detections.push(at);
        seen = reuseDetected;
        await sleep(latencyMs + ROTATION_SIGN_IN_DELAY_MS);
        await signIn(context);
        watch.signIns++;
      } else {
        await sleep(ROTATION_STATS_POLL_MS);
      }
    }
  })();
  watch.done.catch(() => {}); // a failure is thrown where `done` is awaited, not as an unhandled rejection
  return watch;
}

/**
 * One run of table 8: ROTATION_TABS tabs, coordinated (one name, exclusiveFetch) or not (each its
 * own name), one shared cookie jar signed in once before the first tab opens; counted over
 * `seconds` from the moment the last tab is open.
 */
async function rotationRun(browser, { coordinated, latencyMs, seconds }) {
  await api('/api/control', { ttlSeconds: ROTATION_TTL, latencyMs, mode: 'ok', rotation: true });
  const context = await browser.newContext();
  const name = uniqueName(coordinated ? 'rot' : 'rotx');
  const baseline = (await api('/api/stats')).reuseDetected;
  await signIn(context);
  const t0 = Date.now();
  const watch = watchReuse(context, latencyMs, baseline, t0);
  try {
    const pages = [];
    for (let i = 0; i < ROTATION_TABS; i++) {
      pages.push(await openRotationTab(context, coordinated ? name : `${name}-tab${i}`, coordinated));
    }
    const snapshot = async () => {
      const at = Date.now();
      const { requests, reuseDetected, rejected } = await api('/api/stats');
      const tabs = await Promise.all(
        pages.map((p) =>
          p.evaluate(() => ({ ...window.__calls, fetchErrors: window.tokenCache.stats().fetchErrors })),
        ),
      );
      const sum = (f) => tabs.reduce((a, t) => a + f(t), 0);
      return {
        at,
        requests,
        reuseDetected,
        rejected,
        made: sum((t) => t.made),
        failed: sum((t) => t.refused + t.noToken),
        fetchErrors: sum((t) => t.fetchErrors),
      };
    };
    const before = await snapshot();
    await sleep(seconds * 1000);
    const after = await snapshot();
    watch.stop = true;
    await watch.done;
    const windowMs = after.at - before.at;
    const reuse = after.reuseDetected - before.reuseDetected;
    const inWindow = watch.detections.filter((at) => at >= before.at - t0 && at <= after.at - t0);
    const gaps = inWindow.slice(1).map((at, i) => at - inWindow[i]);
    return {
      coordinated,
      latencyMs,
      tabs: ROTATION_TABS,
      openMs: before.at - t0,
      windowMs,
      requests: after.requests - before.requests,
      reuse,
      reuseTotal: after.reuseDetected - baseline,
      firstReuseMs: watch.detections[0],
      perMinute: (reuse * 60_000) / windowMs,
      medianGapMs: gaps.length ? median(gaps) : undefined,
      signIns: watch.signIns,
      made: after.made - before.made,
      failed: after.failed - before.failed,
      rejected: after.rejected - before.rejected,
      fetchErrors: after.fetchErrors - before.fetchErrors,
    };
  } finally {
    watch.stop = true;
    await watch.done.catch(() => {});
    await closeAll(context);
  }
}

/** Table 8: every run of ROTATION_RUNS, coordinated then uncoordinated; rotation is off afterwards. */
async function rotationRows(browser) {
  const results = [];
  try {
    for (const { latencyMs, seconds } of ROTATION_RUNS) {
      for (const coordinated of [true, false]) {
        const r = await rotationRun(browser, { coordinated, latencyMs, seconds });
        results.push(r);
        console.log(
          `rotation, ${coordinated ? 'coordinated' : 'uncoordinated'}, latency ${latencyMs} ms: ${r.requests} token requests in ${(r.windowMs / 1000).toFixed(1)} s, reuse detected ${r.reuse}, first reuse ${r.firstReuseMs === undefined ? 'none' : `after ${r.firstReuseMs} ms`}, ${r.perMinute.toFixed(1)} sign-outs per minute`,
        );
      }
    }
  } finally {
    await api('/api/control', { ttlSeconds: 60, latencyMs: 0, mode: 'ok', rotation: false });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Table 9: back/forward-cache restores of a leader and a follower (R22)

/**
 * An init script (before any script of the page): records each `pageshow` of the document with
 * its `persisted` and when it fired (Date.now(), the clock the bench reads around goBack). The
 * bench empties the list before each trip, so after Back it holds that trip's pageshow: the
 * restore (persisted) in the same document, or the load of a new document.
 */
function recordPageshows() {
  const shows = [];
  Object.defineProperty(window, '__pageshows', { value: shows });
  window.addEventListener('pageshow', (event) => shows.push({ persisted: event.persisted, at: Date.now() }));
}

/**
 * Records the tab's `token` events in `window.__tokenEvents`, on the pageshow clock; the recorder
 * survives a trip through the cache (same document), and is installed once per document.
 */
function recordTokenEvents() {
  if (window.__tokenEvents) return;
  window.__tokenEvents = [];
  window.tokenCache.on('token', (e) => window.__tokenEvents.push({ source: e.source, at: Date.now() }));
}

/** Builds the playground into a temporary directory and serves it with `vite preview`. */
async function startBuiltPlayground() {
  const outDir = mkdtempSync(join(tmpdir(), 'tab-token-cache-bench-'));
  const configFile = 'playground/vite.config.ts';
  try {
    const t0 = Date.now();
    await build({ configFile, build: { outDir, emptyOutDir: true }, logLevel: 'warn' });
    const buildMs = Date.now() - t0;
    const server = await preview({
      configFile,
      build: { outDir },
      preview: { port: BFCACHE_PORT, strictPort: true },
      logLevel: 'error',
    });
    const close = async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    };
    return { buildMs, close };
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Three /bench.html tabs of one group in one context (default options, poll 5 s), settled on one
 * leader and one shared token; then BFCACHE_TRIPS round trips for the tab that leads at the time
 * and as many for a follower, alternating. A trip: /away.html, stay BFCACHE_AWAY_MS, goBack. For
 * each: restored or not (the trip's pageshow has `persisted` and Chromium sent no
 * Page.backForwardCacheNotUsed) with Chromium's reasons, goBack → pageshow, pageshow → the tab's
 * next `token` event (the group's snapshot), the group's token requests from just before leaving
 * to BFCACHE_SETTLE_MS after the tab held a token again, and the number of leaders while away and
 * after the return.
 */
async function bfcacheTrips() {
  const playground = await startBuiltPlayground();
  const browser = await chromium.launch({
    executablePath,
    args: ARGS,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  try {
    const bfApi = (path, body) => api(path, body, BFCACHE_BASE);
    await bfApi('/api/stats/reset', {});
    await bfApi('/api/control', { ttlSeconds: BFCACHE_TTL, latencyMs: 0, mode: 'ok' });
    const requests = async () => (await bfApi('/api/stats')).requests;
    const context = await browser.newContext();
    await context.addInitScript(recordPageshows);
    const name = uniqueName(`bf${Date.now().toString(36)}-`);
    const pages = [];
    const notRestored = new Map(); // page -> Chromium's reasons since the trip began
    for (let i = 0; i < 3; i++) {
      const page = await context.newPage();
      const reasons = [];
      const cdp = await context.newCDPSession(page);
      cdp.on('Page.backForwardCacheNotUsed', (event) => {
        for (const { type, reason, context: detail } of event.notRestoredExplanations) {
          reasons.push(`${reason} (${type}${detail ? `: ${detail}` : ''})`);
        }
      });
      await cdp.send('Page.enable');
      notRestored.set(page, reasons);
      await page.goto(`${BFCACHE_BASE}/bench.html?poll=${BFCACHE_POLL}&name=${name}`);
      await page.waitForFunction(() => window.tokenCache !== undefined);
      await page.evaluate(recordTokenEvents);
      pages.push(page);
    }
    const leaderFlags = () =>
      Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache?.isLeader === true)));
    const heldTokens = () => Promise.all(pages.map((p) => p.evaluate(() => window.tokenCache?.peekToken())));
    const settled = async () => {
      const [flags, tokens] = [await leaderFlags(), await heldTokens()];
      return flags.filter(Boolean).length === 1 && tokens[0] !== null && tokens.every((t) => t === tokens[0]);
    };
    const deadline = Date.now() + 20_000;
    while (!(await settled())) {
      if (Date.now() > deadline) throw new Error('the three tabs did not settle on one leader and one token');
      await sleep(100);
    }
    const setupRequests = await requests();

    const trips = [];
    for (let i = 0; i < 2 * BFCACHE_TRIPS; i++) {
      const role = i % 2 === 0 ? 'leader' : 'follower';
      const flags = await leaderFlags();
      if (flags.filter(Boolean).length !== 1) throw new Error(`before trip ${i + 1}: leaders ${flags}`);
      const leaderIndex = flags.indexOf(true);
      // The follower: the first tab that does not lead (a different tab from the leader).
      const index = role === 'leader' ? leaderIndex : flags.indexOf(false);
      const page = pages[index];
      const others = pages.filter((p) => p !== page);
      const reasons = notRestored.get(page);
      reasons.length = 0;
      await page.evaluate(recordTokenEvents); // again: a tab that was not restored is a new document
      await page.evaluate(() => {
        window.__pageshows.length = 0;
        window.__tokenEvents.length = 0;
      });
      const before = await requests();
      await page.goto(`${BFCACHE_BASE}/away.html`);
      const left = Date.now();
      await sleep(Math.max(0, BFCACHE_AWAY_MS - (Date.now() - left) - 300));
      const leadersAway = (
        await Promise.all(others.map((p) => p.evaluate(() => window.tokenCache.isLeader)))
      ).filter(Boolean).length;
      await sleep(Math.max(0, BFCACHE_AWAY_MS - (Date.now() - left)));
      const backAt = Date.now();
      // A page restored from the cache fires no `load`: wait for the commit only.
      await page.goBack({ waitUntil: 'commit' });
      await page.waitForFunction(() => (window.__pageshows?.length ?? 0) > 0, undefined, {
        timeout: 10_000,
        polling: 5,
      });
      const [show] = await page.evaluate(() => window.__pageshows);
      // Held again: its first `token` event after the restore (a reloaded page has no recorder).
      await page.waitForFunction(
        () => (window.__tokenEvents?.length ?? 0) > 0 || window.tokenCache?.peekToken() != null,
        undefined,
        { timeout: 10_000, polling: 5 },
      );
      const tokenEvent = await page.evaluate(() => window.__tokenEvents?.[0]);
      await sleep(BFCACHE_SETTLE_MS);
      const after = await requests();
      const leadersAfter = (await leaderFlags()).filter(Boolean).length;
      const tokens = await heldTokens();
      const trip = {
        trip: i + 1,
        role,
        tab: index + 1,
        restored: show.persisted && reasons.length === 0,
        reasons: [...reasons],
        restoreMs: show.at - backAt,
        tokenMs: tokenEvent ? tokenEvent.at - show.at : undefined,
        tokenSource: tokenEvent?.source,
        requests: after - before,
        leadersAway,
        leadersAfter,
        shared: tokens[0] !== null && tokens.every((t) => t === tokens[0]),
      };
      trips.push(trip);
      console.log(
        `bfcache trip ${trip.trip} (${role}, tab ${trip.tab}): ${trip.restored ? 'restored' : 'NOT restored'} in ${trip.restoreMs} ms, token after ${trip.tokenMs ?? '?'} ms (${trip.tokenSource ?? '?'}), ${trip.requests} requests, leaders away ${leadersAway} / after ${leadersAfter}${trip.reasons.length ? `; reasons: ${trip.reasons.join('; ')}` : ''}`,
      );
    }
    await closeAll(context);
    return { trips, setupRequests, buildMs: playground.buildMs };
  } finally {
    await browser.close();
    await playground.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The report: one section per table, each a list of lines starting with its `## N.` heading.

const SECTIONS = {
  requests({ table1, warm }) {
    const out = ['## 1. Token requests per token lifetime', ''];
    out.push(
      `Server requests while the first tab went through ${LIFETIMES} token lifetimes (from just after one new token to just after the ${LIFETIMES}th next), divided by ${LIFETIMES}. Median (min, max) over ${REPEATS} runs.`,
      '',
    );
    out.push(
      '| tabs | coordinated (one name) | each tab its own cache (distinct names) | ratio (baseline / coordinated) |',
    );
    out.push('|---|---|---|---|');
    for (const { n, coord, base } of table1) {
      out.push(
        `| ${n} | ${summary(coord)} | ${summary(base)} | ${(median(base) / median(coord)).toFixed(1)}x |`,
      );
    }
    out.push('', `Opening 10 more tabs into a warm group of 10: ${summary(warm, 0)} token requests.`);
    return out;
  },
  hits({ hits }) {
    const out = ['## 2. Cost of a hit inside Chromium (ns per call, 1,000,000 calls, 5 runs)', ''];
    out.push('| call | ns per call |', '|---|---|');
    out.push(`| \`getToken()\` (fresh token; returns a resolved promise) | ${summary(hits.getToken, 0)} |`);
    out.push(`| \`peekToken()\` | ${summary(hits.peekToken, 0)} |`);
    out.push(`| bare \`Map.get\` (the floor) | ${summary(hits.mapGet, 0)} |`);
    return out;
  },
  broadcast({ latencies }) {
    const out = ['## 3. Broadcast delivery latency, leader to 20 followers', ''];
    out.push(
      `From the leader's \`token\` event to each follower's (after the follower's verifyToken), on one clock (\`performance.timeOrigin + performance.now()\`): ${latencies.length} deliveries of 20 tokens.`,
      '',
    );
    out.push('| p50 | p99 | max |', '|---|---|---|');
    out.push(
      `| ${pct(latencies, 50).toFixed(2)} ms | ${pct(latencies, 99).toFixed(2)} ms | ${Math.max(...latencies).toFixed(2)} ms |`,
    );
    return out;
  },
  takeover({ close, crash }) {
    const out = ['## 4. Leader takeover (3 tabs, 10 trials each)', ''];
    out.push("From the moment the leader is closed or crashed to another tab's `leader` event.", '');
    out.push('| how the leader went | p50 | max |', '|---|---|---|');
    out.push(
      `| closed (\`page.close()\`) | ${median(close).toFixed(0)} ms | ${Math.max(...close).toFixed(0)} ms |`,
    );
    out.push(
      `| crashed (CDP \`Page.crash\`) | ${median(crash).toFixed(0)} ms | ${Math.max(...crash).toFixed(0)} ms |`,
    );
    return out;
  },
  size({ sizes }) {
    const out = ['## 5. Bundle size (browser build, minified; gzip level 9)', ''];
    out.push('| bundle | minified | gzipped |', '|---|---|---|');
    for (const s of sizes) out.push(`| ${s.what} | ${s.min} B | ${s.gzip} B |`);
    out.push(
      '',
      `Goal: ${GOAL_BYTES} B gzipped for the library with its dependencies (${sizes[0].gzip > GOAL_BYTES ? 'not met' : 'met'}); CI fails above ${BUDGET_BYTES} B, a guard against growth.`,
    );
    return out;
  },
  wakeups({ wake }) {
    const out = ['## 6. Wake-ups per minute, idle follower and leader (default options)', ''];
    out.push(
      `Three \`playground/idle.html\` tabs of one group, library defaults (poll 5000 ms, leeway 15 s, cutoff 5 s), token ttl 60 s. The leader's page reads the token once a second, so the token stays in use and is refreshed and broadcast; the two followers read once at start, then never. Counted over ${WAKEUP_SECONDS} s after the group settled, one run. A wake-up is a task in which the library runs: a timer callback it set (setTimeout/setInterval), a \`message\` delivered to its BroadcastChannel, a message its Worker (or a MessagePort) posts; counted by an init script installed before the page's scripts (\`countWakeups\` in bench/run.mjs). Granted Web Locks are shown beside, not in the total: like the fetch's own tasks they are part of a refresh that a poll started. The page's own read timer and Vite's client are not the library's and are shown apart.`,
      '',
    );
    out.push(
      "| tab | wake-ups per minute | timers | channel messages | worker messages | lock grants (not in the total) | `broadcastsReceived` (stats) | timers of the page and of Vite's client (not counted) |",
    );
    out.push('|---|---|---|---|---|---|---|---|');
    const f = (x) => x.toFixed(1);
    for (const t of wake.tabs) {
      out.push(
        `| ${t.role} | **${f(t.total)}** | ${f(t.timers)} | ${f(t.channel)} | ${f(t.worker)} | ${f(t.locks)} | ${f(t.received)} | ${f(t.other)} |`,
      );
    }
    const follower = Math.max(...wake.tabs.slice(1).map((t) => t.total));
    const leader = wake.tabs[0].total;
    out.push(
      '',
      `Token requests to the server meanwhile: ${f(wake.requests)} per minute. Goals: an idle follower at most 2 per minute (${follower <= 2 ? 'met' : 'not met'}: ${f(follower)}), the leader at most 13 (${leader <= 13 ? 'met' : 'not met'}: ${f(leader)}).`,
    );
    return out;
  },
  idle({ idle }) {
    const window = IDLE_TIMEOUTS * IDLE_SECONDS;
    const out = [`## 7. Token requests of an idle group over ${IDLE_TIMEOUTS} idle timeouts`, ''];
    out.push(
      `Three \`playground/idle.html\` tabs of one group, poll ${POLL} ms, leeway ${LEEWAY} s, cutoff ${CUTOFF} s, token ttl ${TTL} s; every tab reads the token once at start, then nobody reads it. Token server requests for the key from before the first tab opened to ${window} s (${IDLE_TIMEOUTS} × ${IDLE_SECONDS} s) after the last tab's read; then one follower reads once. One run each.`,
      '',
    );
    out.push(
      `| options | requests over ${window} s (first fetch included) | last request, after the last read | requests caused by one read afterwards |`,
    );
    out.push('|---|---|---|---|');
    const s = (x) => (x / 1000).toFixed(2);
    const { withIdle, without } = idle;
    if (withIdle.unsupported) {
      out.push(
        `| \`idleTimeoutSeconds: ${IDLE_SECONDS}\` | n/a (library has no idleTimeoutSeconds) | n/a | n/a |`,
      );
    } else {
      out.push(
        `| \`idleTimeoutSeconds: ${IDLE_SECONDS}\` | ${withIdle.total} | ${s(withIdle.lastAt)} s | ${withIdle.read} (expected 1) |`,
      );
    }
    out.push(`| library default (no \`idle\` in the URL) | ${without.total} | ${s(without.lastAt)} s | — |`);
    if (withIdle.unsupported) out.push('', `createTokenCache refused the option: ${withIdle.unsupported}`);
    return out;
  },
  rotation({ rotation }) {
    const out = ['## 8. Refresh-token reuse with rotation on, coordinated against uncoordinated tabs', ''];
    const runs = ROTATION_RUNS.map((r) => `${r.seconds} s at latency ${r.latencyMs} ms`).join(', ');
    out.push(
      `The token server with refresh-token rotation on (SPEC 3: \`POST /api/token\` uses up the \`rt\` cookie and sets the next one; a used one presented again revokes the whole family and counts in \`reuseDetected\`), token ttl ${ROTATION_TTL} s; tabs are \`playground/bench.html\` with poll ${ROTATION_POLL} ms, leeway ${ROTATION_LEEWAY} s, cutoff ${ROTATION_CUTOFF} s (a token is refreshed about every ${ROTATION_TTL - 1 - ROTATION_LEEWAY} s). Each run uses a fresh browser context: the bench signs in once (\`POST /api/session\` through \`context.request\`, which shares the context's cookie jar), so that every tab presents one refresh-token family as tabs of one signed-in user do, then opens ${ROTATION_TABS} tabs one after the other. **Coordinated**: the tabs share one \`name\`, with \`exclusive=1\` (\`exclusiveFetch\`). **Uncoordinated**: each tab has a \`name\` of its own, so each refreshes for itself with the shared cookie. Besides bench.html's getToken once a second, each tab calls \`/api/protected\` once a second through \`tokens.fetch\`.`,
      '',
      `Sign-outs: from the sign-in on, the bench reads \`/api/stats\` every ${ROTATION_STATS_POLL_MS} ms. When \`reuseDetected\` has grown, a reuse has revoked the family: every tab is signed out (its next refresh gets 401 \`no_session\`). The bench then waits the server latency + ${ROTATION_SIGN_IN_DELAY_MS} ms (so that no answer still in flight can set a cookie of the revoked family over the new one) and signs in again through \`context.request\`, as the user would have to; the tabs' next refreshes use the new family. Between two sign-ins there is at most one live family, so each reuse is one forced sign-out. **First reuse after**: from the first sign-in (just before the first tab opens) to the stats read that saw the first reuse (so up to ${ROTATION_STATS_POLL_MS} ms late). **Window**: from the moment the last tab is open, for ${runs}; token requests, reuses, protected calls and the tabs' failed token fetches (\`stats().fetchErrors\`, summed) are differences between snapshots at the window's two ends; **sign-outs per minute** = reuses in the window × 60 s / window. One run per mode and latency.`,
      '',
    );
    out.push(
      '| mode | server latency | tabs | window | token requests | reuse detected (= sign-outs) | first reuse after | sign-outs per minute | protected calls failed / made | failed token fetches in the tabs |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of rotation) {
      const first =
        r.firstReuseMs === undefined
          ? `none in ${((r.openMs + r.windowMs) / 1000).toFixed(0)} s`
          : `${r.firstReuseMs} ms`;
      out.push(
        `| ${r.coordinated ? 'coordinated (one name, `exclusive=1`)' : 'uncoordinated (distinct names)'} | ${r.latencyMs} ms | ${r.tabs} | ${(r.windowMs / 1000).toFixed(1)} s | ${r.requests} | **${r.reuse}** | ${first} | **${r.perMinute.toFixed(1)}** | ${r.failed} / ${r.made} | ${r.fetchErrors} |`,
      );
    }
    out.push('');
    for (const r of rotation) {
      const mode = r.coordinated ? 'coordinated' : 'uncoordinated';
      const gap =
        r.medianGapMs === undefined
          ? ''
          : `; median time between two sign-outs in the window ${(r.medianGapMs / 1000).toFixed(1)} s`;
      out.push(
        `- ${mode}, latency ${r.latencyMs} ms: the ${r.tabs} tabs were open ${(r.openMs / 1000).toFixed(1)} s after the sign-in; reuses from the sign-in to the window's end ${r.reuseTotal}, sign-ins again ${r.signIns}${gap}; protected calls refused by the server (401) ${r.rejected}.`,
      );
    }
    return out;
  },
  bfcache({ bfcache }) {
    const { trips, setupRequests } = bfcache;
    const out = ['## 9. Back/forward-cache restores of a leader and a follower', ''];
    out.push(
      `Three \`playground/bench.html\` tabs of one group in one browser context, library defaults (poll ${BFCACHE_POLL} ms, leeway 15 s, cutoff 5 s), token ttl ${BFCACHE_TTL} s (no refresh falls due during the row, so every token request counted below is caused by a trip). The playground is built (\`vite build\` into a temporary directory) and served by \`vite preview\` with the token server; Chromium runs without Playwright's \`--disable-back-forward-cache\`. Once the group has one leader and one shared token (${setupRequests} token request${setupRequests === 1 ? '' : 's'} to get there), ${BFCACHE_TRIPS} round trips for the tab that leads at the time and ${BFCACHE_TRIPS} for a follower, alternating: the tab goes to \`/away.html\` (a same-origin page without scripts), stays ${BFCACHE_AWAY_MS / 1000} s (longer than one poll), and goes Back (\`goBack({ waitUntil: 'commit' })\`). Restored: the trip's \`pageshow\` has \`persisted\` and Chromium sent no \`Page.backForwardCacheNotUsed\` (DevTools protocol). Restore time: from calling goBack to the page's \`pageshow\` (both on \`Date.now()\`); token: from \`pageshow\` to the tab's next \`token\` event. Token requests: the server's count from just before the tab left to ${BFCACHE_SETTLE_MS / 1000} s after it held a token again. Leaders: tabs whose \`isLeader\` is true, among the two that stayed (just before Back) and among all three (at the end of the trip).`,
      '',
    );
    const ms = (xs) => (xs.length ? `${summary(xs, 0)} ms` : 'n/a');
    const reasonsOf = (ts) => {
      const counts = new Map();
      for (const t of ts) for (const r of t.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
      const silent = ts.filter((t) => !t.restored && t.reasons.length === 0).length;
      if (silent) counts.set('no reason given', silent);
      return counts.size ? [...counts].map(([r, n]) => `${r} ×${n}`).join('; ') : 'none';
    };
    out.push(
      '| tab that went away | restored | restore time (goBack → pageshow), median (min, max) | pageshow → token held again, median (min, max) | token requests on restore (total) | leaders after return | not restored because |',
      '|---|---|---|---|---|---|---|',
    );
    for (const role of ['leader', 'follower']) {
      const ts = trips.filter((t) => t.role === role);
      const restored = ts.filter((t) => t.restored);
      const tokenTimes = restored.map((t) => t.tokenMs).filter((x) => x !== undefined);
      const leaders = [...new Set(ts.map((t) => t.leadersAfter))].join(', ');
      out.push(
        `| ${role} | **${restored.length}/${ts.length}** | ${ms(restored.map((t) => t.restoreMs))} | ${ms(tokenTimes)} | ${ts.reduce((a, t) => a + t.requests, 0)} | ${leaders} (expected 1) | ${reasonsOf(ts)} |`,
      );
    }
    out.push(
      '',
      '| trip | tab that went away | restored | goBack → pageshow | pageshow → token (source) | token requests | leaders while away (of the other two) | leaders after return | one token shared by all three |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const t of trips) {
      out.push(
        `| ${t.trip} | ${t.role} (tab ${t.tab}) | ${t.restored ? 'yes' : `no: ${t.reasons.join('; ') || 'no reason given'}`} | ${t.restoreMs} ms | ${t.tokenMs === undefined ? '—' : `${t.tokenMs} ms (${t.tokenSource})`} | ${t.requests} | ${t.leadersAway} | ${t.leadersAfter} | ${t.shared ? 'yes' : 'no'} |`,
      );
    }
    const all = trips.filter((t) => t.restored);
    out.push(
      '',
      `Restored ${all.length}/${trips.length}; median restore time ${all.length ? `${median(all.map((t) => t.restoreMs)).toFixed(0)} ms` : 'n/a'}; token requests over all trips ${trips.reduce((a, t) => a + t.requests, 0)} (expected 0: the group held a servable token throughout); leaders after every return 1: ${trips.every((t) => t.leadersAfter === 1) ? 'yes' : 'no'}.`,
    );
    return out;
  },
  [hungLeader.ROW]: ({ hungLeader: runs }) => hungLeader.section(runs, { summary }),
};

function header({ started, version }) {
  return [
    '# Benchmark results',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, Chromium ${version}`,
    `- command: \`npm run bench\` (${REPEATS} repeats; took ${Math.round((Date.now() - started) / 1000)} s)`,
    `- library: ${libraryRevision()}`,
    `- settings: token ttl ${TTL} s (usable ${TTL - 1} s), poll ${POLL} ms, leeway ${LEEWAY} s, cutoff ${CUTOFF} s. Tabs are \`playground/bench.html\`: the playground's cache, options and verifyToken (ES256 signature against the JWKS), getToken once a second, no dashboard. Tables 6 to 10 say their own settings.`,
    '',
  ];
}

const RESULTS = new URL('./RESULTS.md', import.meta.url);
const sectionNumber = (lines) => Number(/^## (\d+)\./.exec(lines[0])?.[1]);

/**
 * A run of some rows (--only) keeps the rest of RESULTS.md: its sections replace those of the same
 * number, each marked as measured alone.
 */
function merge(previous, measured, note) {
  const [head, ...rest] = previous.split(/^(?=## \d+\.)/m);
  const sections = new Map(rest.map((text) => [sectionNumber(text.split('\n')), text.trimEnd().split('\n')]));
  for (const lines of measured) sections.set(sectionNumber(lines), [lines[0], '', note, ...lines.slice(1)]);
  const body = [...sections.entries()].sort(([a], [b]) => a - b).map(([, lines]) => lines.join('\n'));
  return `${head.trimEnd()}\n\n${body.join('\n\n')}\n`;
}

async function main() {
  const started = Date.now();
  process.env.PLAYGROUND_NO_WATCH = '1'; // an edit to src/ during the run must not reload the tabs
  const server = DEV_SERVER_ROWS.some(runs)
    ? await createServer({
        configFile: 'playground/vite.config.ts',
        server: { port: PORT, strictPort: true },
        logLevel: 'error',
      })
    : undefined;
  await server?.listen();
  const browser = await chromium.launch({ executablePath, args: ARGS });
  const data = {};
  try {
    if (runs('requests')) {
      data.table1 = [];
      for (const n of [1, 10, 50]) {
        const coord = [];
        const base = [];
        for (let r = 0; r < REPEATS; r++) {
          coord.push(await requestsPerLifetime(browser, n, true));
          base.push(await requestsPerLifetime(browser, n, false));
        }
        data.table1.push({ n, coord, base });
        console.log(
          `${n} tabs, requests per lifetime: coordinated ${coord.join(', ')}; each for itself ${base.join(', ')}`,
        );
      }
      data.warm = [];
      for (let r = 0; r < REPEATS; r++) data.warm.push(await warmOpen(browser));
      console.log(`opening 10 tabs into a warm group: ${data.warm.join(', ')} requests`);
    }
    if (runs('hits')) {
      data.hits = await hitCost(browser);
      console.log(`getToken hit: ${summary(data.hits.getToken, 0)} ns`);
    }
    if (runs('broadcast')) {
      data.latencies = await broadcastLatency(browser);
      const l = data.latencies;
      console.log(`broadcast: p50 ${pct(l, 50).toFixed(2)} ms, p99 ${pct(l, 99).toFixed(2)} ms`);
    }
    if (runs('takeover')) {
      data.close = await takeover(browser, 'close');
      data.crash = await takeover(browser, 'crash');
      console.log(`takeover: close ${median(data.close)} ms, crash ${median(data.crash)} ms`);
    }
    if (runs('size')) data.sizes = await measureSizes();
    if (runs('wakeups')) {
      data.wake = await wakeups(browser);
      for (const t of data.wake.tabs) console.log(`wake-ups per minute, ${t.role}: ${t.total.toFixed(1)}`);
    }
    if (runs('idle')) {
      const withIdle = await idleGroup(browser, IDLE_SECONDS);
      console.log(
        withIdle.unsupported
          ? `idle group: n/a (library has no idleTimeoutSeconds): ${withIdle.unsupported}`
          : `idle group (idle ${IDLE_SECONDS} s): ${withIdle.total} requests, then ${withIdle.read} for one read`,
      );
      const without = await idleGroup(browser, undefined);
      console.log(`idle group (library default): ${without.total} requests`);
      data.idle = { withIdle, without };
    }
    if (runs('rotation')) data.rotation = await rotationRows(browser);
    if (runs(hungLeader.ROW))
      data.hungLeader = await hungLeader.measure(browser, { api, base: BASE }, REPEATS);
    if (runs('bfcache')) {
      data.bfcache = await bfcacheTrips();
      for (const role of ['leader', 'follower']) {
        const ts = data.bfcache.trips.filter((t) => t.role === role);
        const restored = ts.filter((t) => t.restored);
        console.log(
          `bfcache ${role}: restored ${restored.length}/${ts.length}, median restore ${restored.length ? median(restored.map((t) => t.restoreMs)) : 'n/a'} ms, ${ts.reduce((a, t) => a + t.requests, 0)} token requests`,
        );
      }
    }
    const measured = ROWS.filter(runs).map((row) => SECTIONS[row](data));
    const took = Math.round((Date.now() - started) / 1000);
    let text;
    if (!only || !existsSync(RESULTS)) {
      text = `${[...header({ started, version: browser.version() }), ...measured.flatMap((lines) => [...lines, ''])].join('\n')}`;
    } else {
      const command = `node bench/run.mjs --only ${[...only].join(',')}`;
      const note = `_Measured alone: \`${command}\`, ${new Date().toISOString()}, took ${took} s, Chromium ${browser.version()}, library ${libraryRevision()}._`;
      text = merge(readFileSync(RESULTS, 'utf8'), measured, note);
    }
    writeFileSync(RESULTS, text);
    console.log(`\n${only ? measured.map((lines) => lines.join('\n')).join('\n\n') : text}`);
  } finally {
    await browser.close();
    await server?.close();
  }
}

await main();
