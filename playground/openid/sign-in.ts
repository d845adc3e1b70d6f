// "Sign in with OpenID": the authorization code flow with PKCE (RFC 7636) in this tab, against
// the playground's OpenID Provider (server/openid/provider.ts), as a public client would run it.
//
// startOpenIdSignIn() sends the tab to the provider's login, remembering (in this tab's
// sessionStorage) the PKCE verifier, the state and the URL to come back to. The provider sends
// the tab back to `/` with `code` and `state`; completeOpenIdSignIn() exchanges the code for the
// grant's first refresh token, keeps it where every tab of the origin sees it (refresh.ts), and
// goes back to the remembered URL, where the cache starts and refreshes with it.

import { CLIENT_ID, OPENID_KEYS, OPENID_PATH, OPENID_SCOPE, resourceOf } from '../server/openid/resources';
import { storeRefreshToken, tokenRequest } from './refresh';

const PENDING = 'tab-token-cache:playground:openid-sign-in';

interface Pending {
  verifier: string;
  state: string;
  returnTo: string;
}

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomText = (length: number): string => base64url(crypto.getRandomValues(new Uint8Array(length)));

const redirectUri = (): string => new URL('/', location.href).href;

/** Sends this tab to the provider's login; it comes back to this page with `auth=oidc` (and `key`). */
export async function startOpenIdSignIn(key: string): Promise<void> {
  const back = new URL(location.href);
  back.searchParams.set('auth', 'oidc');
  const pending: Pending = { verifier: randomText(32), state: randomText(16), returnTo: back.href };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier));
  const auth = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri(),
    scope: `openid ${OPENID_SCOPE}`,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
    state: pending.state,
  });
  // Access for every key the page may read: one audience each (the refresh grant picks one).
  for (const each of new Set([...OPENID_KEYS, key])) auth.append('resource', resourceOf(each));
  location.assign(`${OPENID_PATH}/auth?${auth}`);
}

/** This sign-in of this tab's, when the page is the provider's answer to one. */
function pendingAnswered(): Pending | undefined {
  const saved = sessionStorage.getItem(PENDING);
  const state = new URLSearchParams(location.search).get('state');
  if (saved === null || state === null) return undefined;
  try {
    const pending = JSON.parse(saved) as Pending;
    return pending.state === state ? pending : undefined;
  } catch {
    return undefined; // not ours to read: no sign-in is waiting
  }
}

/** Whether this page is the provider's answer to this tab's sign-in (then the page starts no cache). */
export function isOpenIdAnswer(): boolean {
  return pendingAnswered() !== undefined;
}

/**
 * Finishes this tab's sign-in: exchanges the code, keeps the refresh token, and goes back to the
 * page the sign-in began on. Rejects when the provider refused or the exchange failed.
 */
export async function completeOpenIdSignIn(): Promise<void> {
  const pending = pendingAnswered();
  if (pending === undefined) throw new Error('no sign-in of this tab is waiting for an answer');
  sessionStorage.removeItem(PENDING);
  const answer = new URLSearchParams(location.search);
  const code = answer.get('code');
  if (code === null)
    throw new Error(`sign-in refused: ${answer.get('error')} ${answer.get('error_description') ?? ''}`);
  const tokens = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
    resource: resourceOf(OPENID_KEYS[0]),
  });
  storeRefreshToken(tokens.refresh_token);
  location.replace(pending.returnTo);
}
