/// <reference lib="webworker" />
// The playground's service worker (R32): a member of the page's group that never leads. It
// attaches the group's token to the page's calls to /api/protected that carry none (the recipe
// in docs/recipes.md), and answers GET /sw/token?<the page's options> with what its cache holds.

import { createTokenCache, type TokenCache } from '../src/index';
import { fetchToken, verifyToken } from './app';
import { type WorkerOptions, workerReport } from './workers/report';

declare const self: ServiceWorkerGlobalScope;

let cache: TokenCache | undefined;

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/sw/token') {
    const options = JSON.parse(url.searchParams.get('options') ?? '{}') as WorkerOptions;
    cache ??= createTokenCache({ ...options, fetchToken, verifyToken });
    const key = url.searchParams.get('key') ?? 'default';
    event.respondWith(workerReport(cache, key).then((report) => Response.json(report)));
    return;
  }
  const tokens = cache;
  if (url.pathname === '/api/protected' && tokens && !event.request.headers.has('authorization')) {
    event.respondWith(
      tokens.getToken().then((token) => {
        const headers = new Headers(event.request.headers);
        headers.set('authorization', `Bearer ${token}`);
        return fetch(new Request(event.request, { headers }));
      }),
    );
  }
});
