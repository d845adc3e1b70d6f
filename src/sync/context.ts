import type { Clock } from '../core/clock.js';
import type { TokenStore } from '../core/store.js';
import type { Counters, Emit } from '../events.js';
import type { ResolvedOptions } from '../options.js';
import type { Locks } from '../platform/locks.js';
import type { Timers } from '../platform/timers.js';
import type { Timing } from '../rules.js';
import type { Body, MessageType } from '../wire/protocol.js';

/** Sends one message to the other tabs of the group; typed by message. */
export type Post = <T extends MessageType>(type: T, body: Body<T>) => void;

/** What every part of the coordination shares: one tab's cache and its seams. */
export interface SyncContext {
  readonly options: ResolvedOptions;
  readonly timing: Timing;
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly counters: Counters;
  readonly emit: Emit;
  readonly timers: Timers;
  readonly locks: Locks;
  readonly tabId: string;
  readonly post: Post;
  /** The Web Lock name of a part of this cache: `tab-token-cache:<name>:<part>`. */
  lockName(part: string): string;
}

/** What a fetch must achieve: a servable token, a fresh one, or a brand-new one (forceRefresh). */
export type Need = 'servable' | 'fresh' | 'new';
