import { parseToken, type TokenClaims } from '../core/token.js';
import { type FetchFailureCode, isFetchFailureCode, MAX_REASON, MAX_REPORTED_MESSAGE } from '../errors.js';
import { isRecord, isShortString } from './guards.js';

/**
 * The cross-tab protocol: every message the tabs exchange, and the parser that every incoming
 * message passes before anything acts on it (R14). Anything malformed, foreign, of another
 * version or carrying a token that does not decode is dropped (and counted by the caller).
 *
 * There is no heartbeat: followers stay quiet (R23) and check the leader only when they need it
 * (R12, an `ask` that must be acknowledged).
 */
export const PROTOCOL = 'tab-token-cache';
export const VERSION = 2;

/** The longest key a cache accepts, and so the longest a message may carry. */
export const MAX_KEY_LENGTH = 256;
const MAX_TOKEN = 16_384;
const MAX_ID = 64;
const MAX_SNAPSHOT = 1_000;

interface Base {
  readonly p: typeof PROTOCOL;
  readonly v: typeof VERSION;
  /** The cache name: tabs of other names on the same channel are ignored. */
  readonly name: string;
  /** The sending tab. */
  readonly from: string;
  /** The sender's sign-out epoch. */
  readonly epoch: number;
}

/** A token as it travels: `expiresAt` is wall-clock epoch ms, which every tab of a machine reads the same. */
export interface WireToken {
  readonly key: string;
  readonly token: string;
  readonly expiresAt: number;
}

/** A token from another tab that passed the parser, with its decoded claims. */
export interface ReceivedToken extends WireToken {
  readonly claims: TokenClaims;
}

/** Why a follower asks the leader about a key. */
export type AskReason = 'miss' | 'stale' | 'force';

/** What each message type carries besides the common fields. */
export interface Bodies {
  /** A token the sender just fetched. */
  token: WireToken;
  /** A tab that just joined (or came back) asks the leader for its tokens (R10, R22). */
  'snapshot-request': Record<string, never>;
  /** The leader's tokens, for one tab. */
  snapshot: { readonly to: string; readonly tokens: readonly WireToken[] };
  /** A follower needs the leader (R4, R12): it must acknowledge within the answer timeout. */
  ask: {
    readonly id: string;
    readonly key: string;
    readonly reason: AskReason;
    /** When it was asked (wall ms): a leader answering an old question confirms it still leads. */
    readonly sentAt?: number;
  };
  ack: { readonly to: string; readonly id: string };
  /** The fetch that tabs were waiting for failed. */
  'ask-failed': { readonly key: string; readonly code: FetchFailureCode; readonly message: string };
  /** Sign out everywhere (R13); with the endpoint's reason when it said the session is gone (R29). */
  clear: { readonly reason?: string };
}

export type MessageType = keyof Bodies;
export type Body<T extends MessageType> = Bodies[T];
export type Message = { [T in MessageType]: Base & { readonly type: T } & Bodies[T] }[MessageType];

/** A parsed incoming message: tokens arrive as a list (one for `token`) with their claims. */
export type Incoming =
  | (Base & { readonly type: 'token' | 'snapshot'; readonly to?: string; readonly tokens: ReceivedToken[] })
  | (Base & { readonly type: 'snapshot-request' })
  | (Base & { readonly type: 'clear'; readonly reason?: string })
  | (Base & { readonly type: 'ask' } & Bodies['ask'])
  | (Base & { readonly type: 'ack' } & Bodies['ack'])
  | (Base & { readonly type: 'ask-failed' } & Bodies['ask-failed']);

/** Builds a message of this tab of this cache. */
export function encode<T extends MessageType>(
  head: { readonly name: string; readonly from: string; readonly epoch: number },
  type: T,
  body: Body<T>,
): Message {
  return { p: PROTOCOL, v: VERSION, ...head, type, ...body } as Message;
}

export type Parsed = { ok: true; message: Incoming } | { ok: false; reason: string };

