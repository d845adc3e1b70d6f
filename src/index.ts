import { createTokenCacheWith, type TokenCache } from './create.js';
import type { TokenCacheOptions } from './options.js';

export type { TokenFetchInit } from './authorized-fetch.js';
export type { TokenSource } from './core/store.js';
export type { IdentityOf, TokenClaims, VerifyToken } from './core/token.js';
export type { GetTokenOptions, TokenCache, TokenCacheStats } from './create.js';
export { signedOut, TokenCacheError, type TokenCacheErrorCode } from './errors.js';
export type {
  ClearEvent,
  IdentityEvent,
  LeaderEvent,
  LeaderReason,
  TokenCacheEvents,
  TokenEvent,
} from './events.js';
export type { FetchToken, ResolvedOptions, TokenCacheOptions } from './options.js';

/**
 * One token cache for every tab of this origin that uses the same `name`: the tabs elect a
 * leader that alone polls and refreshes, and share every token it gets.
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  return createTokenCacheWith(options);
}
