// The event recorder: every page logs its cache's token, error, clear, leader and identity events from creation on.

import type { Page } from '@playwright/test';
import type { TokenCache } from '../src/index';
import type { TestWindow } from './page-state';

/** What a test records inside a page (see `recorded`). */
export interface Recorded {
  tokens: { jti: string | null; source: string; at: number; expiresAt: number }[];
  errors: { key: string; code: string; at: number }[];
  clears: { origin: string; reason?: string; at: number }[];
  leader: { isLeader: boolean; reason: string; at: number }[];
  identities: { previous: string; current: string; at: number }[];
}

/**
 * Runs in every page before its scripts (an init script, installed by PageWatch): catches the
 * moment the page sets `window.tokenCache` and subscribes to every event of that cache from its
 * creation on. Read the log with `recorded`.
 */
export function installRecorder(): void {
  const w = window as unknown as TestWindow;
  const log: Recorded = { tokens: [], errors: [], clears: [], leader: [], identities: [] };
  w.__e2e = log;
  const jtiOf = (token: string): string | null => {
    try {
      const payload = token.split('.')[1] ?? '';
      const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { jti?: unknown };
      return typeof claims.jti === 'string' ? claims.jti : null;
    } catch {
      return null;
    }
  };
  let cache: TokenCache | undefined;
  Object.defineProperty(window, 'tokenCache', {
    configurable: true,
    enumerable: true,
    get: () => cache,
    set: (value: TokenCache) => {
      cache = value;
      if (typeof value?.on !== 'function') return;
      value.on('token', (e) =>
        log.tokens.push({ jti: jtiOf(e.token), source: e.source, at: Date.now(), expiresAt: e.expiresAt }),
      );
      value.on('error', (e) => log.errors.push({ key: e.key, code: e.error.code, at: Date.now() }));
      value.on('clear', (e) => log.clears.push({ origin: e.origin, reason: e.reason, at: Date.now() }));
      value.on('leader', (e) => log.leader.push({ isLeader: e.isLeader, reason: e.reason, at: Date.now() }));
      value.on('identity', (e) =>
        log.identities.push({ previous: e.previous, current: e.current, at: Date.now() }),
      );
    },
  });
}

export function recorded(page: Page): Promise<Recorded> {
  return page.evaluate(() => {
    const log = (window as unknown as TestWindow).__e2e;
    if (!log) throw new Error('this page has no event recorder (was its context watched?)');
    return log;
  });
}
