import { isErrorCode, type TokenCacheErrorCode } from './errors.js';
import { parseToken, type TokenClaims } from './token.js';

/**
 * The cross-tab protocol: every message the tabs exchange, and the validator that every
 * incoming message passes before anything acts on it (R14). Anything malformed, foreign, of
 * another version or carrying a token that does not decode is dropped (and counted by the caller).
 */
export const PROTOCOL = 'tab-token-cache';
export const VERSION = 1;

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
  /** The sender's sign-out generation. */
  readonly epoch: number;
}

/** A token as it travels: `expiresAt` is wall-clock epoch ms, which every tab of a machine reads the same. */
export interface WireToken {
  readonly key: string;
  readonly token: string;
  readonly expiresAt: number;
}

/** Why a follower asks the leader about a key. */
export type AskReason = 'miss' | 'stale' | 'force';

export type Message =
  | (Base & WireToken & { readonly type: 'token' })
  | (Base & { readonly type: 'heartbeat' })
  | (Base & { readonly type: 'snapshot-request' })
  | (Base & { readonly type: 'snapshot'; readonly to: string; readonly tokens: readonly WireToken[] })
  | (Base & { readonly type: 'ask'; readonly id: string; readonly key: string; readonly reason: AskReason })
  | (Base & { readonly type: 'ack'; readonly to: string; readonly id: string })
  | (Base & {
      readonly type: 'ask-failed';
      readonly key: string;
      readonly code: TokenCacheErrorCode;
      readonly message: string;
    })
  | (Base & { readonly type: 'clear' });

export type MessageType = Message['type'];
type Body<T extends MessageType> = Omit<Extract<Message, { type: T }>, keyof Base>;

/** Builds outgoing messages for one tab of one cache. */
export function messenger(name: string, from: string) {
  return <T extends MessageType>(epoch: number, body: Body<T> & { type: T }): Message =>
    ({ p: PROTOCOL, v: VERSION, name, from, epoch, ...body }) as Message;
}

export type Validated = { ok: true; message: Message; claims: TokenClaims[] } | { ok: false; reason: string };

type Rec = Record<string, unknown>;

function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= max;
}

function wireToken(x: unknown): { wire: WireToken; claims: TokenClaims } | string {
  if (!isRec(x)) return 'token entry is not an object';
  const { key, token, expiresAt } = x;
  if (!str(key, MAX_KEY_LENGTH)) return 'bad key';
  if (!str(token, MAX_TOKEN)) return 'bad token';
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return 'bad expiresAt';
  try {
    return { wire: { key, token, expiresAt }, claims: parseToken(token, key) };
  } catch {
    return 'token does not decode as a JWT with exp and iat';
  }
}

/**
 * Validates the shape of a message for the cache `name`. Token structure is checked here;
 * verifyToken (asynchronous) is the receiver's next step.
 */
export function validate(raw: unknown, name: string): Validated {
  if (!isRec(raw)) return { ok: false, reason: 'not an object' };
  if (raw.p !== PROTOCOL) return { ok: false, reason: 'foreign protocol' };
  if (raw.v !== VERSION) return { ok: false, reason: `protocol version ${String(raw.v)}` };
  if (raw.name !== name) return { ok: false, reason: 'another cache name' };
  if (!str(raw.from, MAX_ID)) return { ok: false, reason: 'bad sender' };
  const epoch = raw.epoch;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    return { ok: false, reason: 'bad epoch' };
  }
  const bad = (reason: string): Validated => ({ ok: false, reason });
  const good = (claims: TokenClaims[] = []): Validated => ({
    ok: true,
    message: raw as unknown as Message,
    claims,
  });
  switch (raw.type) {
    case 'heartbeat':
    case 'snapshot-request':
    case 'clear':
      return good();
    case 'token': {
      const t = wireToken(raw);
      return typeof t === 'string' ? bad(t) : good([t.claims]);
    }
    case 'snapshot': {
      if (!str(raw.to, MAX_ID)) return bad('bad recipient');
      const list = raw.tokens;
      if (!Array.isArray(list) || list.length > MAX_SNAPSHOT) return bad('bad token list');
      const claims: TokenClaims[] = [];
      for (const item of list) {
        const t = wireToken(item);
        if (typeof t === 'string') return bad(t);
        claims.push(t.claims);
      }
      return good(claims);
    }
    case 'ask':
      if (!str(raw.id, MAX_ID) || !str(raw.key, MAX_KEY_LENGTH)) return bad('bad ask');
      return raw.reason === 'miss' || raw.reason === 'stale' || raw.reason === 'force'
        ? good()
        : bad('bad reason');
    case 'ack':
      return str(raw.to, MAX_ID) && str(raw.id, MAX_ID) ? good() : bad('bad ack');
    case 'ask-failed':
      return str(raw.key, MAX_KEY_LENGTH) && isErrorCode(raw.code) && typeof raw.message === 'string'
        ? good()
        : bad('bad ask-failed');
    default:
      return bad('unknown type');
  }
}
