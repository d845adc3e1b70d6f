// The module-level singleton of the recipe (docs/recipes.md): one cache per page, made when the module
// loads, never inside a component (StrictMode mounts every component twice).

import { createTokenCache } from '../../src/index';
import { cacheOptions } from '../app';

export const tokens = createTokenCache(cacheOptions());
window.tokenCache = tokens;
