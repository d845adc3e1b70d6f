// The app's side of the playground, shared by every page (the dashboard, bench, idle, react):
// the cache's options from the URL, and how the app fetches and verifies tokens. What the cache
// then runs with, defaults included, is the library's to say: tokens.options.

import { compactVerify, createRemoteJWKSet } from 'jose';
import { signedOut } from '../src/index';
import { fetchOpenIdToken, verifyOpenIdToken } from './openid/refresh';

// ---------------------------------------------------------------------------------------------
// Options from the URL

const params = new URLSearchParams(location.search);

/** A numeric URL parameter, or undefined when absent or empty. A non-number is passed on as NaN
 * so that the library's own validation reports it (invalid_options), instead of being ignored. */
function numberParam(name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  return Number(raw);
}

/** A 0/1 URL parameter: `1` or `true` → true, `0` or `false` → false, undefined when absent or
 * empty, and anything else an Error that cacheOptions() throws (the pages report it) rather than
 * a value silently ignored. */
function booleanParam(name: string): boolean | undefined | Error {
  const raw = params.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return new Error(`URL parameter ${name} must be 1 or 0, got ${JSON.stringify(raw)}`);
}

export const cacheName = params.get('name') || 'playground';
export const key = params.get('key') || 'default';
export const pollIntervalMs = numberParam('poll');
export const refreshLeewaySeconds = numberParam('leeway');
export const hardCutoffSeconds = numberParam('cutoff');
export const fetchTimeoutMs = numberParam('timeout');
export const idleTimeoutSeconds = numberParam('idle');
const exclusiveParam = booleanParam('exclusive');
/**
 * `?auth=oidc`: tokens come from the OpenID Provider, by refresh-token grants (openid/refresh.ts),
 * with exclusiveFetch on unless the URL says `exclusive=0`. Else from the token server's /api/token.
 */
export const openId = params.get('auth') === 'oidc';
export const exclusiveFetch =
  exclusiveParam instanceof Error ? undefined : (exclusiveParam ?? (openId ? true : undefined));

// ---------------------------------------------------------------------------------------------
// What the cache needs from the app: fetching and verifying tokens

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

export async function fetchToken(tokenKey: string, { signal }: { signal: AbortSignal }): Promise<string> {
  const res = await fetch('/api/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: tokenKey }),
    signal,
  });
  const body = await readJson(res);
  // The session is gone (its refresh token revoked, or none): a sign-out, not an outage (R29).
  const error = isRecord(body) ? body.error : undefined;
  if (res.status === 401 && (error === 'refresh_token_reused' || error === 'no_session'))
    throw signedOut(error);
  if (!res.ok) {
    const reason = isRecord(body) && typeof body.error === 'string' ? `: ${body.error}` : '';
    throw new Error(`POST /api/token answered ${res.status}${reason}`);
  }
  if (!isRecord(body) || typeof body.token !== 'string') {
    throw new Error(`POST /api/token answered ${res.status} without a token string`);
  }
  return body.token;
}

const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', location.href));

/**
 * Signature only: `exp` is deliberately not checked against this browser's clock, which may be
 * off from the server's; the library measures remaining life on its own clocks.
 */
export async function verifyToken(jwt: string, tokenKey: string): Promise<void> {
  const { payload } = await compactVerify(jwt, jwks, { algorithms: ['ES256'] });
  const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
  if (!isRecord(claims) || claims.key !== tokenKey) {
    const got = isRecord(claims) ? JSON.stringify(claims.key) : 'no claims';
    throw new Error(`token was issued for key ${got}, not ${JSON.stringify(tokenKey)}`);
  }
}

/**
 * The cache's options as the URL gives them. A missing one is not passed at all, so it keeps the
 * library's default (`?idle=` → idleTimeoutSeconds, `?exclusive=1` → exclusiveFetch: true).
 */
export function cacheOptions() {
  if (exclusiveParam instanceof Error) throw exclusiveParam;
  return {
    name: cacheName,
    fetchToken: openId ? fetchOpenIdToken : fetchToken,
    verifyToken: openId ? verifyOpenIdToken : verifyToken,
    ...(pollIntervalMs !== undefined && { pollIntervalMs }),
    ...(refreshLeewaySeconds !== undefined && { refreshLeewaySeconds }),
    ...(hardCutoffSeconds !== undefined && { hardCutoffSeconds }),
    ...(fetchTimeoutMs !== undefined && { fetchTimeoutMs }),
    ...(idleTimeoutSeconds !== undefined && { idleTimeoutSeconds }),
    ...(exclusiveFetch !== undefined && { exclusiveFetch }),
  };
}
