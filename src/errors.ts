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

/** Never log a token in full: its first characters are enough to tell two apart. */
export function redact(jwt: string): string {
  return jwt.length <= 12 ? '[redacted]' : `${jwt.slice(0, 8)}…(${jwt.length} chars)`;
}

const causeText = (cause: unknown): string => (cause instanceof Error ? `: ${cause.message}` : '');

export function notAJwtError(key: string, value: unknown): TokenCacheError {
  return new TokenCacheError(
    'invalid_token',
    `fetchToken for key "${key}" returned ${typeof value === 'string' ? 'a string that is not a JWT' : `a ${typeof value}`}; it must return a compact JWT string (header.payload.signature)`,
  );
}

export function undecodableError(key: string, jwt: string, cause: unknown): TokenCacheError {
  return new TokenCacheError(
    'invalid_token',
    `The token for key "${key}" (${redact(jwt)}) could not be decoded as a JWT`,
    { cause },
  );
}

export function noClaimsError(key: string, jwt: string): TokenCacheError {
  return new TokenCacheError(
    'invalid_token',
    `The token for key "${key}" (${redact(jwt)}) has no numeric "iat" and "exp" claims; the token server must set both`,
  );
}

export function ttlTooShortError(
  key: string,
  ttlSeconds: number,
  usableMs: number,
  cutoffMs: number,
): TokenCacheError {
  return new TokenCacheError(
    'token_ttl_too_short',
    `The token for key "${key}" lives ${ttlSeconds} s (usable ${usableMs / 1000} s), no longer than hardCutoffSeconds (${cutoffMs / 1000} s), so it could never be served; issue longer-lived tokens or lower hardCutoffSeconds`,
  );
}

export function verificationError(key: string, jwt: string, cause: unknown): TokenCacheError {
  return new TokenCacheError(
    'verification_failed',
    `verifyToken rejected the token for key "${key}" (${redact(jwt)})${causeText(cause)}`,
    { cause },
  );
}

export function fetchTimeoutError(key: string, timeoutMs: number): TokenCacheError {
  return new TokenCacheError(
    'fetch_failed',
    `fetchToken for key "${key}" did not settle within fetchTimeoutMs (${timeoutMs} ms) and was aborted`,
  );
}

export function fetchFailedError(key: string, cause: unknown): TokenCacheError {
  return new TokenCacheError('fetch_failed', `fetchToken for key "${key}" failed${causeText(cause)}`, {
    cause,
  });
}

/** The fetch another tab made for this one failed: its error, as that tab reported it. */
export function failedElsewhereError(code: TokenCacheErrorCode, message: string): TokenCacheError {
  return new TokenCacheError(code, message);
}
