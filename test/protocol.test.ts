import { describe, expect, it } from 'vitest';
import {
  type Body,
  encode,
  MAX_KEY_LENGTH,
  type MessageType,
  PROTOCOL,
  parse,
  VERSION,
  type WireToken,
} from '../src/wire/protocol.js';
import { makeJwt } from './helpers.js';

const NAME = 'acme';
const HEAD = { name: NAME, from: 'tab-1', epoch: 3 };
const JWT = makeJwt({ sub: 'user_1', iat: 1_700_000_000, exp: 1_700_000_060, jti: 'jti-1' });
const JWT2 = makeJwt({ sub: 'user_1', iat: 1_700_000_010, exp: 1_700_000_070, jti: 'jti-2' });
const CLAIMS = { sub: 'user_1', iat: 1_700_000_000, exp: 1_700_000_060, jti: 'jti-1' };
const CLAIMS2 = { sub: 'user_1', iat: 1_700_000_010, exp: 1_700_000_070, jti: 'jti-2' };
const WIRE: WireToken = { key: 'default', token: JWT, expiresAt: 1_767_225_659_000 };
const WIRE2: WireToken = { key: 'org_42:template_a', token: JWT2, expiresAt: 1_767_225_669_000 };

/** A structured clone, as the channel delivers it. */
function overTheWire<T>(message: T): unknown {
  return structuredClone(message);
}

function message<T extends MessageType>(type: T, body: Body<T>): Record<string, unknown> {
  return overTheWire(encode(HEAD, type, body)) as Record<string, unknown>;
}

const COMMON = { p: PROTOCOL, v: VERSION, name: NAME, from: 'tab-1', epoch: 3 };

describe('encode', () => {
  it('stamps the protocol, version and head on the body', () => {
    expect(encode(HEAD, 'ask', { id: 'q1', key: 'default', reason: 'miss' })).toEqual({
      p: 'tab-token-cache',
      v: 2,
      name: NAME,
      from: 'tab-1',
      epoch: 3,
      type: 'ask',
      id: 'q1',
      key: 'default',
      reason: 'miss',
    });
  });
});

describe('encode then parse round-trips every message type', () => {
  it.each<[MessageType, Record<string, unknown>, Record<string, unknown>]>([
    ['token', { ...WIRE }, { tokens: [{ ...WIRE, claims: CLAIMS }] }],
    ['snapshot-request', {}, {}],
    [
      'snapshot',
      { to: 'tab-2', tokens: [WIRE, WIRE2] },
      {
        to: 'tab-2',
        tokens: [
          { ...WIRE, claims: CLAIMS },
          { ...WIRE2, claims: CLAIMS2 },
        ],
      },
    ],
    ['snapshot', { to: 'tab-2', tokens: [] }, { to: 'tab-2', tokens: [] }],
    ['ask', { id: 'q1', key: 'default', reason: 'miss' }, { id: 'q1', key: 'default', reason: 'miss' }],
    ['ask', { id: 'q2', key: 'k', reason: 'stale' }, { id: 'q2', key: 'k', reason: 'stale' }],
    ['ask', { id: 'q3', key: 'k', reason: 'force' }, { id: 'q3', key: 'k', reason: 'force' }],
    ['ack', { to: 'tab-2', id: 'q1' }, { to: 'tab-2', id: 'q1' }],
    [
      'ask-failed',
      { key: 'k', code: 'fetch_failed', message: '503 Service Unavailable' },
      { key: 'k', code: 'fetch_failed', message: '503 Service Unavailable' },
    ],
    [
      'ask-failed',
      { key: 'k', code: 'invalid_token', message: '' },
      { key: 'k', code: 'invalid_token', message: '' },
    ],
    ['clear', {}, {}],
  ])('%s %j', (type, body, parsed) => {
    const result = parse(message(type, body as never), NAME);
    expect(result).toEqual({ ok: true, message: { ...COMMON, type, ...parsed } });
  });

  it('a parsed token carries its decoded claims', () => {
    const result = parse(message('token', WIRE), NAME);
    if (!result.ok || result.message.type !== 'token')
      throw new Error(`not parsed: ${JSON.stringify(result)}`);
    expect(result.message.tokens).toHaveLength(1);
    expect(result.message.tokens[0]?.claims).toEqual(CLAIMS);
  });

  it('drops fields the message type does not define', () => {
    const raw = { ...message('clear', {}), extra: 'x', tokens: [WIRE] };
    expect(parse(raw, NAME)).toEqual({ ok: true, message: { ...COMMON, type: 'clear' } });
  });

  it('accepts epoch 0 and the longest key', () => {
    const key = 'k'.repeat(MAX_KEY_LENGTH);
    const raw = { ...message('ask', { id: 'q', key, reason: 'miss' }), epoch: 0 };
    expect(parse(raw, NAME)).toMatchObject({ ok: true, message: { epoch: 0, key } });
  });
});

const TOKEN = message('token', WIRE);
const ASK = message('ask', { id: 'q1', key: 'k', reason: 'miss' });
const SNAPSHOT = message('snapshot', { to: 'tab-2', tokens: [WIRE] });
const ASK_FAILED = message('ask-failed', { key: 'k', code: 'fetch_failed', message: 'x' });
const ACK = message('ack', { to: 'tab-2', id: 'q1' });
const noExp = makeJwt({ sub: 'user_1', iat: 1_700_000_000 });

