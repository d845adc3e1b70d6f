// Reading a tab through the public API (`window.tokenCache`): its token, its role, its stats, a getToken.

import type { Page } from '@playwright/test';
import type { TokenCache } from '../src/index';
import type { Recorded } from './recorder';

/** `window` as the playground page has it, plus what the event recorder installs. */
export type TestWindow = Window & { tokenCache: TokenCache; __e2e?: Recorded };

export type CacheStats = ReturnType<TokenCache['stats']>;

/** The jti of the token the page would serve now (peekToken), or null when it has none. */
export function peekJti(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const token = (window as unknown as TestWindow).tokenCache.peekToken('default');
    if (token === null) return null;
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { jti?: unknown };
    return typeof claims.jti === 'string' ? claims.jti : '?';
  });
}

export function peekJtis(pages: readonly Page[]): Promise<(string | null)[]> {
  return Promise.all(pages.map(peekJti));
}

export function isLeader(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as TestWindow).tokenCache.isLeader);
}

export function cacheStats(page: Page): Promise<CacheStats> {
  return page.evaluate(() => (window as unknown as TestWindow).tokenCache.stats());
}

/** Indexes of the pages whose cache says it leads. */
export async function leaderIndexes(pages: readonly Page[]): Promise<number[]> {
  const flags = await Promise.all(pages.map(isLeader));
  return flags.flatMap((flag, i) => (flag ? [i] : []));
}

/** Calls getToken in the page; resolves to `ok:<jti>` or the rejection's error code. */
export function tryGetToken(page: Page, forceRefresh = false): Promise<string> {
  return page.evaluate(async (force) => {
    try {
      const token = await (window as unknown as TestWindow).tokenCache.getToken('default', {
        forceRefresh: force,
      });
      const payload = token.split('.')[1] ?? '';
      const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { jti?: unknown };
      return `ok:${String(claims.jti)}`;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return typeof code === 'string' ? code : `threw:${String(error)}`;
    }
  }, forceRefresh);
}

/** Each page's getToken('default') now: 'ok', or the rejection's error code (tryGetToken). */
export function nextTokenCodes(pages: readonly Page[]): Promise<string[]> {
  return Promise.all(
    pages.map(async (page) => {
      const outcome = await tryGetToken(page);
      return outcome.startsWith('ok:') ? 'ok' : outcome;
    }),
  );
}
