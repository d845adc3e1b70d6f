import { decodeJwt } from 'jose';
import { TokenCacheError } from '../errors.js';

/** What the library needs from a JWT: its issue and expiry times, in seconds. */
export interface TokenClaims {
  readonly iat: number;
  readonly exp: number;
}

export type VerifyToken = (jwt: string, key: string) => Promise<void> | void;

/** Never log a token in full: its first characters are enough to tell two apart. */
export function redact(jwt: string): string {
  return jwt.length <= 12 ? '[redacted]' : `${jwt.slice(0, 8)}…(${jwt.length} chars)`;
}

/** Decodes a JWT (without verifying it) and checks it has numeric `iat` and `exp`. */
export function parseToken(jwt: unknown, key: string): TokenClaims {
  if (typeof jwt !== 'string' || jwt.split('.').length !== 3) {
    throw new TokenCacheError(
      'invalid_token',
      `fetchToken for key "${key}" returned ${typeof jwt === 'string' ? 'a string that is not a JWT' : `a ${typeof jwt}`}; it must return a compact JWT string (header.payload.signature)`,
    );
  }
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(jwt);
  } catch (cause) {
    throw new TokenCacheError(
      'invalid_token',
      `The token for key "${key}" (${redact(jwt)}) could not be decoded as a JWT`,
      { cause },
    );
  }
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new TokenCacheError(
      'invalid_token',
      `The token for key "${key}" (${redact(jwt)}) has no numeric "iat" and "exp" claims; the token server must set both`,
    );
  }
  return { iat, exp };
}

/** Usable life on this machine: exp - iat - 1 s (the second covers iat's rounding down). */
export function usableLifeMs(claims: TokenClaims): number {
  return (claims.exp - claims.iat - 1) * 1000;
}

export function assertLongEnough(claims: TokenClaims, cutoffMs: number, key: string): void {
  const life = usableLifeMs(claims);
  if (life <= cutoffMs) {
    throw new TokenCacheError(
      'token_ttl_too_short',
      `The token for key "${key}" lives ${claims.exp - claims.iat} s (usable ${life / 1000} s), no longer than hardCutoffSeconds (${cutoffMs / 1000} s), so it could never be served; issue longer-lived tokens or lower hardCutoffSeconds`,
    );
  }
}

export async function verify(jwt: string, key: string, verifyToken: VerifyToken | undefined): Promise<void> {
  if (!verifyToken) return;
  try {
    await verifyToken(jwt, key);
  } catch (cause) {
    throw new TokenCacheError(
      'verification_failed',
      `verifyToken rejected the token for key "${key}" (${redact(jwt)})${cause instanceof Error ? `: ${cause.message}` : ''}`,
      { cause },
    );
  }
}
