import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TokenCache } from '../src/create.js';
import { inServiceWorker } from '../src/platform/scope.js';
import { across, groupOf, leaders } from './group.js';
import { pass, useSimulatedTabs } from './helpers.js';

// R32: a service worker joins the group of its name but never leads: it serves from the group,
// asks the leader on a miss, and fetches itself only when no tab leads. (Dedicated and shared
// workers are members like tabs; the end-to-end suite runs them in browsers.)

const tabs = useSimulatedTabs();
const { open, silenceableLeaderWith } = groupOf(tabs);

afterEach(() => {
  vi.unstubAllGlobals();
});

const serviceWorker = (): TokenCache => open({}, { canLead: false });

describe('R32: a service worker in the group', () => {
  it('is told apart from a page or a worker by its global scope, when the cache starts', () => {
    expect(inServiceWorker()).toBe(false);
    // `globalThis instanceof ServiceWorkerGlobalScope` is what a service worker's global answers true to.
    function ServiceWorkerGlobalScope() {}
    Object.defineProperty(ServiceWorkerGlobalScope, Symbol.hasInstance, {
      value: (x: unknown) => x === globalThis,
    });
    vi.stubGlobal('ServiceWorkerGlobalScope', ServiceWorkerGlobalScope);
    expect(inServiceWorker()).toBe(true);
  });

  it('never leads, even alone; with no tab leading it fetches itself, once for its concurrent callers', async () => {
    const sw = serviceWorker();
    await pass(500);
    expect(sw.isLeader).toBe(false);
    const [a, b] = [sw.getToken(), sw.getToken()];
    await pass(100);
    expect(await a).toBe(await b);
    expect(tabs.server.requests).toBe(1);
    expect(sw.isLeader).toBe(false);
  });

  it("gets the group's token from the leader with 0 requests, and the leader's refreshes after it", async () => {
    const tab = open();
    await pass(200);
    const token = await across(tab.getToken(), 100);
    const sw = serviceWorker();
    await pass(200);
    expect(sw.peekToken()).toBe(token); // the snapshot on joining
    expect(tabs.server.requests).toBe(1);
    await pass(50_000); // the leader refreshes at 45 s and broadcasts
    expect(tabs.server.requests).toBe(2);
    expect(sw.peekToken()).not.toBe(token);
    expect(sw.peekToken()).toBe(tab.peekToken());
    expect(leaders([tab, sw])).toEqual([tab]);
  });

  it('a miss asks the leader; a leader that does not answer is not stolen from, the worker fetches itself once', async () => {
    const { control, leader } = await silenceableLeaderWith(0);
    const sw = serviceWorker();
    await pass(200);
    control.silence(true);
    const token = await across(sw.getToken('k'), 3_000);
    expect(token).toMatch(/\./);
    expect(leader.isLeader).toBe(true);
    expect(sw.isLeader).toBe(false);
    expect(tabs.server.byKey.get('k')).toBe(1);
  });

  it('when the leading tab closes, a service worker does not take over; the next tab does', async () => {
    const tab = open();
    await pass(200);
    const sw = serviceWorker();
    await pass(200);
    const next = open();
    await pass(200);
    const closing = tab.close();
    await pass(200);
    await closing;
    expect(sw.isLeader).toBe(false);
    expect(next.isLeader).toBe(true);
  });
});
