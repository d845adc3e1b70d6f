// Shared fixtures and helpers for the end-to-end scenarios.
//
// Every test gets:
//   - `server`: the playground's token server (counters and control), reset before the test;
//   - `cacheName`: a cache name no other test uses;
//   - `tabs`: opens playground tabs (pages of one browser context share BroadcastChannel and Web
//     Locks, so they are the tabs of one browser): the dashboard (`/`) or the bare app tab
//     (`/bench.html`: the same cache and options, no dashboard);
//   - `newUserContext`: another browser context (another browser or user), tracked like the first;
//   - in every page of a tracked context (the test's own and `newUserContext`'s), including pages
//     opened later: an automatic check that none raised an uncaught error, an unhandled promise
//     rejection or was reloaded (navigations a test makes on purpose go through
//     `pageErrors.navigating`), and a recorder of its cache's events from creation (`recorded`).
//
// Helpers talk to the pages only through the public API (`window.tokenCache`), the page's
// data-testids and the server's counters.

import {
  type APIRequestContext,
  type BrowserContext,
  test as base,
  expect,
  type Page,
} from '@playwright/test';
import type { ControlChange, ServerStats } from '../playground/server/contract';
import type { TokenCache } from '../src/index';
import { CUTOFF_S, LEEWAY_S, LONG_TTL_S, POLL_MS } from './timing.mjs';

// ---------------------------------------------------------------------------------------------
// Timing of the scenarios

// The pages' timing, shared with the benchmark (bench/run.mjs).
export { CUTOFF_S, LEEWAY_S, LONG_TTL_S, POLL_MS, SHORT_TTL_S } from './timing.mjs';

/** The library's usable life of a token: exp - iat - 1 s, counted from when its fetch started. */
export function usableLifeMs(ttlSeconds: number): number {
  return (ttlSeconds - 1) * 1000;
}

/**
 * The shortest time between two refreshes of one key when exactly one tab refreshes it: a token
 * fetched at t is fresh until t + usable life - leeway, and no tab fetches a fresh token. With
 * ttl 5 s: 4 s - 1.5 s = 2.5 s (the leader's poll adds 0 to 500 ms on top of that).
 */
export function refreshPeriodMs(ttlSeconds: number): number {
  return usableLifeMs(ttlSeconds) - LEEWAY_S * 1000;
}

/**
 * The most token requests that coordinated tabs may cause in `elapsedMs`, whatever their number:
 * the first token, plus one per refresh period begun. Consecutive fetches start at least one
 * refresh period apart, so in a window of length E there are at most 1 + floor(E / period)
 * fetch starts; ceil instead of floor leaves one request of slack for a window that starts or
 * ends in the middle of a fetch. It does not depend on the tab count: N tabs that each polled
 * for themselves would cost N times this.
 */
export function maxRequests(elapsedMs: number, ttlSeconds: number): number {
  return 1 + Math.ceil(elapsedMs / refreshPeriodMs(ttlSeconds));
}

// ---------------------------------------------------------------------------------------------
// Types of what the pages expose

/** The token server's shapes, as the server defines them. */
export type { ServerStats } from '../playground/server/contract';
/** The body of POST /api/control: any subset of the server's settings. */
export type ServerControl = ControlChange;

export type CacheStats = ReturnType<TokenCache['stats']>;

/** What a test records inside a page (see `record`). */
export interface Recorded {
  tokens: { jti: string | null; source: string; at: number; expiresAt: number }[];
  errors: { key: string; code: string; at: number }[];
  clears: { origin: string; at: number }[];
  leader: { isLeader: boolean; at: number }[];
}

/** `window` as the playground page has it, plus what `record` installs. */
export type TestWindow = Window & { tokenCache: TokenCache; __e2e?: Recorded };

// ---------------------------------------------------------------------------------------------
// The token server

export class TokenServer {
  constructor(private readonly request: APIRequestContext) {}

  async stats(): Promise<ServerStats> {
    const res = await this.request.get('/api/stats');
    expect(res.ok(), `GET /api/stats answered ${res.status()}`).toBe(true);
    return (await res.json()) as ServerStats;
  }

  async requests(): Promise<number> {
    return (await this.stats()).requests;
  }

  async control(change: ServerControl): Promise<void> {
    const res = await this.request.post('/api/control', { data: change });
    expect(res.ok(), `POST /api/control ${JSON.stringify(change)}: ${await res.text()}`).toBe(true);
  }

