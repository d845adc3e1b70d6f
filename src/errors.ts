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
