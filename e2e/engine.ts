// How a scenario opens, crashes or freezes a tab in each browser engine. The scenarios are the
// same code in every lane (playwright.config.ts); only what is here differs.
//
//   Chromium (Playwright, DevTools protocol): CDP `Page.crash` kills a tab's renderer without
//     unload. Ten dashboards put this 2-core machine at a load average of 10 to 14 (2026-11-30:
//     the ten-tab scenarios failed on leader samples and role labels with the code of 2e8bd6b as
//     with its successor), so its scenarios of many tabs open the bare app tab too.
//   Firefox (a stock Firefox ESR over WebDriver BiDi): no command crashes a tab (navigating to
//     about:crashcontent is refused as an unsupported operation, and killing a content process
//     kills the whole browser under Playwright), so crash scenarios are skipped there. Ten
//     dashboards kept both cores of the test machine busy (the parent process alone at 113% CPU,
//     page.evaluate taking seconds, answers late enough to cost spurious steals), so scenarios of
//     many tabs open the bare app tab (/bench.html: the same cache and options, nothing drawn).
//   WebKit (WebKitGTK's MiniBrowser over classic WebDriver, webkit/): each tab has its own web
//     process, but WebKitWebDriver ends the whole session when one dies ("session deleted because
//     of page crash or hang", measured by killing it), so crash scenarios are skipped there. A
//     command to a busy tab waits for it, and classic WebDriver runs one command at a time: the
//     busy loop starts just after its command answers, and the lane holds that tab's commands
//     until the thaw (webkit/page.ts); a hang the page starts when it chooses (once its fetch is
//     in flight) cannot be waited out that way (cannotHangFromInside).
//   All: a frozen tab is a tab whose main thread is kept busy (freezeFor), which no engine can
//     refuse.

import type { BrowserContext, Page } from '@playwright/test';
import { WebKitPage } from './webkit/page';

export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** Why a scenario that crashes a tab cannot run in this engine; null when it can. */
export function cannotCrash(engine: EngineName): string | null {
  if (engine === 'webkit')
    return 'WebKitWebDriver ends the whole session (every tab) when one tab’s web process dies';
  return engine === 'chromium'
    ? null
    : `${engine} over WebDriver BiDi has no way to crash one tab: about:crashcontent is refused ` +
        '(unsupported operation) and killing its content process kills the whole browser';
}

/** Why a scenario cannot have the user dismiss a `beforeunload` prompt in this engine; null when it can. */
export function cannotDismissPrompt(engine: EngineName): string | null {
  return engine === 'webkit'
    ? 'the lane clicks by script, which gives the page no user activation, and a page without it gets no beforeunload prompt'
    : null;
}

/**
 * Why a scenario whose page hangs itself at a moment of its own (not `freezeFor`'s, which the lane
 * knows) cannot run in this engine; null when it can.
 */
export function cannotHangFromInside(engine: EngineName): string | null {
  return engine === 'webkit'
    ? 'classic WebDriver runs one command at a time, and a command sent to a tab whose main thread ' +
        'is busy waits for it: a hang the page starts when it chooses would hold up every other tab’s commands'
    : null;
}

/** Kills `page`'s renderer with no unload and no goodbye: only the browser releases its locks. */
export async function crashTab(context: BrowserContext, page: Page): Promise<void> {
  await (await readyToCrash(context, page))();
}

/**
 * The CDP session attached beforehand, so that a timed crash counts the crash alone: the returned
 * function crashes `page` and resolves when Playwright sees it gone.
 */
export async function readyToCrash(context: BrowserContext, page: Page): Promise<() => Promise<void>> {
  const cdp = await context.newCDPSession(page);
  return async () => {
    const crashed = page.waitForEvent('crash');
    cdp.send('Page.crash').catch(() => {}); // never answers: the page is gone
    await crashed;
  };
}

/** A freeze as the page runs it: busy for `ms`, after telling the channel `mark`; returns when it began. */
type Freeze = (args: { ms: number; mark: string | null }) => number;

/**
 * Freezes `page` for `ms`: its main thread runs nothing else meanwhile (no timer, no message, no
 * lock callback), while it keeps its Web Locks; what piled up runs when it thaws. That is a frozen
 * or hung tab as the other tabs see it. (CDP's Page.setWebLifecycleState 'frozen' would be the
 * obvious tool in Chromium, but the headless Chromium 156 here ignores it for a visible page:
 * measured, its timers and Worker messages ran on at full rate and no 'freeze' event fired.
 * WebDriver BiDi has no such command at all.)
 */
export async function freezeFor(page: Page, ms: number, mark?: string): Promise<number> {
  // Resolves, after the thaw, with the page's Date.now() when the freeze began: what the page did
  // until then (a fetch that was finishing when the command arrived) it did before the freeze.
  // With `mark`, the page tells the BroadcastChannel of that name when, in the same task: the
  // message leaves while the page is already stuck (hardening-probes.ts's hangSeen).
  const freeze: Freeze = ({ ms, mark }) => {
    const start = Date.now();
    if (mark !== null) {
      const channel = new BroadcastChannel(mark);
      channel.postMessage(start);
      channel.close();
    }
    while (Date.now() < start + ms) {
      // busy: nothing else runs in this tab
    }
    return start;
  };
  if (!(page instanceof WebKitPage)) return page.evaluate(freeze, { ms, mark: mark ?? null });
  // WebKit's lane: the freeze starts just after its command answers; the lane holds this tab's
  // commands until the thaw, then asks it when the freeze began.
  const startsBy = await page.startSoon(freeze, { ms, mark: mark ?? null }, 20);
  page.frozenUntil = startsBy + ms;
  return Number(await page.laterResult());
}

/** The page a scenario of many tabs opens in this engine (see the top of this file): the bare app tab. */
export function manyTabsPath(_engine: EngineName): '/' | '/bench.html' {
  return '/bench.html';
}
