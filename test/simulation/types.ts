import type { TokenCache } from '../../src/create.js';
import type { TabRuntime } from './tab-runtime.js';

// What the simulation records of the group: its tabs, their calls, and the sign-outs.

export type CallKind = 'get' | 'force' | 'fetch';

/** One call of the public API, from its start to its end. */
export interface Call {
  readonly id: number;
  readonly tab: Tab;
  readonly kind: CallKind;
  readonly key: string;
  readonly seq: number;
  readonly startedAt: number;
  settledAt?: number;
  token?: string;
  error?: string;
  /** Fake ms the calling tab spent hung or away while the call was pending. */
  pausedMs: number;
  /** How many sign-outs its tab had learned of when it started, and when it settled. */
  readonly learnedAtStart: number;
  learnedAtEnd?: number;
}

/** A tab of the simulated browser: its cache, its thread, and what it said. */
export interface Tab {
  readonly id: string;
  readonly runtime: TabRuntime;
  readonly cache: TokenCache;
  state: 'open' | 'away' | 'closed' | 'crashed';
  /** The app closed its cache (the page stays). */
  cacheClosed: boolean;
  /** The latest clear (world sequence number) this tab knows of. */
  knownClear: number;
  /** How many times it learned of a sign-out (a clear message, a clear event). */
  learned: number;
  /** The epoch of the last message it received. */
  heardEpoch: number;
  /** When it last went away or hung (fake ms), to discount from its calls' time. */
  pausedAt?: number;
  /** The clears that happened while it was away, and when it came back. */
  awayClears: number[];
  backAt?: number;
  /** When it last ran again after a pause (fake ms). */
  resumedAt: number;
  clearEvents: number;
  /** Each identity event (R30): the user it says the tab now holds tokens of. */
  readonly identityEvents: string[];
  /** Each token event: the token, its key and the step it came at. */
  readonly tokenEvents: { token: string; key: string; seq: number }[];
}

/** A clear() somewhere in the group. */
export interface Clear {
  readonly seq: number;
  readonly tab: string;
  readonly at: number;
}
