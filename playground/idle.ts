// A tab for the idle rows of `npm run bench` (wake-ups of an idle follower and of the leader; token
// requests of an idle group): the playground's cache and options from the URL, one getToken at
// start, then one a second only with `?read=1`. Nothing else runs in the page, so whatever wakes it
// up afterwards is the library. Nothing here reads the token otherwise (no peekToken polling
// either): a read would keep the key in use (R21).

import { createTokenCache } from '../src/index';
import { cacheOptions, key } from './app';

declare global {
  interface Window {
    /** The outcome of the first getToken: 'ok', or the error's code and message. */
    firstRead?: string;
    /** Why createTokenCache threw, when it did (e.g. an option this library does not know). */
    tokenCacheError?: string;
  }
}

const status = document.getElementById('status');
const show = (text: string) => {
  if (status) status.textContent = text;
};
const explain = (error: unknown) =>
  error instanceof Error
    ? `${(error as { code?: unknown }).code ?? error.name}: ${error.message}`
    : String(error);

function start(): void {
  let cache: ReturnType<typeof createTokenCache>;
  try {
    cache = createTokenCache(cacheOptions());
  } catch (error) {
    window.tokenCacheError = explain(error);
    show(`createTokenCache failed: ${window.tokenCacheError}`);
    return;
  }
  window.tokenCache = cache;
  cache.getToken(key).then(
    () => {
      window.firstRead = 'ok';
      show('holding a token');
    },
    (error: unknown) => {
      window.firstRead = explain(error);
      show(`first getToken failed: ${window.firstRead}`);
    },
  );
  if (new URLSearchParams(location.search).get('read') === '1') {
    setInterval(() => {
      cache.getToken(key).catch(() => {});
    }, 1_000);
  }
}

start();
