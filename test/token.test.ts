import { describe, expect, it, vi } from 'vitest';
import {
  assertLongEnough,
  parseToken,
  redact,
  type TokenClaims,
  usableLifeMs,
  verify,
} from '../src/core/token.js';
import { TokenCacheError } from '../src/errors.js';
import { makeJwt } from './helpers.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const HEADER = b64('{"alg":"none","typ":"JWT"}');
/** A JWT whose payload segment is `payload` verbatim (to write JSON that JSON.stringify cannot). */
const rawJwt = (payload: string) => `${HEADER}.${b64(payload)}.c2lnbmF0dXJl`;

const GOOD = makeJwt({ sub: 'user_1', iat: 1_700_000_000, exp: 1_700_000_060, jti: 'jti-1' });

/** Runs `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseToken', () => {
  it('returns the claims of a JWT, with its numeric iat and exp', () => {
    expect(parseToken(GOOD, 'k')).toMatchObject({ iat: 1_700_000_000, exp: 1_700_000_060 });
  });

  it('accepts fractional claims (numbers are numbers)', () => {
    expect(parseToken(makeJwt({ iat: 100.5, exp: 160.25 }), 'k')).toEqual({ iat: 100.5, exp: 160.25 });
  });

  it.each<[string, unknown, RegExp]>([
    ['a number', 42, /returned a number/],
    ['undefined', undefined, /returned a undefined/],
    ['null', null, /returned a object/],
    ['an object', { token: GOOD }, /returned a object/],
    ['the empty string', '', /not a JWT/],
    ['a string without dots', 'not-a-jwt', /not a JWT/],
    ['two parts', 'aaaa.bbbb', /not a JWT/],
    ['four parts', `${GOOD}.extra`, /not a JWT/],
    ['three empty parts', '..', /could not be decoded/],
    ['a payload that is not base64url JSON', `${HEADER}.%%%%.c2ln`, /could not be decoded/],
    ['a payload that is JSON but not an object', rawJwt('[1,2,3]'), /could not be decoded/],
    ['a payload that is not JSON', rawJwt('iat=1&exp=2'), /could not be decoded/],
    ['no iat', makeJwt({ exp: 1_700_000_060, sub: 'user_1' }), /no numeric "iat" and "exp"/],
    ['no exp', makeJwt({ iat: 1_700_000_000, sub: 'user_1' }), /no numeric "iat" and "exp"/],
    ['a string iat', makeJwt({ iat: '1700000000', exp: 1_700_000_060 }), /no numeric "iat" and "exp"/],
    ['a string exp', makeJwt({ iat: 1_700_000_000, exp: '1700000060' }), /no numeric "iat" and "exp"/],
    ['a null exp', makeJwt({ iat: 1_700_000_000, exp: null }), /no numeric "iat" and "exp"/],
    ['a boolean iat', makeJwt({ iat: true, exp: 1_700_000_060 }), /no numeric "iat" and "exp"/],
    ['an infinite exp (1e400)', rawJwt('{"iat":1700000000,"exp":1e400}'), /no numeric "iat" and "exp"/],
  ])('rejects %s with invalid_token, naming the key and never the full token', (_, input, message) => {
    const error = thrown(() => parseToken(input, 'org_42:template_a'));
    expect(error).toBeInstanceOf(TokenCacheError);
    expect(error).toMatchObject({ name: 'TokenCacheError', code: 'invalid_token' });
    const text = (error as Error).message;
    expect(text).toMatch(message);
    expect(text).toContain('"org_42:template_a"');
    if (typeof input === 'string' && input.length > 0) expect(text).not.toContain(input);
  });

  it('shows a long token only redacted (first 8 characters and its length)', () => {
    const noExp = makeJwt({ iat: 1_700_000_000, sub: 'a-secret-subject' });
    const text = (thrown(() => parseToken(noExp, 'k')) as Error).message;
    expect(text).toContain(`${noExp.slice(0, 8)}…(${noExp.length} chars)`);
    expect(text).not.toContain(noExp.split('.')[1]);
    expect(text).not.toContain('a-secret-subject');
  });

  it('keeps the decoder error as the cause of an undecodable token', () => {
    const error = thrown(() => parseToken(rawJwt('nope'), 'k')) as TokenCacheError;
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('redact', () => {
  it.each([
    ['', '[redacted]'],
    ['a.b.c', '[redacted]'],
    ['123456789012', '[redacted]'],
    ['1234567890123', '12345678…(13 chars)'],
    [GOOD, `${GOOD.slice(0, 8)}…(${GOOD.length} chars)`],
  ])('redact(%j) is %j', (jwt, expected) => {
    expect(redact(jwt)).toBe(expected);
  });
});

describe('usableLifeMs: exp - iat - 1 s', () => {
  it.each([
    [{ iat: 100, exp: 160 }, 59_000],
    [{ iat: 100, exp: 106 }, 5_000],
    [{ iat: 100, exp: 101 }, 0],
    [{ iat: 100, exp: 100 }, -1_000],
    [{ iat: 100, exp: 3_700 }, 3_599_000],
  ])('%j -> %d ms', (claims, expected) => {
    expect(usableLifeMs(claims)).toBe(expected);
  });
});

describe('assertLongEnough: usable life must exceed the cutoff', () => {
  it.each<[TokenClaims, number]>([
    [{ iat: 100, exp: 160 }, 5_000],
    [{ iat: 100, exp: 107 }, 5_000], // usable 6 s > 5 s
    [{ iat: 100, exp: 102 }, 0], // usable 1 s > 0
  ])('accepts %j with cutoff %d ms', (claims, cutoff) => {
    expect(() => assertLongEnough(claims, cutoff, 'k')).not.toThrow();
  });

  it.each<[TokenClaims, number]>([
    [{ iat: 100, exp: 106 }, 5_000], // usable exactly the cutoff
    [{ iat: 100, exp: 105 }, 5_000],
    [{ iat: 100, exp: 101 }, 0], // usable 0 s
    [{ iat: 100, exp: 90 }, 0], // exp before iat
    [{ iat: 100, exp: 160 }, 59_000],
  ])('rejects %j with cutoff %d ms as token_ttl_too_short', (claims, cutoff) => {
    const error = thrown(() => assertLongEnough(claims, cutoff, 'key-1'));
    expect(error).toBeInstanceOf(TokenCacheError);
    expect(error).toMatchObject({ code: 'token_ttl_too_short' });
    expect((error as Error).message).toContain('"key-1"');
    expect((error as Error).message).toContain(`hardCutoffSeconds (${cutoff / 1000} s)`);
  });
});

describe('verify', () => {
  it('does nothing without a verifyToken', async () => {
    await expect(verify(GOOD, 'k', undefined)).resolves.toBeUndefined();
  });

  it('passes the jwt and key to verifyToken and resolves when it accepts', async () => {
    const verifyToken = vi.fn(async () => {});
    await expect(verify(GOOD, 'k1', verifyToken)).resolves.toBeUndefined();
    expect(verifyToken).toHaveBeenCalledExactlyOnceWith(GOOD, 'k1');
  });

  it.each<[string, (cause: unknown) => () => unknown]>([
    [
      'throws synchronously',
      (cause) => () => {
        throw cause;
      },
    ],
    ['rejects', (cause) => () => Promise.reject(cause)],
  ])('turns a verifyToken that %s into verification_failed with the cause', async (_, make) => {
    const cause = new Error('signature mismatch');
    const error = await verify(GOOD, 'k1', make(cause) as () => void).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenCacheError);
    expect(error).toMatchObject({ code: 'verification_failed', cause });
    const text = (error as Error).message;
    expect(text).toContain('"k1"');
    expect(text).toContain(': signature mismatch');
    expect(text).toContain(redact(GOOD));
    expect(text).not.toContain(GOOD);
  });

  it('keeps a non-Error rejection as the cause without appending it to the message', async () => {
    const error = (await verify(GOOD, 'k', () => Promise.reject('nope')).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'verification_failed', cause: 'nope' });
    expect(error.message).toBe(`verifyToken rejected the token for key "k" (${redact(GOOD)})`);
  });
});
