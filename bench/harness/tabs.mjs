// Opening and closing playground tabs: bench.html tabs that record their tokens and leadership,
// idle.html tabs, unique cache names.

import { BASE, CUTOFF, LEEWAY, POLL } from './settings.mjs';

let run = 0;
/** A cache name no other group of this run uses. */
export const uniqueName = (prefix) => `${prefix}${++run}`;

// bench.html: the playground's cache, options and once-a-second getToken, without the dashboard.
const url = (name) => `${BASE}/bench.html?poll=${POLL}&leeway=${LEEWAY}&cutoff=${CUTOFF}&name=${name}`;

/** Opens one tab per name; each records when it got each new token and when it became leader. */
export async function openTabs(context, names) {
  const pages = [];
  for (const name of names) {
    const page = await context.newPage();
    await page.goto(url(name));
    await page.waitForFunction(() => window.tokenCache !== undefined);
    await page.evaluate(() => {
      const now = () => performance.timeOrigin + performance.now();
      window.__tokens = [];
      window.__leaderAt = 0;
      window.tokenCache.on('token', (e) => window.__tokens.push([e.token, now()]));
      window.tokenCache.on('leader', ({ isLeader }) => {
        if (isLeader) window.__leaderAt = now();
      });
    });
    pages.push(page);
  }
  return pages;
}

/** Resolves once every page serves a token. */
export const holdToken = (pages) =>
  Promise.all(pages.map((p) => p.waitForFunction(() => window.tokenCache.peekToken() !== null)));

/** Closes every cache of the context (so no lock or fetch outlives it), then the context. */
export async function closeAll(context) {
  for (const p of context.pages()) await p.evaluate(() => window.tokenCache.close()).catch(() => {});
  await context.close();
}

/** An idle.html tab: resolves once its first getToken settled, or to the createTokenCache error. */
export async function openIdleTab(context, pageUrl) {
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.firstRead !== undefined || window.tokenCacheError !== undefined, {
    timeout: 30_000,
  });
  const { firstRead, error } = await page.evaluate(() => ({
    firstRead: window.firstRead,
    error: window.tokenCacheError,
  }));
  if (error === undefined && firstRead !== 'ok') throw new Error(`first getToken failed: ${firstRead}`);
  return { page, error };
}
