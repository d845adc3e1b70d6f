import { describe, expect, it } from 'vitest';
import { identityIn } from '../src/core/token.js';
import { TokenCacheError } from '../src/errors.js';
import { DEFAULTS, resolveOptions } from '../src/options.js';

const fetchToken = async () => 'jwt';
const base = { name: 'acme', fetchToken };

/** What resolveOptions threw for `input`. */
function rejection(input: unknown): TokenCacheError {
  try {
    resolveOptions(input);
  } catch (error) {
    if (error instanceof TokenCacheError) return error;
    throw error;
  }
  throw new Error(`accepted ${String(input)}`);
}

describe('resolveOptions fills in the defaults', () => {
  it('gives every default and keeps the functions', () => {
    const options = resolveOptions(base);
    expect(options).toEqual({
      name: 'acme',
      fetchToken,
      pollIntervalMs: 5_000,
      refreshLeewaySeconds: 15,
      hardCutoffSeconds: 5,
      fetchTimeoutMs: 10_000,
      verifyToken: undefined,
      idleTimeoutSeconds: 600,
      exclusiveFetch: false,
      identityOf: expect.any(Function),
    });
    expect(options.fetchToken).toBe(fetchToken);
    // identityOf: the `sub` claim when it is a non-empty string (R30).
    expect(identityIn({ iat: 1, exp: 2, sub: 'user_1' }, options.identityOf)).toBe('user_1');
    expect(identityIn({ iat: 1, exp: 2, sub: 42 }, options.identityOf)).toBeUndefined();
    expect(identityIn({ iat: 1, exp: 2, sub: '' }, options.identityOf)).toBeUndefined();
  });

  it('the defaults it documents are the ones it applies', () => {
    expect(DEFAULTS).toEqual({
      pollIntervalMs: 5_000,
      refreshLeewaySeconds: 15,
      hardCutoffSeconds: 5,
      fetchTimeoutMs: 10_000,
      idleTimeoutSeconds: 600,
      exclusiveFetch: false,
    });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
  });

  it('returns a frozen object that assignment cannot change', () => {
    const options = resolveOptions(base);
    expect(Object.isFrozen(options)).toBe(true);
    expect(() => {
      (options as { pollIntervalMs: number }).pollIntervalMs = 1;
    }).toThrow(TypeError);
    expect(options.pollIntervalMs).toBe(5_000);
  });

  it('does not freeze or keep the caller object', () => {
    const input = { ...base, pollIntervalMs: 1_000 };
    const options = resolveOptions(input);
    expect(Object.isFrozen(input)).toBe(false);
    input.pollIntervalMs = 2_000;
    expect(options.pollIntervalMs).toBe(1_000);
  });

  it('keeps every value given, raising or lowering nothing (R18)', () => {
    const verifyToken = () => {};
    const identityOf = () => 'someone';
    expect(
      resolveOptions({
        ...base,
        pollIntervalMs: 500,
        refreshLeewaySeconds: 1.5,
        hardCutoffSeconds: 0.5,
        fetchTimeoutMs: 2_000,
        verifyToken,
        idleTimeoutSeconds: 30,
        exclusiveFetch: true,
        identityOf,
      }),
    ).toEqual({
      name: 'acme',
      fetchToken,
      pollIntervalMs: 500,
      refreshLeewaySeconds: 1.5,
      hardCutoffSeconds: 0.5,
      fetchTimeoutMs: 2_000,
      verifyToken,
      idleTimeoutSeconds: 30,
      exclusiveFetch: true,
      identityOf,
    });
  });

  it.each([
    ['leeway exactly at the bound (default poll and cutoff)', { refreshLeewaySeconds: 15 }],
    ['cutoff 0', { hardCutoffSeconds: 0, refreshLeewaySeconds: 10 }],
    [
      'leeway 0 with cutoff 0 and a tiny poll',
      { hardCutoffSeconds: 0, refreshLeewaySeconds: 0.002, pollIntervalMs: 1 },
    ],
    [
      'explicit undefined means the default',
      { verifyToken: undefined, exclusiveFetch: undefined, pollIntervalMs: undefined },
    ],
    ['exclusiveFetch false', { exclusiveFetch: false }],
    ['a 200-character name', { name: 'n'.repeat(200) }],
    ['a synchronous fetchToken', { fetchToken: () => 'jwt' }],
  ])('accepts %s', (_, over) => {
    expect(() => resolveOptions({ ...base, ...over })).not.toThrow();
  });
});

