// Row `takeover` (table 4): leader takeover time, 3 tabs, 10 trials each for a closed and a
// crashed leader: from Node's Date.now() just before the close/crash to the `leader` event of the
// tab that takes over (read in that page).

import { median, sleep } from '../harness/stats.mjs';
import { openTabs, uniqueName } from '../harness/tabs.mjs';

export const ROW = 'takeover';
export const DEV_SERVER = true;

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

/** Ten trials with the leader closed, then ten with it crashed. */
export async function measure(browser) {
  const close = await takeover(browser, 'close');
  const crash = await takeover(browser, 'crash');
  console.log(`takeover: close ${median(close)} ms, crash ${median(crash)} ms`);
  return { close, crash };
}

/** Table 4 of bench/RESULTS.md. */
export function section({ close, crash }) {
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
}
