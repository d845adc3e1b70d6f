import type { TokenSource } from './core/store.js';
import type { TokenCacheError } from './errors.js';

export interface TokenEvent {
  readonly key: string;
  readonly token: string;
  readonly source: TokenSource;
  /** Wall-clock epoch ms at which the token stops being usable (remaining life <= 0). */
  readonly expiresAt: number;
}

/**
 * Why leadership changed (R30): `elected` (nobody led), `took-over` (the leader closed, left or
 * crashed), `stole` (the leader did not answer, R12); this tab stopped leading: `stolen` (another
 * tab took it), `left` (pagehide, freeze, close).
 */
export type LeaderReason = 'elected' | 'took-over' | 'stole' | 'stolen' | 'left';

export interface LeaderEvent {
  readonly isLeader: boolean;
  readonly reason: LeaderReason;
}

/**
 * A sign-out: this tab's clear() (`local`), another tab's (`remote`), or the token endpoint's
 * (`server`, in every tab, with the reason given to `signedOut`, R29).
 */
export interface ClearEvent {
  readonly origin: 'local' | 'remote' | 'server';
  readonly reason?: string;
}

/** The signed-in identity changed (R30): `previous` is the one this tab knew, `current` the new one. */
export interface IdentityEvent {
  readonly previous: string;
  readonly current: string;
}

export interface TokenCacheEvents {
  token: (event: TokenEvent) => void;
  leader: (event: LeaderEvent) => void;
  error: (event: { readonly key: string; readonly error: TokenCacheError }) => void;
  clear: (event: ClearEvent) => void;
  identity: (event: IdentityEvent) => void;
}

export type Emit = <E extends keyof TokenCacheEvents>(
  event: E,
  ...args: Parameters<TokenCacheEvents[E]>
) => void;

export interface Counters {
  fetches: number;
  fetchErrors: number;
  hits: number;
  staleHits: number;
  misses: number;
  broadcastsSent: number;
  broadcastsReceived: number;
  messagesRejected: number;
}

export function zeroCounters(): Counters {
  return {
    fetches: 0,
    fetchErrors: 0,
    hits: 0,
    staleHits: 0,
    misses: 0,
    broadcastsSent: 0,
    broadcastsReceived: 0,
    messagesRejected: 0,
  };
}