  /** Zeroed counters, 60 s tokens, no latency, mode ok, no rotation, no clock step pending. */
  async reset(): Promise<void> {
    const res = await this.request.post('/api/stats/reset');
    expect(res.ok(), `POST /api/stats/reset answered ${res.status()}`).toBe(true);
    await this.control({
      ttlSeconds: LONG_TTL_S,
      latencyMs: 0,
      mode: 'ok',
      rotation: false,
      skewNextSeconds: 0,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Page errors

/** Pages report unhandled rejections through the console too, in case pageerror misses one. */
const REJECTION_MARK = '[e2e] unhandledrejection:';

/** Watches the pages of browser contexts: errors and reloads, and installs the event recorder. */
export class PageWatch {
  readonly entries: string[] = [];
  /** Per watched page: how many `navigating` scopes are open on it now. */
  readonly #pages = new WeakMap<Page, { onPurpose: number }>();
  #count = 0;

  async watchContext(context: BrowserContext, label: string): Promise<void> {
    await context.addInitScript(installRecorder);
    await context.addInitScript((mark: string) => {
      window.addEventListener('unhandledrejection', (event) => {
        const reason: unknown = event.reason;
        const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
        console.error(`${mark} ${text}`);
      });
    }, REJECTION_MARK);
    context.on('page', (page) => this.watchPage(page, label));
    for (const page of context.pages()) this.watchPage(page, label);
  }

  watchPage(page: Page, label: string): void {
    if (this.#pages.has(page)) return;
    const state = { onPurpose: 0 };
    this.#pages.set(page, state);
    const name = `${label} page ${++this.#count}`;
    page.on('pageerror', (error) => {
      this.entries.push(`${name} (${page.url()}): pageerror ${error.name}: ${error.message}`);
    });
    // Outside `navigating`, the scenarios never navigate a tab twice: a second load is a reload
    // (Vite's HMR after an edit of the playground or the library, or its dependency optimizer),
    // which resets the tab's cache and would make any count or timing meaningless. Navigations
    // inside a `navigating` scope are the test's own and are not counted; one after it is.
    let loads = 0;
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame() || !frame.url().startsWith('http')) return;
      if (state.onPurpose > 0) return;
      if (++loads > 1)
        this.entries.push(`${name} (${frame.url()}): reloaded (HMR or a dependency re-optimization?)`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().startsWith(REJECTION_MARK)) {
        this.entries.push(`${name} (${page.url()}): ${message.text()}`);
      }
    });
  }

  /**
   * Runs `navigate`, whose navigations of `page` (away and back, say) the test makes on purpose:
   * they are not reported as reloads. Whether the page came back as it was (from the
   * back/forward cache) or loaded anew is for the test to check. Navigations before and after
   * the scope are watched as before.
   */
  async navigating<T>(page: Page, navigate: () => Promise<T>): Promise<T> {
    const state = this.#pages.get(page);
    if (!state) throw new Error('navigating: this page is not watched (was its context watched?)');
    state.onPurpose++;
    try {
      return await navigate();
    } finally {
      state.onPurpose--;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tabs

export interface TabOptions {
  /** Extra URL parameters for the page. */
  params?: Record<string, string>;
  /**
   * Which page of the playground: `/` (default), the dashboard, or `/bench.html`, the bare app
   * tab (the same cache, options and verifyToken, getToken once a second, nothing drawn, so no
   * data-testids: check it through `window.tokenCache`), or `/idle.html`, a tab that reads its
   * token once at start and then only with `read=1` (idle keys, R21).
   */
  path?: '/' | '/bench.html' | '/idle.html' | '/react.html';
}

export function tabUrl(name: string, options: TabOptions = {}): string {
  const params = new URLSearchParams({
    poll: String(POLL_MS),
    leeway: String(LEEWAY_S),
    cutoff: String(CUTOFF_S),
    name,
    key: 'default',
    ...options.params,
  });
  return `${options.path ?? '/'}?${params}`;
}

export class Tabs {
  constructor(
    private readonly context: BrowserContext,
    private readonly name: string,
  ) {}

  /** Opens one playground tab in `context` (default: the test's context) and waits for its cache. */
  async open(context: BrowserContext = this.context, options: TabOptions = {}): Promise<Page> {
    const page = await context.newPage();
    await page.goto(tabUrl(this.name, options));
    await page.waitForFunction(() => (window as unknown as Partial<TestWindow>).tokenCache !== undefined);
    return page;
  }

  /** Opens `count` tabs one after the other. */
  async openMany(
    count: number,
    context: BrowserContext = this.context,
    options: TabOptions = {},
  ): Promise<Page[]> {
    const pages: Page[] = [];
    for (let i = 0; i < count; i++) pages.push(await this.open(context, options));
    return pages;
  }

  /** Opens `count` tabs and waits until exactly one leads and all serve one token. */
  async openSettled(
    count: number,
    options: TabOptions = {},
  ): Promise<{ pages: Page[]; leaderIndex: number; leader: Page; jti: string }> {
    const pages = await this.openMany(count, this.context, options);
    const leaderIndex = await expectOneLeader(pages);
    const jti = await expectSharedToken(pages);
    return { pages, leaderIndex, leader: pages[leaderIndex] as Page, jti };
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a page through the public API

/** The jti of the token the page would serve now (peekToken), or null when it has none. */
export function peekJti(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const token = (window as unknown as TestWindow).tokenCache.peekToken('default');
    if (token === null) return null;
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { jti?: unknown };
    return typeof claims.jti === 'string' ? claims.jti : '?';
  });
}

export function peekJtis(pages: readonly Page[]): Promise<(string | null)[]> {
  return Promise.all(pages.map(peekJti));
}

export function isLeader(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as TestWindow).tokenCache.isLeader);
}

export function cacheStats(page: Page): Promise<CacheStats> {
  return page.evaluate(() => (window as unknown as TestWindow).tokenCache.stats());
}

/** Indexes of the pages whose cache says it leads. */
export async function leaderIndexes(pages: readonly Page[]): Promise<number[]> {
  const flags = await Promise.all(pages.map(isLeader));
  return flags.flatMap((flag, i) => (flag ? [i] : []));
}

/** Waits until exactly one of `pages` leads by the API (`isLeader`); returns its index. */
export async function expectOneLeaderByApi(pages: readonly Page[], timeout = 10_000): Promise<number> {
  await expect
    .poll(() => leaderIndexes(pages), { timeout, message: 'exactly one tab leads' })
    .toHaveLength(1);
  const [index] = await leaderIndexes(pages);
  expect(index, 'the leader did not change while it was read').toBeDefined();
  return index as number;
}

/** Whether `page` shows the dashboard (and its data-testids): the playground's `/`. */
function showsDashboard(page: Page): boolean {
  return new URL(page.url()).pathname === '/';
}

/**
 * Waits until exactly one of `pages` leads by the API and every dashboard's role testid says so;
 * returns its index. Both are read together at each try, so a leader that changes meanwhile (a
 * steal from a leader too slow to answer, R12) is waited out rather than half-read.
 */
export async function expectOneLeader(pages: readonly Page[], timeout = 10_000): Promise<number> {
  let leader = -1;
  await expect
    .poll(
      async () => {
        const indexes = await leaderIndexes(pages);
        if (indexes.length !== 1) return `leaders by the API: ${JSON.stringify(indexes)}`;
        const shown = pages.flatMap((page, i) => (showsDashboard(page) ? [{ page, i }] : []));
        const roles = await Promise.all(shown.map(({ page }) => page.getByTestId('role').textContent()));
        const expected = shown.map(({ i }) => (i === indexes[0] ? 'leader' : 'follower'));
        if (JSON.stringify(roles) !== JSON.stringify(expected)) {
          return `role labels ${JSON.stringify(roles)} with tab ${indexes[0]} leading`;
        }
        leader = indexes[0] as number;
        return 'one leader, and every role label says so';
      },
      { timeout, message: 'exactly one tab leads, by the API and by every role label' },
    )
    .toBe('one leader, and every role label says so');
  return leader;
}

/** Waits until every page serves one and the same token; returns its jti. */
export async function expectSharedToken(pages: readonly Page[], timeout = 10_000): Promise<string> {
  let shared: string | null = null;
  await expect
    .poll(
      async () => {
        const jtis = await peekJtis(pages);
        const distinct = new Set(jtis);
        shared = distinct.size === 1 ? (jtis[0] ?? null) : null;
        return shared !== null ? 'one token everywhere' : JSON.stringify(jtis);
      },
      { timeout, message: 'every tab serves the same token' },
    )
    .toBe('one token everywhere');
  return shared as unknown as string;
}

/**
 * Runs in every page before its scripts (an init script): catches the moment the page sets
 * `window.tokenCache` and subscribes to every event of that cache from its creation on. Read
 * the log with `recorded`.
 */
function installRecorder(): void {
  const w = window as unknown as TestWindow;
  const log: Recorded = { tokens: [], errors: [], clears: [], leader: [] };
  w.__e2e = log;
  const jtiOf = (token: string): string | null => {
    try {
      const payload = token.split('.')[1] ?? '';
      const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { jti?: unknown };
      return typeof claims.jti === 'string' ? claims.jti : null;
    } catch {
      return null;
    }
  };
  let cache: TokenCache | undefined;
  Object.defineProperty(window, 'tokenCache', {
    configurable: true,
    enumerable: true,
    get: () => cache,
    set: (value: TokenCache) => {
      cache = value;
      if (typeof value?.on !== 'function') return;
      value.on('token', (e) =>
        log.tokens.push({ jti: jtiOf(e.token), source: e.source, at: Date.now(), expiresAt: e.expiresAt }),
      );
      value.on('error', (e) => log.errors.push({ key: e.key, code: e.error.code, at: Date.now() }));
      value.on('clear', (e) => log.clears.push({ origin: e.origin, at: Date.now() }));
      value.on('leader', (e) => log.leader.push({ isLeader: e.isLeader, at: Date.now() }));
    },
  });
}

export function recorded(page: Page): Promise<Recorded> {
  return page.evaluate(() => {
    const log = (window as unknown as TestWindow).__e2e;
    if (!log) throw new Error('this page has no event recorder (was its context watched?)');
    return log;
  });
}

/** Calls getToken in the page; resolves to `ok:<jti>` or the rejection's error code. */
export function tryGetToken(page: Page, forceRefresh = false): Promise<string> {
  return page.evaluate(async (force) => {
    try {
      const token = await (window as unknown as TestWindow).tokenCache.getToken('default', {
        forceRefresh: force,
      });
      const payload = token.split('.')[1] ?? '';
      const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { jti?: unknown };
      return `ok:${String(claims.jti)}`;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return typeof code === 'string' ? code : `threw:${String(error)}`;
    }
  }, forceRefresh);
}

export interface Watched {
  samples: number;
  /** Reads (one per tab per sample) that found no servable token. */
  emptyReads: number;
  /** Leader counts seen across the samples. */
  leaderCounts: Set<number>;
  /** Most distinct tokens served at one moment. */
  maxDistinct: number;
  /** Every jti served at some sample. */
  jtis: Set<string>;
}

/**
 * Samples the tabs every `everyMs` for `durationMs`: who leads and what each serves. A bounded
 * wait that lets lifetimes pass while it watches.
 */
export async function watchTabs(pages: readonly Page[], durationMs: number, everyMs = 500): Promise<Watched> {
  const watched: Watched = {
    samples: 0,
    emptyReads: 0,
    leaderCounts: new Set(),
    maxDistinct: 0,
    jtis: new Set(),
  };
  const start = Date.now();
  while (Date.now() - start < durationMs) {
    const [leaders, jtis] = await Promise.all([leaderIndexes(pages), peekJtis(pages)]);
    watched.samples++;
    watched.leaderCounts.add(leaders.length);
    watched.emptyReads += jtis.filter((jti) => jti === null).length;
    const served = new Set(jtis.filter((jti): jti is string => jti !== null));
    watched.maxDistinct = Math.max(watched.maxDistinct, served.size);
    for (const jti of served) watched.jtis.add(jti);
    await elapse(Math.min(everyMs, Math.max(0, durationMs - (Date.now() - start))));
  }
  return watched;
}

/** Puts a measurement in the report (annotation) and on stdout. */
export function note(type: string, description: string): void {
  test.info().annotations.push({ type, description });
  console.log(`[e2e] ${test.info().title} :: ${type}: ${description}`);
}

/** Lets `ms` pass. Only for letting token lifetimes go by before counting, never to wait for a state. */
export function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// The test object

interface Fixtures {
  server: TokenServer;
  cacheName: string;
  tabs: Tabs;
  /** A new browser context (another browser, another user), with page errors tracked. */
  newUserContext: () => Promise<BrowserContext>;
  pageErrors: PageWatch;
}

export const test = base.extend<Fixtures>({
  server: async ({ request }, use) => {
    const server = new TokenServer(request);
    await server.reset();
    await use(server);
  },

  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern.
  cacheName: async ({}, use, testInfo) => {
    const slug = testInfo.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40);
    await use(`e2e-${slug}-${Date.now().toString(36)}`);
  },

  pageErrors: [
    async ({ context }, use, testInfo) => {
      const errors = new PageWatch();
      await errors.watchContext(context, 'context 1');
      await use(errors);
      if (errors.entries.length > 0) {
        await testInfo.attach('page-errors', { body: errors.entries.join('\n'), contentType: 'text/plain' });
      }
      expect(errors.entries, 'no page raised an uncaught error or unhandled rejection').toEqual([]);
    },
    { auto: true },
  ],

  tabs: async ({ context, cacheName, server: _server }, use) => {
    await use(new Tabs(context, cacheName));
  },

  newUserContext: async ({ browser, baseURL, pageErrors }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async () => {
      const context = await browser.newContext({ baseURL });
      contexts.push(context);
      await pageErrors.watchContext(context, `context ${contexts.length + 1}`);
      return context;
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };
