import { TokenCacheError } from './errors.js';
import type { VerifyToken } from './token.js';

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
}

export interface ResolvedOptions {
  readonly name: string;
  readonly fetchToken: FetchToken;
  readonly pollIntervalMs: number;
  readonly leewayMs: number;
  readonly cutoffMs: number;
  readonly fetchTimeoutMs: number;
  readonly verifyToken: VerifyToken | undefined;
  /** How long a follower waits for the leader to acknowledge a forwarded miss. */
  readonly answerTimeoutMs: number;
  /** How long a tab keeps a per-key refresh lock after publishing, so the others see the token first. */
  readonly lockGraceMs: number;
}

export const DEFAULTS = {
  pollIntervalMs: 5_000,
  refreshLeewaySeconds: 15,
  hardCutoffSeconds: 5,
  fetchTimeoutMs: 10_000,
} as const;

const KNOWN = new Set([
  'name',
  'fetchToken',
  'pollIntervalMs',
  'refreshLeewaySeconds',
  'hardCutoffSeconds',
  'fetchTimeoutMs',
  'verifyToken',
]);

function fail(message: string): never {
  throw new TokenCacheError('invalid_options', message);
}

function number(value: unknown, name: string, fallback: number, positive: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (positive ? value <= 0 : value < 0)) {
    fail(`${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${String(value)}`);
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
  const { name, fetchToken, verifyToken } = o;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    fail('name must be a non-empty string of at most 200 characters');
  }
  if (typeof fetchToken !== 'function')
    fail('fetchToken must be a function (key, { signal }) => Promise<jwt>');
  if (verifyToken !== undefined && typeof verifyToken !== 'function') {
    fail('verifyToken must be a function (jwt, key) => Promise<void> that throws to reject');
  }
  const poll = number(o.pollIntervalMs, 'pollIntervalMs', DEFAULTS.pollIntervalMs, true);
  const leeway = number(o.refreshLeewaySeconds, 'refreshLeewaySeconds', DEFAULTS.refreshLeewaySeconds, false);
  const cutoff = number(o.hardCutoffSeconds, 'hardCutoffSeconds', DEFAULTS.hardCutoffSeconds, false);
  const timeout = number(o.fetchTimeoutMs, 'fetchTimeoutMs', DEFAULTS.fetchTimeoutMs, true);
  const bound = cutoff + (2 * poll) / 1000;
  if (leeway < bound) {
    fail(
      `refreshLeewaySeconds (${leeway}) must be >= hardCutoffSeconds + 2 * pollIntervalMs / 1000 = ${cutoff} + 2 * ${poll} / 1000 = ${bound}, so a stale token gets two polls to refresh before the cutoff`,
    );
  }
  return {
    name,
    fetchToken: fetchToken as FetchToken,
    pollIntervalMs: poll,
    leewayMs: leeway * 1000,
    cutoffMs: cutoff * 1000,
    fetchTimeoutMs: timeout,
    verifyToken: verifyToken as VerifyToken | undefined,
    answerTimeoutMs: Math.min(1_000, Math.max(50, poll / 2)),
    lockGraceMs: Math.min(1_000, Math.max(50, poll / 2)),
  };
}
