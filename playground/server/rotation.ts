// Refresh-token rotation for the playground's token server (SPEC §3), kept apart from the HTTP
// handling in token-server.ts.
//
// A sign-in starts a *family*: a chain of opaque refresh tokens of which only the newest, the
// family's current token, may be used. Using it rotates the family (a new current token replaces
// it). Presenting an older token of a live family is *reuse*: the whole family is revoked, so
// the newest token stops working too and the user is signed out. This is what Auth0, Okta and
// Supabase do, and what turns two tabs refreshing at once with one cookie into a sign-out.
//
// One family serves every key: the refresh token is the session's, not a key's.

import { randomBytes } from 'node:crypto';

/** The cookie that carries the refresh token. */
export const REFRESH_COOKIE = 'rt';

/** Why a refresh token was refused. */
export type RefreshError = 'no_session' | 'refresh_token_reused';

export type RotationResult =
  /** The presented token is used up; `next` is the family's new current token. */
  | { ok: true; next: string }
  /**
   * 'no_session': no token, an unknown one, or one of a revoked family.
   * 'refresh_token_reused': an already used token of a live family, which is now revoked.
   */
  | { ok: false; error: RefreshError };

export interface RefreshTokenStore {
  /** Starts a new family and returns its first token. Other families are left as they are. */
  signIn(): string;
  /** Checks a presented token and, when it is the current one of a live family, rotates it. */
  rotate(presented: string | undefined): RotationResult;
  /** Tokens remembered (current and used ones), for tests. */
  readonly size: number;
}

export interface RefreshTokenStoreOptions {
  /**
   * Most tokens remembered; past it the oldest issued are forgotten (a forgotten token is then
   * unknown: 'no_session', no longer 'refresh_token_reused'). Default 100 000.
   */
  maxTokens?: number;
  /** Makes a new opaque token. Default: 32 random bytes, base64url. */
  newToken?: () => string;
}

interface Family {
  current: string;
  revoked: boolean;
}

export function createRefreshTokenStore(options: RefreshTokenStoreOptions = {}): RefreshTokenStore {
  const maxTokens = options.maxTokens ?? 100_000;
  const newToken = options.newToken ?? (() => randomBytes(32).toString('base64url'));
  // Every token ever issued (until forgotten) -> its family; insertion order is issue order.
  const tokens = new Map<string, Family>();

  const issue = (family: Family): string => {
    const token = newToken();
    family.current = token;
    tokens.set(token, family);
    while (tokens.size > maxTokens) {
      const oldest = tokens.keys().next();
      if (oldest.done) break;
      tokens.delete(oldest.value);
    }
    return token;
  };

  return {
    signIn() {
      return issue({ current: '', revoked: false });
    },
    rotate(presented) {
      const family = presented === undefined || presented === '' ? undefined : tokens.get(presented);
      if (family === undefined || family.revoked) return { ok: false, error: 'no_session' };
      if (presented !== family.current) {
        family.revoked = true;
        return { ok: false, error: 'refresh_token_reused' };
      }
      return { ok: true, next: issue(family) };
    },
    get size() {
      return tokens.size;
    },
  };
}

/** The value of the first cookie called `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie value for a refresh token: httpOnly (page scripts never see it), sent with
 * every same-site request, a session cookie, and not Secure since the playground is served on
 * http://localhost.
 */
export function refreshCookie(token: string): string {
  return `${REFRESH_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`;
}
