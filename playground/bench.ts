// A tab for `npm run bench`: the same cache, options and token calls as the dashboard, without
// drawing anything, so that 50 tabs measure the library rather than the page's rendering.

import { createTokenCache } from '../src/index';
import { cacheOptions, key } from './app';

const cache = createTokenCache(cacheOptions());
window.tokenCache = cache;
setInterval(() => {
  cache.getToken(key).catch(() => {});
}, 1_000);
