// Opening playground tabs: the page URL with the suite's timing, and `Tabs` (open one, many, or settled).

import type { BrowserContext, Page } from '@playwright/test';
import type { TestWindow } from './page-state';
import { CUTOFF_S, LEEWAY_S, POLL_MS } from './timing.mjs';
import { expectOneLeader, expectSharedToken } from './waits';

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

/**
 * Opens playground tabs (pages of one browser context share BroadcastChannel and Web Locks, so
 * they are the tabs of one browser), all with the test's cache name.
 */
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
