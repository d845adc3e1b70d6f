// A tab for `npm run bench` and the end-to-end scenarios of many tabs: the same cache, options and
// token calls as the dashboard, without drawing anything, so that 50 tabs measure the library
// rather than the page's rendering. Once a second it reads its key's token, as an app does; the
// URL can make it do more, once a second too, from the start (no test has to inject it):
//   ?also=second,third  read these keys' tokens as well
//   ?calls=1            call GET /api/protected through tokens.fetch (the key's token), and count
//                       the outcomes in window.protectedCalls

import { createTokenCache } from '../src/index';
import { cacheOptions, key } from './app';

declare global {
  interface Window {
    /** With `?calls=1`: this tab's protected calls, by outcome. */
    protectedCalls?: { made: number; ok: number; refused: number; noToken: number };
  }
}

const params = new URLSearchParams(location.search);
const keys = [key, ...(params.get('also') ?? '').split(',').filter((each) => each !== '' && each !== key)];
const calls = params.get('calls') === '1' ? { made: 0, ok: 0, refused: 0, noToken: 0 } : undefined;

const cache = createTokenCache(cacheOptions());
window.tokenCache = cache;
window.protectedCalls = calls;
setInterval(() => {
  for (const each of keys) cache.getToken(each).catch(() => {});
  if (calls === undefined) return;
  calls.made++;
  cache.fetch('/api/protected', { tokenKey: key }).then(
    (res) => void (res.ok ? calls.ok++ : calls.refused++),
    () => void calls.noToken++,
  );
}, 1_000);
