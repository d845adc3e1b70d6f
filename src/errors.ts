/** Every failure the library raises carries one of these stable codes. */
export type TokenCacheErrorCode =
  | 'invalid_options'
  | 'fetch_failed'
  | 'invalid_token'
  | 'token_ttl_too_short'
  | 'verification_failed'
  | 'cleared'
  | 'closed';

const CODES: ReadonlySet<string> = new Set<TokenCacheErrorCode>([
  'invalid_options',
  'fetch_failed',
  'invalid_token',
  'token_ttl_too_short',
  'verification_failed',
  'cleared',
  'closed',
]);

export class TokenCacheError extends Error {
  readonly code: TokenCacheErrorCode;

  constructor(code: TokenCacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenCacheError';
    this.code = code;
  }
}

export function closedError(): TokenCacheError {
  return new TokenCacheError('closed', 'This token cache was closed; create a new one to get tokens again');
}

export function isErrorCode(value: unknown): value is TokenCacheErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

export function clearedError(key?: string): TokenCacheError {
  return new TokenCacheError(
    'cleared',
    `clear() signed out every tab while ${key ? `the token for key "${key}"` : 'this call'} was on its way; its token was dropped. Sign in again, then call getToken`,
  );
}

export function noTokenError(key: string): TokenCacheError {
  return new TokenCacheError('fetch_failed', `No token could be obtained for key "${key}"`);
}

export function invalidOptions(message: string): TokenCacheError {
  return new TokenCacheError('invalid_options', message);
}

/** Any failure as a TokenCacheError: ours as they are, anything else as fetch_failed. */
export function asTokenCacheError(error: unknown): TokenCacheError {
  return error instanceof TokenCacheError ? error : new TokenCacheError('fetch_failed', String(error));
}

/** True for the errors that end a call because the cache was signed out or closed, not a failure. */
export function isInterruption(error: unknown): boolean {
  return error instanceof TokenCacheError && (error.code === 'cleared' || error.code === 'closed');
}
