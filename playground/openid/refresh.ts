// The page's fetchToken and verifyToken when it signs in with OpenID (`?auth=oidc`): each access
// token comes from a refresh-token grant at the provider's token endpoint, for the audience of
// the cache key (server/openid/resources.ts).
//
// The refresh token rotates: every grant uses it up and answers the next one. It lives in
// localStorage, where every tab of the origin reads the newest one; with the library's
// `exclusiveFetch` (which the page turns on in this mode) only one tab of the group runs
// fetchToken at a time, so the read, the POST and the write of the next token happen inside one
// lock and no refresh token is presented twice. A refresh token presented twice is the
// provider's reuse detection: it revokes the grant, and every tab is signed out (`signedOut`,
// R29). The recipe, and what a crash in the middle costs, is in docs/recipes.md.

import { compactVerify, createRemoteJWKSet } from 'jose';
import { signedOut } from '../../src/index';
import { CLIENT_ID, OPENID_PATH, resourceOf } from '../server/openid/resources';

/** Where the grant's newest refresh token is kept (localStorage: every tab of the origin). */
export const REFRESH_TOKEN_STORAGE = 'tab-token-cache:playground:openid-refresh-token';

export function storeRefreshToken(token: string): void {
  localStorage.setItem(REFRESH_TOKEN_STORAGE, token);
}

/** Forgets the refresh token (a sign-out); `only`: unless another one replaced it meanwhile. */
export function forgetRefreshToken(only?: string): void {
  if (only === undefined || localStorage.getItem(REFRESH_TOKEN_STORAGE) === only)
    localStorage.removeItem(REFRESH_TOKEN_STORAGE);
}

interface TokenAnswer {
  access_token: string;
  refresh_token: string;
}

/** An error answer of the token endpoint: its OAuth `error` code. */
export class TokenEndpointError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(`${OPENID_PATH}/token answered ${status} ${error}${description ? `: ${description}` : ''}`);
  }
}

/** POST to the provider's token endpoint as the playground's public client. */
export async function tokenRequest(
  fields: Record<string, string>,
  signal?: AbortSignal,
): Promise<TokenAnswer> {
  const res = await fetch(`${OPENID_PATH}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...fields }),
    signal,
  });
  const body: Record<string, unknown> = await res.json().catch(() => ({}));
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
  if (!res.ok)
    throw new TokenEndpointError(res.status, text('error') || 'no error code', text('error_description'));
  if (!text('access_token') || !text('refresh_token'))
    throw new TokenEndpointError(res.status, 'no tokens', 'the answer has no access_token or refresh_token');
  return { access_token: text('access_token'), refresh_token: text('refresh_token') };
}

export async function fetchOpenIdToken(key: string, { signal }: { signal: AbortSignal }): Promise<string> {
  const presented = localStorage.getItem(REFRESH_TOKEN_STORAGE);
  if (presented === null) throw signedOut('no refresh token: sign in with OpenID');
  try {
    const answer = await tokenRequest(
      { grant_type: 'refresh_token', refresh_token: presented, resource: resourceOf(key) },
      signal,
    );
    storeRefreshToken(answer.refresh_token);
    return answer.access_token;
  } catch (error) {
    // The grant is gone (revoked after a reuse, expired, or unknown): signed out, not an outage.
    if (error instanceof TokenEndpointError && error.error === 'invalid_grant') {
      forgetRefreshToken(presented);
      throw signedOut(error.message.slice(0, 200));
    }
    throw error;
  }
}

const jwks = createRemoteJWKSet(new URL(`${OPENID_PATH}/jwks`, location.href));

/**
 * The provider's signature (its JWKS), an access token (`typ: at+jwt`), for this key's audience.
 * `exp` is left to the library, as for the token server's tokens (app.ts).
 */
export async function verifyOpenIdToken(jwt: string, key: string): Promise<void> {
  const { payload, protectedHeader } = await compactVerify(jwt, jwks, { algorithms: ['ES256'] });
  if (protectedHeader.typ !== 'at+jwt') throw new Error(`not an access token (typ ${protectedHeader.typ})`);
  const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
  const aud = typeof claims === 'object' && claims !== null ? (claims as { aud?: unknown }).aud : undefined;
  if (aud !== resourceOf(key))
    throw new Error(`token is for ${JSON.stringify(aud)}, not key ${JSON.stringify(key)}`);
}
