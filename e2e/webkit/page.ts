// A tab of the WebKit lane, with the part of Playwright's `Page` the shared scenarios use
// (evaluate, waitForFunction, goto, close, events), over classic WebDriver (session.ts). What it
// cannot do the way Playwright does is said where it is done:
//   - evaluate: the function is sent as source, as Playwright does; a result that is not there
//     within 50 ms is polled for, so that a page awaiting a slow promise blocks no other tab;
//   - a busy main thread (a hung tab, engine.ts's freezeFor) answers no command: commands for a
//     page frozen on purpose wait until its thaw before they are sent;
//   - events: 'close' (its own), 'pageerror' and 'console' (the page's uncaught errors
//     and rejections, recorded by an init script and read by `flush`); no 'framenavigated', so
//     the WebKit lane does not detect a reload.

import { sleep } from './processes';
import type { Session } from './session';

type Listener = (value: unknown) => void;

/**
 * Runs `fn(arg)` in the page; answers within 50 ms, or with the slot where the answer will be (a
 * slot the document does not have, when polled, means the page navigated meanwhile).
 */
const START = `
const [source, arg, done] = arguments;
const slots = (window.__e2eSlots ??= new Map());
const id = Math.random().toString(36).slice(2);
slots.set(id, null);
let answered = false;
const answer = (result) => {
  if (answered) { slots.set(id, result); return; }
  answered = true; slots.delete(id); done(result);
};
Promise.resolve()
  .then(() => (0, eval)('(' + source + ')')(arg))
  .then(
    (value) => answer({ value: value === undefined ? null : value, undefined: value === undefined }),
    (error) => answer({ error: String((error && error.stack) || error) }),
  );
setTimeout(() => { if (!answered) { answered = true; done({ pending: id }); } }, 50);`;

/** Runs `fn(arg)` `delay` ms after this command answers, keeping its result; answers when that will be. */
const LATER = `const [source, arg, delay] = arguments;
const fn = (0, eval)('(' + source + ')');
setTimeout(() => { window.__e2eLater = fn(arg); }, delay);
return Date.now() + delay;`;

const POLL = `const slots = window.__e2eSlots; const id = arguments[0];
if (!slots || !slots.has(id)) return { lost: true };
const r = slots.get(id); if (r) slots.delete(id); return r;`;

interface Answer {
  value?: unknown;
  undefined?: boolean;
  error?: string;
  pending?: string;
  lost?: boolean;
}

export class WebKitPage {
  readonly #session: Session;
  readonly #handle: string;
  readonly #baseURL: string;
  readonly #listeners = new Map<string, Set<Listener>>();
  #url = 'about:blank';
  #closed = false;
  /** Until when (Date.now()) the page's main thread is kept busy on purpose. */
  frozenUntil = 0;

  constructor(session: Session, handle: string, baseURL: string) {
    this.#session = session;
    this.#handle = handle;
    this.#baseURL = baseURL;
  }

  async #run<T>(command: Parameters<Session['run']>[1]): Promise<T> {
    const wait = this.frozenUntil - Date.now();
    if (wait > 0) await sleep(wait);
    if (this.#closed) throw new Error('Target page, context or browser has been closed');
    return (await this.#session.run(this.#handle, command)) as T;
  }

  async evaluate<R, A>(fn: ((arg: A) => R | Promise<R>) | string, arg?: A): Promise<R> {
    const source = typeof fn === 'string' ? `() => (${fn})` : fn.toString();
    let answer = await this.#run<Answer>((d) => d.executeAsyncScript(START, source, arg ?? null));
    while (answer.pending !== undefined) {
      await sleep(25);
      const id = answer.pending;
      answer = (await this.#run<Answer | null>((d) => d.executeScript(POLL, id))) ?? { pending: id };
    }
    if (answer.lost) throw new Error('page.evaluate: the page navigated while it ran (its context is gone)');
    if (answer.error !== undefined) throw new Error(`page.evaluate: ${answer.error}`);
    return (answer.undefined ? undefined : answer.value) as R;
  }

  /**
   * Starts `fn(arg)` `delayMs` after the command answers, so that a busy loop holds no command up;
   * resolves with when it starts (the page's Date.now()). `laterResult` reads what it returned.
   */
  startSoon<A>(fn: (arg: A) => unknown, arg: A, delayMs: number): Promise<number> {
    return this.#run((d) => d.executeScript(LATER, fn.toString(), arg, delayMs));
  }

  laterResult(): Promise<unknown> {
    return this.evaluate(() => (window as unknown as { __e2eLater?: unknown }).__e2eLater);
  }

  async waitForFunction<A>(
    fn: (arg: A) => unknown,
    arg?: A,
    options: { polling?: number | 'raf'; timeout?: number } = {},
  ): Promise<void> {
    const end = Date.now() + (options.timeout || 30_000);
    const every = typeof options.polling === 'number' ? options.polling : 50;
    for (;;) {
      // As Playwright's, it outlives a navigation: a context gone meanwhile is asked again.
      if (await this.evaluate(fn, arg as A).catch(() => false)) return;
      if (Date.now() > end) throw new Error(`page.waitForFunction: timed out after ${options.timeout} ms`);
      await sleep(every);
    }
  }

  async goto(url: string): Promise<null> {
    const absolute = new URL(url, this.#baseURL).href;
    await this.#run((d) => d.get(absolute));
    this.#url = absolute;
    return null;
  }

  /** WebDriver's Back, which returns once the traversal is done (a page restored from the cache included). */
  async goBack(_options?: object): Promise<null> {
    await this.#run((d) => d.navigate().back());
    this.#url = await this.#run((d) => d.getCurrentUrl());
    return null;
  }

  url(): string {
    return this.#url;
  }

  isClosed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#session.closeTab(this.#handle);
    this.#closed = true;
    this.emit('close', this);
  }

  /** Reads the page's uncaught errors and rejections (recorded by the lane's init script) as events. */
  async flush(): Promise<void> {
    if (this.#closed) return;
    const errors = await this.evaluate(() => {
      const w = window as unknown as { __e2eErrors?: { kind: string; text: string }[] };
      return (w.__e2eErrors ?? []).splice(0);
    }).catch(() => []);
    for (const { kind, text } of errors) {
      if (kind === 'error') this.emit('pageerror', Object.assign(new Error(text), { name: 'Error' }));
      else this.emit('console', { type: () => 'error', text: () => text });
    }
  }

  on(event: string, listener: Listener): this {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener);
    this.#listeners.set(event, set);
    return this;
  }

  waitForEvent(event: string): Promise<unknown> {
    return new Promise((resolve) => {
      const once: Listener = (value) => {
        this.#listeners.get(event)?.delete(once);
        resolve(value);
      };
      this.on(event, once);
    });
  }

  emit(event: string, value: unknown): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) listener(value);
  }

  mainFrame(): object {
    return this;
  }
}
