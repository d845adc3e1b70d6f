import { base64url } from 'jose';
import {
  noClaimsError,
  notAJwtError,
  ttlTooShortError,
  undecodableError,
  verificationError,
} from '../errors.js';
import { isRecord } from '../wire/guards.js';

/** A JWT's claims: the library needs its issue and expiry times, in seconds; `identityOf` may read the rest. */
export interface TokenClaims {
  readonly iat: number;
  readonly exp: number;
  readonly [claim: string]: unknown;
}

export type VerifyToken = (jwt: string, key: string) => Promise<void> | void;

/** Names the signed-in identity a token belongs to (R30); undefined: it names none. */
export type IdentityOf = (claims: TokenClaims) => string | undefined;

/** The identity `identityOf` names in `claims`: a non-empty string, else undefined (a throw included). */
export function identityIn(claims: TokenClaims, identityOf: IdentityOf): string | undefined {
  try {
    const id = identityOf(claims);
    return typeof id === 'string' && id ? id : undefined;
  } catch {
    return undefined;
  }
}

export { redact } from '../errors.js';

/** Decodes a JWT (without verifying it; jose's base64url, the claims parsed here) and checks it has numeric `iat` and `exp`. */
export function parseToken(jwt: unknown, key: string): TokenClaims {
  if (typeof jwt !== 'string' || jwt.split('.').length !== 3) {
    throw notAJwtError(key, jwt);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(base64url.decode(jwt.split('.')[1] as string)));
  } catch (cause) {
    throw undecodableError(key, jwt, cause);
  }
  // A JWT's claims are a JSON object (RFC 7519).
  if (!isRecord(payload)) throw undecodableError(key, jwt, undefined);
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw noClaimsError(key, jwt);
  }
  return payload as TokenClaims;
}

/** Usable life on this machine: exp - iat - 1 s (the second covers iat's rounding down). */
export function usableLifeMs(claims: TokenClaims): number {
  return (claims.exp - claims.iat - 1) * 1000;
}

export function assertLongEnough(claims: TokenClaims, cutoffMs: number, key: string): void {
  const life = usableLifeMs(claims);
  if (life <= cutoffMs) {
    throw ttlTooShortError(key, claims.exp - claims.iat, life, cutoffMs);
  }
}

export async function verify(jwt: string, key: string, verifyToken: VerifyToken | undefined): Promise<void> {
  if (!verifyToken) return;
  try {
    await verifyToken(jwt, key);
  } catch (cause) {
    throw verificationError(key, jwt, cause);
  }
}
