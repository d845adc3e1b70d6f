// One WebDriver session (one MiniBrowser: a browser of its own, with its own profile), driven with
// selenium-webdriver. Classic WebDriver talks to one window at a time and runs one command at a
// time, so every command goes through `run`: in order, after switching to the window it is for.
// A call that may take long (a page's promise) is started, then polled (page.ts), so that the
// other tabs of the session are not kept waiting meanwhile, as they are not in a real browser.

import type { ChildProcess } from 'node:child_process';
import { Builder, type WebDriver } from 'selenium-webdriver';
import { MINIBROWSER, startDriver } from './processes';

const CAPABILITIES = {
  browserName: 'MiniBrowser',
  'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
};

export class Session {
  readonly driver: WebDriver;
  readonly #driverProcess: ChildProcess;
  #queue: Promise<unknown> = Promise.resolve();
  #current: string | undefined;

  private constructor(driver: WebDriver, driverProcess: ChildProcess, current: string) {
    this.driver = driver;
    this.#driverProcess = driverProcess;
    this.#current = current;
  }

  /** A new MiniBrowser, behind a WebKitWebDriver of its own. */
  static async start(): Promise<Session> {
    const { url, process } = await startDriver();
    const driver = await new Builder().usingServer(url).withCapabilities(CAPABILITIES).build();
    // Long enough for a page's own promise; polled calls answer within 50 ms (page.ts).
    await driver.manage().setTimeouts({ script: 60_000, pageLoad: 30_000 });
    return new Session(driver, process, await driver.getWindowHandle());
  }

  /** Runs `command` on the window `handle` once the commands before it are done. */
  run<T>(handle: string, command: (driver: WebDriver) => Promise<T>): Promise<T> {
    return this.#inTurn(async () => {
      if (this.#current !== handle) {
        await this.driver.switchTo().window(handle);
        this.#current = handle;
      }
      return command(this.driver);
    });
  }

  /** A new tab of this browser: its window handle. */
  newTab(): Promise<string> {
    return this.#inTurn(async () => {
      await this.driver.switchTo().newWindow('tab');
      this.#current = await this.driver.getWindowHandle();
      return this.#current;
    });
  }

  /** `work` once the commands before it are done; the next waits for it, whether it fails or not. */
  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Closes the window `handle` (the session switches to another one for its next command). */
  closeTab(handle: string): Promise<void> {
    return this.run(handle, async (driver) => {
      await driver.close();
      this.#current = undefined;
    });
  }

  /** Ends the session and stops its driver (by its process id). */
  async stop(): Promise<void> {
    await Promise.race([this.#queue, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await this.driver.quit().catch(() => {});
    this.#driverProcess.kill();
  }
}