describe('idleTimeoutSeconds', () => {
  it.each([0.001, 1, 600, 86_400, Infinity])('accepts %s', (idle) => {
    expect(resolveOptions({ ...base, idleTimeoutSeconds: idle }).idleTimeoutSeconds).toBe(idle);
  });

  it.each([0, -1, -Infinity, Number.NaN, '600', null])('rejects %s naming the option', (idle) => {
    const error = rejection({ ...base, idleTimeoutSeconds: idle });
    expect(error.code).toBe('invalid_options');
    expect(error.message).toBe(`idleTimeoutSeconds must be a number > 0 (or Infinity), got ${String(idle)}`);
  });
});

describe('invalid options throw invalid_options naming the option', () => {
  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /createTokenCache needs an options object/],
    ['null', null, /createTokenCache needs an options object/],
    ['a string', 'acme', /createTokenCache needs an options object/],
    ['no name', { fetchToken }, /^name must be a non-empty string/],
    ['an empty name', { ...base, name: '' }, /^name must be a non-empty string/],
    [
      'a name over 200 characters',
      { ...base, name: 'n'.repeat(201) },
      /^name must be .* at most 200 characters/,
    ],
    ['a numeric name', { ...base, name: 42 }, /^name must be/],
    ['no fetchToken', { name: 'acme' }, /^fetchToken must be a function/],
    ['a string fetchToken', { ...base, fetchToken: 'https://x/token' }, /^fetchToken must be a function/],
    ['a non-function verifyToken', { ...base, verifyToken: true }, /^verifyToken must be a function/],
    ['a non-function identityOf', { ...base, identityOf: 'sub' }, /^identityOf must be a function/],
    [
      'exclusiveFetch "true"',
      { ...base, exclusiveFetch: 'true' },
      /^exclusiveFetch must be true or false, got true$/,
    ],
    ['exclusiveFetch 1', { ...base, exclusiveFetch: 1 }, /^exclusiveFetch must be true or false, got 1$/],
    [
      'exclusiveFetch null',
      { ...base, exclusiveFetch: null },
      /^exclusiveFetch must be true or false, got null$/,
    ],
    [
      'pollIntervalMs 0',
      { ...base, pollIntervalMs: 0 },
      /^pollIntervalMs must be a finite number > 0, got 0$/,
    ],
    [
      'pollIntervalMs -5',
      { ...base, pollIntervalMs: -5 },
      /^pollIntervalMs must be a finite number > 0, got -5$/,
    ],
    [
      'pollIntervalMs NaN',
      { ...base, pollIntervalMs: Number.NaN },
      /^pollIntervalMs must be a finite number > 0, got NaN$/,
    ],
    [
      'pollIntervalMs Infinity',
      { ...base, pollIntervalMs: Infinity },
      /^pollIntervalMs must be a finite number > 0, got Infinity$/,
    ],
    [
      'pollIntervalMs "5000"',
      { ...base, pollIntervalMs: '5000' },
      /^pollIntervalMs must be a finite number > 0, got 5000$/,
    ],
    [
      'fetchTimeoutMs 0',
      { ...base, fetchTimeoutMs: 0 },
      /^fetchTimeoutMs must be a finite number > 0, got 0$/,
    ],
    [
      'fetchTimeoutMs Infinity',
      { ...base, fetchTimeoutMs: Infinity },
      /^fetchTimeoutMs must be a finite number > 0/,
    ],
    [
      'refreshLeewaySeconds -1',
      { ...base, refreshLeewaySeconds: -1 },
      /^refreshLeewaySeconds must be a finite number >= 0, got -1$/,
    ],
    [
      'refreshLeewaySeconds NaN',
      { ...base, refreshLeewaySeconds: Number.NaN },
      /^refreshLeewaySeconds must be a finite number >= 0/,
    ],
    [
      'hardCutoffSeconds -0.5',
      { ...base, hardCutoffSeconds: -0.5 },
      /^hardCutoffSeconds must be a finite number >= 0, got -0.5$/,
    ],
    [
      'hardCutoffSeconds Infinity',
      { ...base, hardCutoffSeconds: Infinity },
      /^hardCutoffSeconds must be a finite number >= 0/,
    ],
    [
      'an unknown option',
      { ...base, pollInterval: 5_000 },
      /^Unknown option "pollInterval"; known options: name, fetchToken, /,
    ],
    ['a misspelt option', { ...base, refreshLeewaySecs: 20 }, /^Unknown option "refreshLeewaySecs"/],
  ])('%s', (_, input, message) => {
    const error = rejection(input);
    expect(error).toBeInstanceOf(TokenCacheError);
    expect(error.code).toBe('invalid_options');
    expect(error.message).toMatch(message);
  });
});

