// A consumer's module, as an app would write it against the published package: strict types,
// the public names only, the cache a module-level singleton.
import { createTokenCache, type TokenCache, TokenCacheError, type TokenCacheOptions } from 'tab-token-cache';

const options: TokenCacheOptions = {
  name: 'consumer',
  fetchToken: async (key, { signal }) => {
    const res = await fetch(`/token?key=${encodeURIComponent(key)}`, { signal });
    if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
    const body: unknown = await res.json();
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof (body as { token?: unknown }).token !== 'string'
    ) {
      throw new Error('token endpoint answered no token');
    }
    return (body as { token: string }).token;
  },
};

export const tokens: TokenCache = createTokenCache(options);

export async function firstToken(): Promise<string> {
  try {
    return await tokens.getToken();
  } catch (error) {
    if (error instanceof TokenCacheError) return `error:${error.code}`;
    throw error;
  }
}
