import type { IdentityOf, VerifyToken } from './core/token.js';
import { invalidOptions } from './errors.js';

export type FetchToken = (key: string, context: { signal: AbortSignal }) => Promise<string> | string;

export interface TokenCacheOptions {
  /** Tabs with one name share tokens; their channel is `tab-token-cache:<name>`. */
  name: string;
  /** Returns a JWT for a key. Abort the request when `signal` fires. */
  fetchToken: FetchToken;
  /** The leader's poll period. Default 5000. */
  pollIntervalMs?: number;
  /** Refresh once remaining life is <= this. Default 15. */
  refreshLeewaySeconds?: number;
  /** Never serve a token with <= this remaining. Default 5. */
  hardCutoffSeconds?: number;
  /** A fetch that has not settled by then is aborted (`fetch_failed`). Default 10000. */
  fetchTimeoutMs?: number;
  /** Optional: throw (or reject) to refuse a token, e.g. jose's jwtVerify against a JWKS. */
  verifyToken?: VerifyToken;
  /** A key no tab has read for this long is no longer refreshed (R21). Default 600; Infinity: always. */
  idleTimeoutSeconds?: number;
  /** At most one fetchToken at a time across all keys and tabs (R26), for rotating refresh tokens. Default false. */
  exclusiveFetch?: boolean;
  /** Names the signed-in identity of a token's claims (R30, the `identity` event). Default: the `sub` claim. */
  identityOf?: IdentityOf;
}

/** The options a cache actually runs with (`tokens.options`): every default filled in, frozen. */
export interface ResolvedOptions {
  readonly name: string;
  readonly fetchToken: FetchToken;
  readonly pollIntervalMs: number;
  readonly refreshLeewaySeconds: number;
  readonly hardCutoffSeconds: number;
  readonly fetchTimeoutMs: number;
  readonly verifyToken: VerifyToken | undefined;
  readonly idleTimeoutSeconds: number;
  readonly exclusiveFetch: boolean;
  readonly identityOf: IdentityOf;
}

export const DEFAULTS = Object.freeze({
  pollIntervalMs: 5_000,
  refreshLeewaySeconds: 15,
  hardCutoffSeconds: 5,
  fetchTimeoutMs: 10_000,
  idleTimeoutSeconds: 600,
  exclusiveFetch: false,
});

const KNOWN: ReadonlySet<string> = new Set<keyof TokenCacheOptions>([
  'name',
  'fetchToken',
  'pollIntervalMs',
  'refreshLeewaySeconds',
  'hardCutoffSeconds',
  'fetchTimeoutMs',
  'verifyToken',
  'idleTimeoutSeconds',
  'exclusiveFetch',
  'identityOf',
]);

/** The `sub` claim (identityIn keeps only a non-empty string). */
const bySub: IdentityOf = (claims) => claims.sub as string | undefined;

function fail(message: string): never {
  throw invalidOptions(message);
}

type Sign = '> 0' | '>= 0';

/** The longest delay a timer can wait (2^31 - 1 ms, ~24.8 days): longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type NumericOption =
  | 'pollIntervalMs'
  | 'refreshLeewaySeconds'
  | 'hardCutoffSeconds'
  | 'fetchTimeoutMs'
  | 'idleTimeoutSeconds';

/** The option `name` of `o`, or its default; `msPerUnit` converts it to a timer's milliseconds. */
function number(
  o: Record<string, unknown>,
  name: NumericOption,
  sign: Sign,
  msPerUnit: number,
  infinite = false,
): number {
  const value = o[name];
  if (value === undefined) return DEFAULTS[name];
  const finiteOk = typeof value === 'number' && (Number.isFinite(value) || (infinite && value === Infinity));
  if (!finiteOk || (sign === '> 0' ? value <= 0 : value < 0)) {
    fail(
      `${name} must be a ${infinite ? '' : 'finite '}number ${sign}${infinite ? ' (or Infinity)' : ''}, got ${String(value)}`,
    );
  }
  if (value !== Infinity && value * msPerUnit > MAX_TIMER_MS) {
    fail(`${name} must be at most ${MAX_TIMER_MS / msPerUnit} (timers cannot wait longer), got ${value}`);
  }
  return value;
}

/** Validates the options (R18): nothing is silently raised or lowered. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (typeof input !== 'object' || input === null) fail('createTokenCache needs an options object');
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k)) fail(`Unknown option "${k}"; known options: ${[...KNOWN].join(', ')}`);
  }
  const { name, fetchToken, verifyToken, exclusiveFetch, identityOf } = o;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    fail('name must be a non-empty string of at most 200 characters');
  }
  if (typeof fetchToken !== 'function')
    fail('fetchToken must be a function (key, { signal }) => Promise<jwt>');
  if (verifyToken !== undefined && typeof verifyToken !== 'function') {
    fail('verifyToken must be a function (jwt, key) => Promise<void> that throws to reject');
  }
  if (identityOf !== undefined && typeof identityOf !== 'function') {
    fail('identityOf must be a function (claims) => string | undefined');
  }
  if (exclusiveFetch !== undefined && typeof exclusiveFetch !== 'boolean') {
    fail(`exclusiveFetch must be true or false, got ${String(exclusiveFetch)}`);
  }
  const poll = number(o, 'pollIntervalMs', '> 0', 1);
  const leeway = number(o, 'refreshLeewaySeconds', '>= 0', 1e3);
  const cutoff = number(o, 'hardCutoffSeconds', '>= 0', 1e3);
  const timeout = number(o, 'fetchTimeoutMs', '> 0', 1);
  const idle = number(o, 'idleTimeoutSeconds', '> 0', 1e3, true);
  const bound = cutoff + (2 * poll) / 1000;
  // Compared in rounded microseconds: 0.1 + 0.2 must not make a leeway of 0.3 fall short of its bound.
  if (Math.round(leeway * 1e6) < Math.round(bound * 1e6)) {
    fail(
      `refreshLeewaySeconds (${leeway}) must be >= hardCutoffSeconds + 2 * pollIntervalMs / 1000 = ${cutoff} + 2 * ${poll} / 1000 = ${bound}, so a stale token gets two polls to refresh before the cutoff`,
    );
  }
  return Object.freeze({
    name,
    fetchToken: fetchToken as FetchToken,
    pollIntervalMs: poll,
    refreshLeewaySeconds: leeway,
    hardCutoffSeconds: cutoff,
    fetchTimeoutMs: timeout,
    verifyToken: verifyToken as VerifyToken | undefined,
    idleTimeoutSeconds: idle,
    exclusiveFetch: exclusiveFetch === true,
    identityOf: (identityOf as IdentityOf | undefined) ?? bySub,
  });
}
