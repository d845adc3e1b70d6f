import { asTokenCacheError, type TokenCacheError } from './errors.js';

/** What `tokens.fetch` takes besides fetch's own init: which token to send. */
export interface TokenFetchInit extends RequestInit {
  /** The key of the token to send. Default 'default'. */
  tokenKey?: string;
}

export interface AuthorizedFetchDeps {
  getToken(key: string, options: { forceRefresh: boolean }): Promise<string>;
  /** Reports a failure to get the retry's token (unless the cache reported it already). */
  reportError(key: string, error: TokenCacheError): void;
}

/**
 * `tokens.fetch` (R25): `fetch` with `Authorization: Bearer <token>`. A 401 is retried once with a
 * brand-new token (forceRefresh) when the request can be sent again: no body, or a body that is
 * not a stream. It never loops, never sends a request without a token, honours `init.signal`, and
 * calls the `globalThis.fetch` of the moment. It returns the last Response; it rejects with the
 * TokenCacheError when no token can be had for the first try, and returns the first 401 when none
 * can be had for the retry.
 */
export async function authorizedFetch(
  deps: AuthorizedFetchDeps,
  input: RequestInfo | URL,
  init: TokenFetchInit = {},
): Promise<Response> {
  const { tokenKey = 'default', ...requestInit } = init;
  const send = async (token: string): Promise<Response> => {
    requestInit.signal?.throwIfAborted();
    const headers = new Headers(requestInit.headers ?? (isRequest(input) ? input.headers : undefined));
    headers.set('Authorization', `Bearer ${token}`);
    return globalThis.fetch(input, { ...requestInit, headers });
  };
  const first = await send(await deps.getToken(tokenKey, { forceRefresh: false }));
  if (first.status !== 401 || !canSendAgain(input, requestInit)) return first;
  let token: string;
  try {
    token = await deps.getToken(tokenKey, { forceRefresh: true });
  } catch (error) {
    deps.reportError(tokenKey, asTokenCacheError(error));
    return first;
  }
  await first.body?.cancel().catch(() => {}); // the first answer is replaced: let its connection go
  return send(token);
}

/** A request can be sent again when it has no body, or a body that is not a stream. */
function canSendAgain(input: RequestInfo | URL, init: RequestInit): boolean {
  if (init.body !== undefined && init.body !== null) {
    return typeof ReadableStream === 'undefined' || !(init.body instanceof ReadableStream);
  }
  // A Request's body is a stream once made, whatever it was made from.
  return !isRequest(input) || input.body === null;
}

function isRequest(input: RequestInfo | URL): input is Request {
  return typeof Request !== 'undefined' && input instanceof Request;
}
