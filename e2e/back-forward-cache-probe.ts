// How each engine says whether a page came back from the back/forward cache, and why not, and
// how a scenario presses Back.
//
//   Chromium: the DevTools protocol's `Page.backForwardCacheNotUsed`, with its reasons
//     (UnloadHandlerExistsInMainFrame, BroadcastChannelOnMessage, WebLocks...).
//   Firefox: no API gives the reasons (no notRestoredReasons, no CDP); its own log does. The
//     `firefox-bfcache` project launches Firefox with MOZ_LOG=sync,SHIPBFCache:5 writing to
//     FIREFOX_CACHE_LOG, where each page leaving is checked as
//       Checking http://…/bench.html?…
//        * has active Web Locks
//        +> http://…/bench.html?… should be blocked from going into the BFCache
//     Playwright's `page.goBack()` and `waitForURL()` never return in Firefox over BiDi when the
//     page comes back from the cache, so Back is `history.back()` there.
//   WebKit: no reasons at all (webkitProbe); Back is WebDriver's own.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import type { EngineName } from './engine';

/**
 * Where Firefox writes its back/forward cache log (it appends `.moz_log`, and a suffix for each
 * child process): one per test worker, under Playwright's output folder, which each run empties.
 */
export const FIREFOX_CACHE_LOG = resolve('test-results', 'firefox-logs', `bfcache-${process.pid}`);

export interface CacheProbe {
  /** Forgets what was seen so far: a trip starts. */
  reset(): void;
  /** Why the engine did not keep the page at `url` in (or restore it from) the cache since `reset`. */
  reasons(url: string): string[];
}

export async function probeBackForwardCache(
  engine: EngineName,
  context: BrowserContext,
  page: Page,
): Promise<CacheProbe> {
  if (engine === 'chromium') return chromiumProbe(context, page);
  return engine === 'firefox' ? firefoxProbe() : webkitProbe();
}

/**
 * WebKit gives no reason (no DevTools protocol over WebDriver, no notRestoredReasons, no log of
 * its decision in a release build): the page's own `pageshow` with `persisted` is all there is.
 */
function webkitProbe(): CacheProbe {
  return { reset: () => {}, reasons: () => [] };
}

async function chromiumProbe(context: BrowserContext, page: Page): Promise<CacheProbe> {
  const reasons: string[] = [];
  const cdp = await context.newCDPSession(page);
  cdp.on('Page.backForwardCacheNotUsed', (event) => {
    for (const { type, reason, context: detail } of event.notRestoredExplanations) {
      reasons.push(`${reason} (${type}${detail ? `: ${detail}` : ''})`);
    }
  });
  await cdp.send('Page.enable');
  return {
    reset: () => {
      reasons.length = 0;
    },
    reasons: () => [...reasons],
  };
}

/** Every log file Firefox wrote for FIREFOX_CACHE_LOG (the parent's and each child's), by name. */
function firefoxLogs(): Map<string, string> {
  const dir = dirname(FIREFOX_CACHE_LOG);
  const prefix = basename(FIREFOX_CACHE_LOG);
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir)
      .filter((file) => file.startsWith(prefix))
      .map((file) => [file, readFileSync(join(dir, file), 'utf8')]),
  );
}

function firefoxProbe(): CacheProbe {
  /** How much of each log file was there at the last reset: only what follows is this trip's. */
  let seen = new Map<string, number>();
  const mark = () => {
    seen = new Map([...firefoxLogs()].map(([file, text]) => [file, text.length]));
  };
  mark();
  return {
    reset: mark,
    reasons: (url) => {
      const reasons: string[] = [];
      for (const [file, text] of firefoxLogs()) {
        let checking = false;
        for (const line of text.slice(seen.get(file) ?? 0).split('\n')) {
          const entry = line.replace(/^.*SHIPBFCache /, '');
          if (entry.startsWith('Checking ')) checking = entry.slice('Checking '.length).trim() === url;
          else if (checking && entry.startsWith(' * ')) reasons.push(entry.slice(3).trim());
          else if (checking && entry.startsWith(' +> ')) checking = false;
        }
      }
      return reasons;
    },
  };
}

/** Presses Back and waits until the tab shows `url` again. */
export async function goBack(engine: EngineName, page: Page, url: string): Promise<void> {
  if (engine !== 'firefox') {
    // A page restored from the cache fires no `load`: wait for the commit only. (WebKit's lane:
    // WebDriver's own Back, which waits for the traversal; a script command sent into a page as
    // it entered the cache never answered, and held the whole session up, 1 run in 16.)
    await page.goBack({ waitUntil: 'commit' });
    return;
  }
  // Nor does waitForURL for a restored page: the tab itself is asked where it is.
  await page.evaluate(() => history.back());
  await page.waitForFunction((url) => location.href === url, url, { polling: 50 });
}
