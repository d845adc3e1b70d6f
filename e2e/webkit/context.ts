// A browser context of the WebKit lane: one MiniBrowser session (session.ts), with the part of
// Playwright's `BrowserContext` the shared scenarios use (newPage, pages, addInitScript, events,
// close). Its tabs share Web Locks and BroadcastChannel, as a real browser's do; two contexts
// are two browsers and share nothing.

import type { InitScriptProxy } from './init-scripts';
import { WebKitPage } from './page';
import { Session } from './session';

/** Records the page's uncaught errors and console errors for WebKitPage.flush (no event stream in classic WebDriver). */
function recordErrors(): void {
  const w = window as unknown as { __e2eErrors: { kind: string; text: string }[] };
  w.__e2eErrors = [];
  window.addEventListener('error', (event) => {
    w.__e2eErrors.push({ kind: 'error', text: String(event.message) });
  });
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    w.__e2eErrors.push({ kind: 'console', text: args.map(String).join(' ') });
    original(...args);
  };
}

export class WebKitContext {
  readonly #session: Session;
  readonly #proxy: InitScriptProxy;
  readonly #pages: WebKitPage[] = [];
  readonly #onPage = new Set<(page: WebKitPage) => void>();
  /** The window the browser opened with: the first newPage uses it. */
  #spare: string | undefined;

  private constructor(session: Session, proxy: InitScriptProxy, spare: string) {
    this.#session = session;
    this.#proxy = proxy;
    this.#spare = spare;
  }

  static async launch(proxy: InitScriptProxy): Promise<WebKitContext> {
    const session = await Session.start();
    proxy.add(recordErrors);
    return new WebKitContext(session, proxy, await session.driver.getWindowHandle());
  }

  async newPage(): Promise<WebKitPage> {
    const handle = this.#spare ?? (await this.#session.newTab());
    this.#spare = undefined;
    const page = new WebKitPage(this.#session, handle, this.#proxy.url);
    this.#pages.push(page);
    for (const listener of this.#onPage) listener(page);
    return page;
  }

  pages(): WebKitPage[] {
    return this.#pages.filter((p) => !p.isClosed());
  }

  on(event: 'page', listener: (page: WebKitPage) => void): this {
    if (event === 'page') this.#onPage.add(listener);
    return this;
  }

  async addInitScript(fn: (arg: never) => unknown, arg?: unknown): Promise<void> {
    this.#proxy.add(fn, arg);
  }

  /** Reads every open page's recorded errors (PageWatch checks them at the end of a test). */
  async flush(): Promise<void> {
    for (const page of this.pages()) await page.flush();
  }

  async close(): Promise<void> {
    await this.#session.stop();
  }
}
