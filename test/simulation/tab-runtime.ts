import type { LifecycleHandlers, WatchLifecycle } from '../../src/platform/lifecycle.js';
import type { Locks } from '../../src/platform/locks.js';
import { mainThreadTimers, type Timers } from '../../src/platform/timers.js';

/**
 * One simulated tab's main thread: what it runs can be held back (a hung or frozen tab: its
 * timers, messages, lock callbacks and network answers wait, then run in order when it thaws) or
 * stopped for good (a crash: nothing of it runs again and the browser frees its locks).
 */
export class TabRuntime {
  #hung = false;
  #draining = false;
  #crashed = false;
  readonly #backlog: (() => void)[] = [];
  readonly #crash = new AbortController();
  #lifecycle: LifecycleHandlers | undefined;
  #listening = false;

  get hung(): boolean {
    return this.#hung;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  /**
   * Runs `task` now, or when the tab thaws, after every task that came before it (as a browser's
   * task queue does: an answer that arrives while the backlog drains waits its turn); never after
   * a crash.
   */
  run(task: () => void): void {
    if (this.#crashed) return;
    if (this.#hung || this.#draining) this.#backlog.push(task);
    else task();
  }

  /** A promise of `value` that settles on this tab's thread (held back while hung, never after a crash). */
  deliver<T>(settle: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.run(() => {
        try {
          resolve(settle());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  hang(): void {
    if (this.#crashed || this.#hung) return;
    this.#hung = true;
  }

  /** Thaws: what piled up runs in the order it came, each with its microtasks drained. */
  async thaw(): Promise<void> {
    if (!this.#hung) return;
    this.#hung = false;
    this.#draining = true;
    while (this.#backlog.length > 0 && !this.#hung && !this.#crashed) {
      (this.#backlog.shift() as () => void)();
      for (let i = 0; i < 20; i++) await Promise.resolve();
    }
    this.#draining = false;
  }

  crash(): void {
    this.#crashed = true;
    this.#backlog.length = 0;
    this.#crash.abort(new Error('tab crashed'));
  }

  /** The tab's timers: they fire on its thread; an interval does not pile up ticks while hung. */
  timers(): Timers {
    const base = mainThreadTimers();
    return {
      kind: 'main',
      every: (ms, fn) => {
        let queued = false;
        return base.every(ms, () => {
          if (queued) return;
          queued = true;
          this.run(() => {
            queued = false;
            fn();
          });
        });
      },
      after: (ms, fn, background) => base.after(ms, () => this.run(fn), background),
      dispose: () => base.dispose(),
    };
  }

  /**
   * The tab's view of the browser's lock manager: grants, steal notices and query answers reach it
   * on its thread; a crash ends its requests and frees what it holds.
   */
  locks(shared: Locks): Locks {
    const crashed = this.#crash.signal;
    const untilCrash = new Promise<void>((resolve) => crashed.addEventListener('abort', () => resolve()));
    return {
      request: (name, options, callback) => {
        if (crashed.aborted) return new Promise(() => {});
        // (A request that may not carry a signal, steal or ifAvailable, is settled at once anyway.)
        const immediate = options.steal === true || options.ifAvailable === true;
        const signal = options.signal ? AbortSignal.any([options.signal, crashed]) : crashed;
        const outcome = shared.request(name, immediate ? options : { ...options, signal }, (lock) =>
          Promise.race([untilCrash, this.deliver(() => callback(lock))]),
        );
        return outcome.then(
          (value) => this.deliver(() => value),
          (error: unknown) =>
            this.deliver(() => {
              throw error;
            }),
        );
      },
      query: () => shared.query().then((snapshot) => this.deliver(() => snapshot)),
    };
  }

  watchLifecycle: WatchLifecycle = (handlers) => {
    this.#lifecycle = handlers;
    return {
      stop: () => {
        this.#lifecycle = undefined;
        this.#listening = false;
      },
      locking: (busy) => {
        this.#listening = busy;
      },
    };
  };

  /**
   * Page lifecycle events, dispatched on the tab's thread; `beforeunload` only while the tab
   * listens for it (R11: while it holds or waits for a lock).
   */
  lifecycle(event: 'hide' | 'show' | 'revalidate' | 'beforeunload'): void {
    this.run(() => {
      if (event !== 'beforeunload') this.#lifecycle?.[event]();
      else if (this.#listening) this.#lifecycle?.hide(true);
    });
  }
}