describe('parse rejects (ok: false, never throws)', () => {
  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'not an object'],
    ['null', null, 'not an object'],
    ['a string', 'clear', 'not an object'],
    ['an array', [TOKEN], 'not an object'],
    ['another protocol', { ...TOKEN, p: 'other-lib' }, 'foreign protocol'],
    ['no protocol', { ...TOKEN, p: undefined }, 'foreign protocol'],
    ['version 1', { ...TOKEN, v: 1 }, 'protocol version 1'],
    ['version 3', { ...TOKEN, v: 3 }, 'protocol version 3'],
    ['version "2" as a string', { ...TOKEN, v: '2' }, 'protocol version 2'],
    ['another cache name', { ...TOKEN, name: 'other' }, 'another cache name'],
    ['no sender', { ...TOKEN, from: undefined }, 'bad sender'],
    ['an empty sender', { ...TOKEN, from: '' }, 'bad sender'],
    ['a numeric sender', { ...TOKEN, from: 7 }, 'bad sender'],
    ['a sender over 64 characters', { ...TOKEN, from: 'x'.repeat(65) }, 'bad sender'],
    ['a negative epoch', { ...TOKEN, epoch: -1 }, 'bad epoch'],
    ['a fractional epoch', { ...TOKEN, epoch: 1.5 }, 'bad epoch'],
    ['a string epoch', { ...TOKEN, epoch: '3' }, 'bad epoch'],
    ['a NaN epoch', { ...TOKEN, epoch: Number.NaN }, 'bad epoch'],
    ['an infinite epoch', { ...TOKEN, epoch: Infinity }, 'bad epoch'],
    ['an unsafe integer epoch', { ...TOKEN, epoch: 2 ** 53 }, 'bad epoch'],
    ['an unknown type', { ...TOKEN, type: 'heartbeat' }, 'unknown type'],
    ['no type', { ...TOKEN, type: undefined }, 'unknown type'],
    [
      'a token that is not a JWT',
      { ...TOKEN, token: 'not-a-jwt' },
      'token does not decode as a JWT with exp and iat',
    ],
    ['a token without exp', { ...TOKEN, token: noExp }, 'token does not decode as a JWT with exp and iat'],
    ['a token over 16384 characters', { ...TOKEN, token: `${JWT}${'A'.repeat(16_384)}` }, 'bad token'],
    ['an empty token', { ...TOKEN, token: '' }, 'bad token'],
    ['a token with an empty key', { ...TOKEN, key: '' }, 'bad key'],
    ['a token with an oversize key', { ...TOKEN, key: 'k'.repeat(MAX_KEY_LENGTH + 1) }, 'bad key'],
    ['a token without expiresAt', { ...TOKEN, expiresAt: undefined }, 'bad expiresAt'],
    ['a token with a NaN expiresAt', { ...TOKEN, expiresAt: Number.NaN }, 'bad expiresAt'],
    ['a token with a string expiresAt', { ...TOKEN, expiresAt: '1767225659000' }, 'bad expiresAt'],
    ['a snapshot without recipient', { ...SNAPSHOT, to: undefined }, 'bad recipient'],
    ['a snapshot whose list is not an array', { ...SNAPSHOT, tokens: { 0: WIRE } }, 'bad token list'],
    [
      'a snapshot list over 1000 tokens',
      { ...SNAPSHOT, tokens: Array.from({ length: 1_001 }, () => WIRE) },
      'bad token list',
    ],
    [
      'a snapshot with one token that does not decode',
      { ...SNAPSHOT, tokens: [WIRE, { ...WIRE2, token: 'a.b.c' }] },
      'token does not decode as a JWT with exp and iat',
    ],
    [
      'a snapshot with a non-object entry',
      { ...SNAPSHOT, tokens: [WIRE, 'x'] },
      'token entry is not an object',
    ],
    [
      'a snapshot with an oversize key',
      { ...SNAPSHOT, tokens: [{ ...WIRE, key: 'k'.repeat(257) }] },
      'bad key',
    ],
    ['an ask with an unknown reason', { ...ASK, reason: 'bored' }, 'bad reason'],
    ['an ask without reason', { ...ASK, reason: undefined }, 'bad reason'],
    ['an ask without id', { ...ASK, id: undefined }, 'bad ask'],
    ['an ask with an oversize key', { ...ASK, key: 'k'.repeat(MAX_KEY_LENGTH + 1) }, 'bad ask'],
    ['an ack without recipient', { ...ACK, to: '' }, 'bad ack'],
    ['an ack with an id over 64 characters', { ...ACK, id: 'q'.repeat(65) }, 'bad ack'],
    ['an ask-failed with an unknown code', { ...ASK_FAILED, code: 'teapot' }, 'bad ask-failed'],
    ['an ask-failed without message', { ...ASK_FAILED, message: undefined }, 'bad ask-failed'],
    ['an ask-failed with an empty key', { ...ASK_FAILED, key: '' }, 'bad ask-failed'],
  ])('%s', (_, raw, reason) => {
    expect(parse(raw, NAME)).toEqual({ ok: false, reason });
  });

  it('a snapshot of exactly 1000 tokens is accepted', () => {
    const raw = { ...SNAPSHOT, tokens: Array.from({ length: 1_000 }, () => WIRE) };
    const result = parse(raw, NAME);
    expect(result.ok && result.message.type === 'snapshot' && result.message.tokens.length).toBe(1_000);
  });
});
