// PageWatch: collects every page's uncaught errors, unhandled rejections and reloads; installs the recorder.

import type { BrowserContext, Page } from '@playwright/test';
import { installRecorder } from './recorder';

/** Pages report unhandled rejections through the console too, in case pageerror misses one. */
const REJECTION_MARK = '[e2e] unhandledrejection:';

/** Watches the pages of browser contexts: errors and reloads, and installs the event recorder. */
export class PageWatch {
  readonly entries: string[] = [];
  /** Per watched page: how many `navigating` scopes are open on it now. */
  readonly #pages = new WeakMap<Page, { onPurpose: number }>();
  readonly #contexts: BrowserContext[] = [];
  #count = 0;

  async watchContext(context: BrowserContext, label: string): Promise<void> {
    this.#contexts.push(context);
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

  /** Collects what a context reports only when asked (the WebKit lane's pages: webkit/page.ts). */
  async collect(): Promise<void> {
    for (const context of this.#contexts) await (context as { flush?: () => Promise<void> }).flush?.();
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
