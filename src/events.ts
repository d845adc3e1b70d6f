import type { TokenSource } from './core/store.js';
import type { TokenCacheError } from './errors.js';

export interface TokenEvent {
  readonly key: string;
  readonly token: string;
  readonly source: TokenSource;
  /** Wall-clock epoch ms at which the token stops being usable (remaining life <= 0). */
  readonly expiresAt: number;
}

export interface TokenCacheEvents {
  token: (event: TokenEvent) => void;
  leader: (event: { readonly isLeader: boolean }) => void;
  error: (event: { readonly key: string; readonly error: TokenCacheError }) => void;
  clear: (event: { readonly origin: 'local' | 'remote' }) => void;
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