describe('R18: refreshLeewaySeconds >= hardCutoffSeconds + 2 * pollIntervalMs / 1000', () => {
  it.each([
    [
      { refreshLeewaySeconds: 14.999 },
      '(14.999) must be >= hardCutoffSeconds + 2 * pollIntervalMs / 1000 = 5 + 2 * 5000 / 1000 = 15',
    ],
    [
      { refreshLeewaySeconds: 10, hardCutoffSeconds: 5 },
      '(10) must be >= hardCutoffSeconds + 2 * pollIntervalMs / 1000 = 5 + 2 * 5000 / 1000 = 15',
    ],
    [
      { refreshLeewaySeconds: 15, pollIntervalMs: 6_000 },
      '(15) must be >= hardCutoffSeconds + 2 * pollIntervalMs / 1000 = 5 + 2 * 6000 / 1000 = 17',
    ],
    [
      { refreshLeewaySeconds: 1, hardCutoffSeconds: 0.5, pollIntervalMs: 500 },
      '(1) must be >= hardCutoffSeconds + 2 * pollIntervalMs / 1000 = 0.5 + 2 * 500 / 1000 = 1.5',
    ],
    [
      { refreshLeewaySeconds: 0, hardCutoffSeconds: 0 },
      '(0) must be >= hardCutoffSeconds + 2 * pollIntervalMs / 1000 = 0 + 2 * 5000 / 1000 = 10',
    ],
  ])('rejects %j, naming the bound and its numbers', (over, detail) => {
    const error = rejection({ ...base, ...over });
    expect(error.code).toBe('invalid_options');
    expect(error.message).toContain(`refreshLeewaySeconds ${detail}`);
  });

  it.each([
    [{ refreshLeewaySeconds: 15 }],
    [{ refreshLeewaySeconds: 17, pollIntervalMs: 6_000 }],
    [{ refreshLeewaySeconds: 1.5, hardCutoffSeconds: 0.5, pollIntervalMs: 500 }],
    [{ refreshLeewaySeconds: 60, hardCutoffSeconds: 30, pollIntervalMs: 15_000 }],
  ])('accepts a leeway exactly at or above the bound: %j', (over) => {
    expect(resolveOptions({ ...base, ...over })).toMatchObject(over);
  });
});

describe('durations a timer cannot wait are refused, not fired at once', () => {
  it.each([
    ['pollIntervalMs', 2 ** 31],
    ['fetchTimeoutMs', 2 ** 31],
    ['idleTimeoutSeconds', 30 * 86_400],
  ])('rejects %s = %d naming the longest allowed', (option, value) => {
    const e = rejection({ ...base, refreshLeewaySeconds: 1e6, [option]: value });
    expect(e.code).toBe('invalid_options');
    expect(e.message).toContain(option);
    expect(e.message).toContain('at most');
  });

  it('accepts the longest a timer can wait', () => {
    expect(resolveOptions({ ...base, fetchTimeoutMs: 2 ** 31 - 1 }).fetchTimeoutMs).toBe(2 ** 31 - 1);
  });
});

describe('R18 is compared without float error', () => {
  it('accepts a leeway exactly at its bound where 0.1 + 0.2 is not 0.3', () => {
    const o = resolveOptions({
      ...base,
      pollIntervalMs: 100,
      hardCutoffSeconds: 0.1,
      refreshLeewaySeconds: 0.3,
    });
    expect(o.refreshLeewaySeconds).toBe(0.3);
  });

  it('still rejects a leeway a microsecond short of it', () => {
    const e = rejection({
      ...base,
      pollIntervalMs: 100,
      hardCutoffSeconds: 0.1,
      refreshLeewaySeconds: 0.299999,
    });
    expect(e.code).toBe('invalid_options');
  });
});
