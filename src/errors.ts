/** Every failure the library raises carries one of these stable codes. */
export type TokenCacheErrorCode =
  | 'invalid_options'
  | 'fetch_failed'
  | 'invalid_token'
  | 'token_ttl_too_short'
  | 'verification_failed'
  | 'cleared'
  | 'closed'
  | 'signed_out';

export class TokenCacheError extends Error {
  readonly code: TokenCacheErrorCode;
  /** For `signed_out`: why the endpoint said the session is gone (R29). */
  readonly reason: string | undefined;

  constructor(code: TokenCacheErrorCode, message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options);
    this.name = 'TokenCacheError';
    this.code = code;
    this.reason = options?.reason;
  }
}

/** The longest sign-out reason a tab keeps or passes on (R28). */
export const MAX_REASON = 200;

/**
 * Thrown by `fetchToken` when the endpoint says the session is gone (a 401 `invalid_grant`, a
 * revoked refresh token): the whole group signs out, as with clear(), and callers reject
 * `signed_out` (R29). Any other failure is an outage, never a sign-out.
 */
export function signedOut(reason: string): TokenCacheError {
  const why = String(reason).slice(0, MAX_REASON);
  return new TokenCacheError(
    'signed_out',
    `The token endpoint says the session is gone (${why}): sign in again`,
    {
      reason: why,
    },
  );
}

export function closedError(): TokenCacheError {
  return new TokenCacheError('closed', 'This token cache was closed; create a new one to get tokens again');
}

export function clearedError(key?: string): TokenCacheError {
  return new TokenCacheError(
    'cleared',
    `clear() signed out every tab while ${key ? `the token for key "${key}"` : 'this call'} was on its way; its token was dropped. Sign in again, then call getToken`,
  );
}

/** A fetch ended because the page left the group (pagehide, freeze); its callers wait for it to come back. */
export function leftError(): TokenCacheError {
  return new TokenCacheError(
    'fetch_failed',
    'The page left (pagehide or freeze) while this token was being fetched',
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
  return (
    error instanceof TokenCacheError &&
    (error.code === 'cleared' || error.code === 'closed' || error.code === 'signed_out')
  );
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
    `The token for key "${key}" lives ${ttlSeconds} s (usable ${usableMs / 1000} s here; a seeded one from the page's start), no longer than hardCutoffSeconds (${cutoffMs / 1000} s), so it could never be served; issue longer-lived tokens or lower hardCutoffSeconds`,
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

/** The codes of a failed fetch: the only ones another tab's report may end a call with (R28). */
export type FetchFailureCode =
  | 'fetch_failed'
  | 'invalid_token'
  | 'token_ttl_too_short'
  | 'verification_failed';

const FETCH_FAILURES: ReadonlySet<string> = new Set<FetchFailureCode>([
  'fetch_failed',
  'invalid_token',
  'token_ttl_too_short',
  'verification_failed',
]);

export function isFetchFailureCode(value: unknown): value is FetchFailureCode {
  return typeof value === 'string' && FETCH_FAILURES.has(value);
}

/** The longest failure message a tab passes on from another tab. */
export const MAX_REPORTED_MESSAGE = 500;

/** The fetch another tab made for this one failed: its error, as that tab reported it. */
export function failedElsewhereError(code: FetchFailureCode, message: string): TokenCacheError {
  return new TokenCacheError(code, `Another tab's fetch failed: ${message.slice(0, MAX_REPORTED_MESSAGE)}`);
}

/** R27: the call could not be answered within its bound (the leader, the endpoint or both too slow). */
export function deadlineError(key: string, ms: number): TokenCacheError {
  return new TokenCacheError(
    'fetch_failed',
    `No token for key "${key}" within ${ms} ms (fetchTimeoutMs + 2 answer timeouts + a poll): the endpoint or the tab fetching was too slow; a later call may be served`,
  );
}
