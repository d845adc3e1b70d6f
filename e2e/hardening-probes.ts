// Probes for the hardening scenarios (hardening.spec.ts): a hang whose start another tab sees,
// reads timed inside a page, a token's claims, the R27 bound of a page's options, and the token
// server's request arrival times. Everything goes through the public API and the server's
// endpoints, as in page-state.ts and server-api.ts.

import { type APIRequestContext, expect, type Page } from '@playwright/test';
import type { ServerHistory } from '../playground/server/contract';
import type { TestWindow } from './page-state';

/** What a page under these probes has on `window`, besides the cache. */
type ProbeWindow = TestWindow & {
  __hangSeen?: Promise<number>;
  __reads?: Read[];
  __readTimer?: ReturnType<typeof setInterval>;
};

/** One getToken in a page: when it began and settled (the page's Date.now()), and how. */
export interface Read {
  start: number;
  /** null while pending. */
  end: number | null;
  /** 'pending', `ok:<jti>`, or the rejection's code. */
  outcome: string;
}

// ---------------------------------------------------------------------------------------------
// A hang another tab sees begin

/**
 * Prepares `watcher` to see the hang of another tab begin (engine.ts's `freezeFor`, or
 * `hangOnceFetching`, with the same `mark`). Call it before the hang; then `hangSeen` resolves once the hung tab's main thread is busy (no
 * message, timer or lock callback of its own runs from then on), to the moment the hang began
 * (the hung tab's Date.now(): one machine clock, whatever the message's delay).
 */
export async function watchForHang(watcher: Page, mark: string): Promise<void> {
  await watcher.evaluate((mark) => {
    (window as unknown as ProbeWindow).__hangSeen = new Promise<number>((resolve) => {
      const channel = new BroadcastChannel(mark);
      channel.onmessage = (event: MessageEvent<number>) => {
        channel.close();
        resolve(event.data);
      };
    });
  }, mark);
}

export function hangSeen(watcher: Page): Promise<number> {
  return watcher.evaluate(() => {
    const seen = (window as unknown as ProbeWindow).__hangSeen;
    if (!seen) throw new Error('hangSeen: call watchForHang on this page first');
    return seen;
  });
}

/**
 * Calls getToken(key) in `page` and hangs the page (as `freezeFor` with a mark does) the moment the token server has
 * a request in flight, all inside the page: no round trip of the test runner (up to a second in
 * Firefox) between the request and the hang. With a server latency longer than the few
 * milliseconds that takes (check it with the request's arrival and `hangSeen`), the page hangs
 * before the answer can reach it: its fetch, and any lock it holds for it, hang with it. Rejects
 * without hanging if no request is in flight within 10 s.
 */
export function hangOnceFetching(page: Page, key: string, ms: number, mark: string): Promise<void> {
  return page.evaluate(
    async ({ key, ms, mark }) => {
      const called = Date.now();
      (window as unknown as TestWindow).tokenCache.getToken(key).catch(() => {});
      const stats = async () => (await (await fetch('/api/stats')).json()) as { inFlight: number };
      while ((await stats()).inFlight < 1) {
        if (Date.now() - called > 10_000) throw new Error('no token request in flight 10 s after getToken');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const channel = new BroadcastChannel(mark);
      channel.postMessage(Date.now());
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // busy: nothing else runs in this tab
      }
      channel.close();
    },
    { key, ms, mark },
  );
}

// ---------------------------------------------------------------------------------------------
// Reads timed in a page

/** Starts a getToken(key) in `page` every `everyMs`, each timed and recorded (see `reads`). */
export async function startReads(page: Page, key: string, everyMs: number): Promise<void> {
  await page.evaluate(
    ({ key, everyMs }) => {
      const w = window as unknown as ProbeWindow;
      const reads: Read[] = [];
      w.__reads = reads;
      const read = () => {
        const entry: Read = { start: Date.now(), end: null, outcome: 'pending' };
        reads.push(entry);
        w.tokenCache.getToken(key).then(
          (token) => {
            const payload = token.split('.')[1] ?? '';
            const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
              jti?: unknown;
            };
            entry.outcome = `ok:${String(claims.jti)}`;
            entry.end = Date.now();
          },
          (error: unknown) => {
            const code = (error as { code?: unknown }).code;
            entry.outcome = typeof code === 'string' ? code : `threw:${String(error)}`;
            entry.end = Date.now();
          },
        );
      };
      read();
      w.__readTimer = setInterval(read, everyMs);
    },
    { key, everyMs },
  );
}

/** Stops starting reads in `page` (those under way go on settling). */
export async function stopReads(page: Page): Promise<void> {
  await page.evaluate(() => clearInterval((window as unknown as ProbeWindow).__readTimer));
}

/** The reads of `page` so far, with the page's Date.now() of this moment. */
export function reads(page: Page): Promise<{ now: number; reads: Read[] }> {
  return page.evaluate(() => ({ now: Date.now(), reads: (window as unknown as ProbeWindow).__reads ?? [] }));
}

/**
 * Reads that took longer than `boundMs` (pending ones counted up to `now`), described: the first
 * ten, then how many more.
 */
export function slowReads({ now, reads }: { now: number; reads: Read[] }, boundMs: number): string[] {
  const slow = reads.flatMap((read, i) => {
    const took = (read.end ?? now) - read.start;
    const pending = read.end === null ? ' (pending)' : '';
    return took > boundMs ? [`read ${i}: ${read.outcome} after ${took} ms${pending}`] : [];
  });
  return slow.length > 10 ? [...slow.slice(0, 10), `… and ${slow.length - 10} more`] : slow;
}

// ---------------------------------------------------------------------------------------------
// Tokens, bounds, the server

/** The `iat` and `jti` of the token `page` would serve now for `key`, or null when it has none. */
export function peekClaims(page: Page, key = 'default'): Promise<{ iat: number; jti: string } | null> {
  return page.evaluate((key) => {
    const token = (window as unknown as TestWindow).tokenCache.peekToken(key);
    if (token === null) return null;
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      iat?: unknown;
      jti?: unknown;
    };
    return { iat: Number(claims.iat), jti: String(claims.jti) };
  }, key);
}

/**
 * R27: every getToken settles within fetchTimeoutMs + 2 × the answer timeout + one poll interval.
 * The answer timeout is half a poll, within 50 ms to 1 s (SPEC R12, src/rules.ts). Read from the
 * options the page's cache actually runs with.
 */
export async function settleBoundMs(page: Page): Promise<number> {
  const { fetchTimeoutMs, pollIntervalMs } = await page.evaluate(() => {
    const { fetchTimeoutMs, pollIntervalMs } = (window as unknown as TestWindow).tokenCache.options;
    return { fetchTimeoutMs, pollIntervalMs };
  });
  return fetchTimeoutMs + 2 * answerTimeoutMs(pollIntervalMs) + pollIntervalMs;
}

export function answerTimeoutMs(pollMs: number): number {
  return Math.min(1000, Math.max(50, pollMs / 2));
}

/** Arrival times (the server's Date.now(), the machine's clock) of the token requests of the last minutes. */
export async function requestArrivals(request: APIRequestContext): Promise<number[]> {
  const res = await request.get('/api/history');
  expect(res.ok(), `GET /api/history answered ${res.status()}`).toBe(true);
  return ((await res.json()) as ServerHistory).requests;
}
