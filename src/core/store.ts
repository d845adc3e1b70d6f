import { elapsedMs, type Instant } from './clock.js';

export type TokenSource = 'fetch' | 'broadcast' | 'snapshot' | 'seed';
export type Freshness = 'fresh' | 'stale' | 'unservable';

/** One cached token. Its life is counted on this machine's clocks from `since`. */
export interface Entry {
  readonly key: string;
  readonly token: string;
  readonly iat: number;
  readonly exp: number;
  /** Usable life in ms, counted from `since`. */
  readonly lifeMs: number;
  readonly since: Instant;
  /** Sign-out generation the token belongs to (see the coordinator). */
  readonly epoch: number;
  readonly source: TokenSource;
  /** The signed-in identity it belongs to (`identityOf`, R30), if it names one. */
  readonly identity?: string | undefined;
}

export interface Thresholds {
  /** Refresh once remaining life is <= this. */
  readonly leewayMs: number;
  /** Never serve a token with <= this remaining. */
  readonly cutoffMs: number;
}

export interface Reading {
  readonly entry: Entry;
  readonly remainingMs: number;
  readonly freshness: Freshness;
}

export type OfferResult = 'stored' | 'older' | 'same';

export function remainingMs(entry: Entry, now: Instant): number {
  return entry.lifeMs - elapsedMs(entry.since, now);
}

/** Wall-clock moment (epoch ms) at which the entry stops being usable, as every tab of the machine reads it. */
export function expiresAt(entry: Entry, now: Instant): number {
  return now.wall + remainingMs(entry, now);
}

/**
 * The pure token cache: entries, freshness arithmetic and monotonic replacement. No timers, no
 * I/O; every question takes the time as an argument.
 */
export class TokenStore {
  readonly #entries = new Map<string, Entry>();
  /**
   * Per key, the latest token refused as older-issued while the held one was servable (R6): it
   * takes over when the held one can no longer be served, instead of a fetch (one token from a
   * server whose clock stepped ahead).
   */
  readonly #spares = new Map<string, Entry>();
  readonly #t: Thresholds;

  constructor(thresholds: Thresholds) {
    this.#t = thresholds;
  }

  freshness(remaining: number): Freshness {
    if (remaining <= this.#t.cutoffMs) return 'unservable';
    return remaining <= this.#t.leewayMs ? 'stale' : 'fresh';
  }

  read(key: string, now: Instant): Reading | undefined {
    let entry = this.#entries.get(key);
    if (!entry) return undefined;
    let remaining = remainingMs(entry, now);
    const spare = this.#spares.get(key);
    if (spare && this.freshness(remaining) === 'unservable' && remainingMs(spare, now) > remaining) {
      this.#entries.set(key, spare);
      this.#spares.delete(key);
      entry = spare;
      remaining = remainingMs(spare, now);
    }
    return { entry, remainingMs: remaining, freshness: this.freshness(remaining) };
  }

  /** The entry if it may be served now (fresh or stale), else undefined. */
  servable(key: string, now: Instant): Entry | undefined {
    const r = this.read(key, now);
    return r && r.freshness !== 'unservable' ? r.entry : undefined;
  }

  /**
   * Stores `entry` unless the cache holds a newer servable token for its key (R6: an older `iat`
   * never replaces a newer servable one). A held token that can no longer be served blocks
   * nothing, whatever its `iat` says: one token from a server whose clock stepped ahead must not
   * wedge its key until a sign-out. The same token again is not stored twice.
   */
  offer(entry: Entry, now: Instant): OfferResult {
    const current = this.#entries.get(entry.key);
    if (current?.token === entry.token) return 'same';
    if (current && this.freshness(remainingMs(current, now)) !== 'unservable') {
      if (entry.iat < current.iat) {
        this.#spares.set(entry.key, entry);
        return 'older';
      }
      // Of two tokens issued in one second, the one with less life left stays out; on a tie the
      // later one wins (a forceRefresh after a 401: the token it replaces may be revoked).
      if (entry.iat === current.iat && remainingMs(entry, now) < remainingMs(current, now)) return 'same';
    }
    this.#entries.set(entry.key, entry);
    this.#spares.delete(entry.key);
    return 'stored';
  }

  /** Keeps only the entries `keep` says yes to. */
  retain(keep: (entry: Entry) => boolean): void {
    for (const [key, entry] of this.#entries) if (!keep(entry)) this.#entries.delete(key);
    for (const [key, entry] of this.#spares) if (!keep(entry)) this.#spares.delete(key);
  }

  delete(key: string): void {
    this.#entries.delete(key);
    this.#spares.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#spares.clear();
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  get size(): number {
    return this.#entries.size;
  }
}
