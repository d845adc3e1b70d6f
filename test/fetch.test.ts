import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TokenCacheError } from '../src/index.js';
import { pass, useSimulatedTabs } from './helpers.js';

const tabs = useSimulatedTabs();

/**
 * A protected API on the fake clock: it records each request's Authorization header and answers
 * 401 to the tokens in `refused` (or to every token while `refuseAll`).
 */
function protectedApi() {
  const api = {
    seen: [] as { auth: string | null; body: string | null }[],
    refused: new Set<string>(),
    refuseAll: false,
    fetch: vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const request = new Request(input, init);
      const auth = request.headers.get('authorization');
      api.seen.push({ auth, body: request.body ? await request.text() : null });
      const token = auth?.replace(/^Bearer /, '') ?? '';
      const refuse = api.refuseAll || api.refused.has(token);
      return new Response(refuse ? '{"error":"expired"}' : '{"ok":true}', { status: refuse ? 401 : 200 });
    }),
  };
  vi.stubGlobal('fetch', api.fetch);
  return api;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('R25: tokens.fetch', () => {
  it("sends the key's token as a Bearer Authorization header, keeping the caller's headers", async () => {
    const api = protectedApi();
    const cache = tabs.open();
    const token = await cache.getToken('k');
    const res = await cache.fetch('https://api.test/x', { tokenKey: 'k', headers: { 'X-App': '1' } });
    expect(res.status).toBe(200);
    expect(api.seen).toEqual([{ auth: `Bearer ${token}`, body: null }]);
    const sent = new Headers(api.fetch.mock.calls[0]?.[1]?.headers);
    expect(sent.get('x-app')).toBe('1');
    expect(api.fetch.mock.calls[0]?.[1]).not.toHaveProperty('tokenKey');
  });

  it('on 401 it retries once with a brand-new token, and returns the answer to the retry', async () => {
    const api = protectedApi();
    const cache = tabs.open();
    const first = await cache.getToken();
    api.refused.add(first);
    const res = await cache.fetch('https://api.test/x', { method: 'POST', body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(api.seen).toHaveLength(2);
    expect(api.seen[0]?.auth).toBe(`Bearer ${first}`);
    expect(api.seen[1]?.auth).not.toBe(`Bearer ${first}`);
    expect(api.seen[1]?.body).toBe('{"a":1}');
    expect(tabs.server.requests).toBe(2);
  });

  it('never loops: a second 401 is returned as it is', async () => {
    const api = protectedApi();
    api.refuseAll = true;
    const cache = tabs.open();
    const res = await cache.fetch('https://api.test/x');
    expect(res.status).toBe(401);
    expect(api.seen).toHaveLength(2);
    expect(tabs.server.requests).toBe(2);
  });

  it('does not retry a request whose body is a stream', async () => {
    const api = protectedApi();
    api.refuseAll = true;
    const cache = tabs.open();
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk'));
        controller.close();
      },
    });
    const res = await cache.fetch('https://api.test/x', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(api.seen).toHaveLength(1);
    expect(tabs.server.requests).toBe(1);
  });

  it('retries a Request without a body, and not a Request with one', async () => {
    const api = protectedApi();
    api.refuseAll = true;
    const cache = tabs.open();
    await cache.fetch(new Request('https://api.test/x'));
    expect(api.seen).toHaveLength(2);
    await cache.fetch(new Request('https://api.test/x', { method: 'POST', body: 'x' }));
    expect(api.seen).toHaveLength(3);
  });

  it('with no token for the first try it rejects with that TokenCacheError and sends nothing', async () => {
    const api = protectedApi();
    tabs.server.mode = 'fail';
    const cache = tabs.open();
    const error = (await cache.fetch('https://api.test/x').catch((e: unknown) => e)) as TokenCacheError;
    expect(error.code).toBe('fetch_failed');
    expect(api.fetch).not.toHaveBeenCalled();
  });

  it('with no new token for the retry it returns the first 401, and the failure is emitted once', async () => {
    const api = protectedApi();
    api.refuseAll = true;
    const cache = tabs.open();
    await cache.getToken();
    const errors: string[] = [];
    cache.on('error', ({ key, error }) => errors.push(`${key}:${error.code}`));
    tabs.server.mode = 'fail';
    const res = await cache.fetch('https://api.test/x');
    expect(res.status).toBe(401);
    expect(api.seen).toHaveLength(1);
    expect(errors).toEqual(['default:fetch_failed']);
  });

  it('R13: a call made before a clear() rejects cleared, and fetches no token after it (the code behind tokens.fetch loads on its first call)', async () => {
    const api = protectedApi();
    const cache = tabs.open();
    await cache.getToken();
    const requests = tabs.server.requests;
    const call = cache.fetch('https://api.test/x');
    cache.clear();
    await expect(call).rejects.toMatchObject({ code: 'cleared' });
    await pass(1_000);
    expect(tabs.server.requests, 'token requests after the clear').toBe(requests);
    expect(api.seen).toEqual([]);
  });

  it('honours init.signal: an aborted call sends nothing', async () => {
    const api = protectedApi();
    const cache = tabs.open();
    const controller = new AbortController();
    controller.abort();
    const error = (await cache
      .fetch('https://api.test/x', { signal: controller.signal })
      .catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('AbortError');
    expect(api.fetch).not.toHaveBeenCalled();
  });

  it('calls the globalThis.fetch of the moment', async () => {
    const cache = tabs.open();
    await cache.getToken();
    const before = protectedApi();
    await cache.fetch('https://api.test/x');
    const after = protectedApi();
    await cache.fetch('https://api.test/x');
    expect(before.seen).toHaveLength(1);
    expect(after.seen).toHaveLength(1);
    await pass(0);
  });
});