function receivedToken(x: unknown): ReceivedToken | string {
  if (!isRecord(x)) return 'token entry is not an object';
  const { key, token, expiresAt } = x;
  if (!isShortString(key, MAX_KEY_LENGTH)) return 'bad key';
  if (!isShortString(token, MAX_TOKEN)) return 'bad token';
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return 'bad expiresAt';
  try {
    return { key, token, expiresAt, claims: parseToken(token, key) };
  } catch {
    return 'token does not decode as a JWT with exp and iat';
  }
}

function tokenList(list: unknown): ReceivedToken[] | string {
  if (!Array.isArray(list) || list.length > MAX_SNAPSHOT) return 'bad token list';
  const tokens: ReceivedToken[] = [];
  for (const item of list) {
    const t = receivedToken(item);
    if (typeof t === 'string') return t;
    tokens.push(t);
  }
  return tokens;
}

/**
 * Parses a message for the cache `name`. Token structure is checked here; verifyToken
 * (asynchronous) is the receiver's next step.
 */
export function parse(raw: unknown, name: string): Parsed {
  const bad = (reason: string): Parsed => ({ ok: false, reason });
  if (!isRecord(raw)) return bad('not an object');
  if (raw.p !== PROTOCOL) return bad('foreign protocol');
  if (raw.v !== VERSION) return bad(`protocol version ${String(raw.v)}`);
  if (raw.name !== name) return bad('another cache name');
  const { from, epoch } = raw;
  if (!isShortString(from, MAX_ID)) return bad('bad sender');
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) return bad('bad epoch');
  const base = { p: PROTOCOL, v: VERSION, name, from, epoch } as const;
  const good = (message: Incoming): Parsed => ({ ok: true, message });
  switch (raw.type) {
    case 'snapshot-request':
      return good({ ...base, type: raw.type });
    case 'clear': {
      const { reason } = raw;
      if (reason === undefined) return good({ ...base, type: 'clear' });
      return isShortString(reason, MAX_REASON) ? good({ ...base, type: 'clear', reason }) : bad('bad reason');
    }
    case 'token': {
      const t = receivedToken(raw);
      return typeof t === 'string' ? bad(t) : good({ ...base, type: 'token', tokens: [t] });
    }
    case 'snapshot': {
      if (!isShortString(raw.to, MAX_ID)) return bad('bad recipient');
      const tokens = tokenList(raw.tokens);
      return typeof tokens === 'string'
        ? bad(tokens)
        : good({ ...base, type: 'snapshot', to: raw.to, tokens });
    }
    case 'ask': {
      const { id, key, reason } = raw;
      if (!isShortString(id, MAX_ID) || !isShortString(key, MAX_KEY_LENGTH)) return bad('bad ask');
      if (reason !== 'miss' && reason !== 'stale' && reason !== 'force') return bad('bad reason');
      const { sentAt } = raw;
      if (sentAt === undefined) return good({ ...base, type: 'ask', id, key, reason });
      if (typeof sentAt !== 'number' || !Number.isFinite(sentAt)) return bad('bad ask time');
      return good({ ...base, type: 'ask', id, key, reason, sentAt });
    }
    case 'ack': {
      const { to, id } = raw;
      if (!isShortString(to, MAX_ID) || !isShortString(id, MAX_ID)) return bad('bad ack');
      return good({ ...base, type: 'ack', to, id });
    }
    case 'ask-failed': {
      const { key, code, message } = raw;
      // Only a fetch failure, told in a few words (R28): nothing else may end another tab's calls.
      if (
        !isShortString(key, MAX_KEY_LENGTH) ||
        !isFetchFailureCode(code) ||
        typeof message !== 'string' ||
        message.length > MAX_REPORTED_MESSAGE
      ) {
        return bad('bad ask-failed');
      }
      return good({ ...base, type: 'ask-failed', key, code, message });
    }
    default:
      return bad('unknown type');
  }
}
