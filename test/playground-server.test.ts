// The playground's token server, driven through a real node:http server on an ephemeral port
// (no Vite, no browser). Time is an injected clock and latency an injected sleep, so nothing
// here waits on wall-clock time and hopes.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerHistory } from '../playground/server/contract';
import { createHistory } from '../playground/server/history';
import { createRefreshTokenStore, readCookie } from '../playground/server/rotation';
import {
  createTokenServer,
  type ServerStats,
  type TokenServer,
  type TokenServerOptions,
} from '../playground/server/token-server';

/** The token server's settings at start (createTokenServer with no options). */
const DEFAULT_CONTROL = {
  ttlSeconds: 60,
  latencyMs: 0,
  mode: 'ok',
  rotation: false,
  skewNextSeconds: 0,
  user: 'user_demo',
  reuseGraceSeconds: 0,
} as const;

interface Harness {
  base: string;
  tokens: TokenServer;
  clock: { now: number };
  post(path: string, body?: unknown, init?: RequestInit): Promise<Response>;
  get(path: string, init?: RequestInit): Promise<Response>;
  token(key?: string): Promise<string>;
  stats(): Promise<ServerStats>;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

// A fixed instant with a fractional second, so that iat rounding is visible.
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0, 750);

async function start(options: TokenServerOptions = {}): Promise<Harness> {
  const clock = { now: T0 };
  const tokens = createTokenServer({ now: () => clock.now, ...options });
  const server = createServer((req, res) => {
    void tokens.handle(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('fell through to next()');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const post = (path: string, body?: unknown, init: RequestInit = {}) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      ...init,
    });
  const get = (path: string, init: RequestInit = {}) => fetch(base + path, init);
  const token = async (key?: string) => {
    const res = await post('/api/token', key === undefined ? {} : { key });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string };
    return body.token;
  };
  const stats = async () => (await (await get('/api/stats')).json()) as ServerStats;
  return { base, tokens, clock, post, get, token, stats };
}

async function errorOf(res: Response): Promise<string> {
  const body = (await res.json()) as { error: unknown };
  expect(typeof body.error).toBe('string');
  return body.error as string;
}

function expectJsonHeaders(res: Response): void {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

/** The refresh token of the one `rt` cookie a response sets. */
function rtOf(res: Response): string {
  const cookies = res.headers.getSetCookie();
  expect(cookies).toHaveLength(1);
  const match = /^rt=([A-Za-z0-9_-]+);/.exec(cookies[0] ?? '');
  expect(match, cookies[0]).not.toBeNull();
  return match?.[1] ?? '';
}

/** Request init that sends the given refresh token as the `rt` cookie. */
function withRt(rt: string, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { 'content-type': 'application/json', cookie: `rt=${rt}` } };
}

/** POST /api/session; resolves the refresh token it set. */
async function signIn(h: Harness): Promise<string> {
  const res = await h.post('/api/session');
  expect(res.status).toBe(200);
  return rtOf(res);
}

/** A token request with the given refresh token that must succeed; resolves the next one. */
async function refresh(h: Harness, rt: string, key = 'a'): Promise<string> {
  const res = await h.post('/api/token', { key }, withRt(rt));
  expect(res.status).toBe(200);
  const { token } = (await res.json()) as { token: string };
  expect(decodeJwt(token).key).toBe(key);
  return rtOf(res);
}

/** A token request with the given refresh token (or none) that must be refused; resolves the error. */
async function refused(h: Harness, rt?: string): Promise<string> {
  const res = await h.post('/api/token', { key: 'a' }, rt === undefined ? {} : withRt(rt));
  expect(res.status).toBe(401);
  expectJsonHeaders(res);
  expect(res.headers.get('set-cookie')).toBeNull(); // a refusal leaves the cookie as it is
  return errorOf(res);
}

/**
 * A sleep held for every request until the test releases them all; `arrived(n)` resolves once n
 * requests are waiting in it.
 */
function gatedSleep() {
  let waiting = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const sleep = () => {
    waiting++;
    for (const waiter of waiters) if (waiting >= waiter.n) waiter.resolve();
    return released;
  };
  const arrived = (n: number) =>
    new Promise<void>((resolve) => {
      if (waiting >= n) resolve();
      else waiters.push({ n, resolve });
    });
  return { sleep, arrived, release };
}

/** A sleep the test releases by hand; `entered` resolves (with the ms asked for) once it is waited on. */
function manualSleep() {
  let enter!: (call: { ms: number; signal: AbortSignal }) => void;
  const entered = new Promise<{ ms: number; signal: AbortSignal }>((resolve) => {
    enter = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const sleep = (ms: number, signal: AbortSignal) => {
    enter({ ms, signal });
    return released;
  };
  return { sleep, entered, release };
}

describe('POST /api/token', () => {
  it('issues an ES256 JWT with iat, exp = iat + 60, sub, key and a unique jti, verifiable with the JWKS', async () => {
    const h = await start();
    const res = await h.post('/api/token', { key: 'org_42:template_a' });
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    const { token } = (await res.json()) as { token: string };

    const claims = decodeJwt(token);
    expect(claims.iat).toBe(Math.floor(T0 / 1000));
    expect(claims.exp).toBe(Math.floor(T0 / 1000) + 60);
    expect(claims.sub).toBe('user_demo');
    expect(claims.key).toBe('org_42:template_a');
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const jwksRes = await h.get('/.well-known/jwks.json');
    expect(jwksRes.status).toBe(200);
    expectJsonHeaders(jwksRes);
    const jwks = (await jwksRes.json()) as JSONWebKeySet;
    expect(jwks.keys).toHaveLength(1);
    const [jwk] = jwks.keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof jwk?.kid).toBe('string');
    expect(jwk).not.toHaveProperty('d'); // never the private part
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: jwk?.kid });

    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: ['ES256'],
      currentDate: new Date(T0),
    });
    expect(payload.key).toBe('org_42:template_a');

    const other = decodeJwt(await h.token('org_42:template_a'));
    expect(other.jti).not.toBe(claims.jti);
  });

  it('uses the real clock by default', async () => {
    const before = Math.floor(Date.now() / 1000);
    const h = await start({ now: Date.now });
    const claims = decodeJwt(await h.token());
    const after = Math.floor(Date.now() / 1000);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
  });

  it("uses key 'default' when the key is omitted or the body is empty", async () => {
    const h = await start();
    expect(decodeJwt(await h.token()).key).toBe('default');
    const res = await h.post('/api/token');
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(decodeJwt(token).key).toBe('default');
    expect((await h.stats()).byKey).toEqual({ default: 2 });
  });

  it('follows the ttl set through /api/control', async () => {
    const h = await start();
    const res = await h.post('/api/control', { ttlSeconds: 2 });
    expect(res.status).toBe(200);
    const claims = decodeJwt(await h.token());
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(2);
  });

  it.each([
    ['malformed JSON', '{"key":', /not valid JSON/],
    ['a JSON array', '["a"]', /must be a JSON object, got an array/],
    ['a JSON string', '"a"', /must be a JSON object/],
    ['an unknown field', { key: 'a', scope: 'x' }, /unknown field.*"scope"/],
    ['a non-string key', { key: 42 }, /key must be a non-empty string.*got 42/],
    ['an empty key', { key: '' }, /key must be a non-empty string/],
    ['a key of 257 characters', { key: 'k'.repeat(257) }, /at most 256 characters/],
  ])('answers 400 to %s, and counts nothing', async (_label, body, message) => {
    const h = await start();
    const res = await h.post('/api/token', body);
    expect(res.status).toBe(400);
    expectJsonHeaders(res);
    expect(await errorOf(res)).toMatch(message);
    expect((await h.stats()).requests).toBe(0);
  });

  it('accepts a key of exactly 256 characters', async () => {
    const h = await start();
    expect(decodeJwt(await h.token('k'.repeat(256))).key).toBe('k'.repeat(256));
  });

  it('answers 413 to a body over 16 KiB and keeps serving', async () => {
    const h = await start();
    const res = await h.post('/api/token', { key: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expectJsonHeaders(res);
    expect(await errorOf(res)).toMatch(/too large/);
    expect(decodeJwt(await h.token('after')).key).toBe('after');
  });

  it("mode 'fail' answers 503 { error: 'unavailable' }", async () => {
    const h = await start();
    await h.post('/api/control', { mode: 'fail' });
    const res = await h.post('/api/token', { key: 'a' });
    expect(res.status).toBe(503);
    expectJsonHeaders(res);
    expect(await res.json()).toEqual({ error: 'unavailable' });
    expect((await h.stats()).requests).toBe(1);
  });

  it("mode 'garbage' answers 200 with a token that is not a JWT", async () => {
    const h = await start();
    await h.post('/api/control', { mode: 'garbage' });
    const res = await h.post('/api/token', { key: 'a' });
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    const { token } = (await res.json()) as { token: unknown };
    expect(typeof token).toBe('string');
    expect(() => decodeJwt(token as string)).toThrow();
    expect((await h.stats()).requests).toBe(1);

    await h.post('/api/control', { mode: 'ok' });
    expect(decodeJwt(await h.token('a')).key).toBe('a');
  });

  it('counts a request on arrival, before its latency has elapsed', async () => {
    const manual = manualSleep();
    const h = await start({ sleep: manual.sleep });
    await h.post('/api/control', { latencyMs: 5000 });

    let settled = false;
    const pending = h.post('/api/token', { key: 'slow' }).then((res) => {
      settled = true;
      return res;
    });
    const call = await manual.entered;
    expect(call.ms).toBe(5000);

    // The token request is still waiting out its latency, and is already counted.
    expect(await h.stats()).toEqual({
      requests: 1,
      byKey: { slow: 1 },
      accepted: 0,
      rejected: 0,
      reuseDetected: 0,
      inFlight: 1,
      maxInFlight: 1,
    });
    expect(settled).toBe(false);

    manual.release();
    const res = await pending;
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(decodeJwt(token).key).toBe('slow');
  });

  it('applies a mode changed while a request waits out its latency', async () => {
    const manual = manualSleep();
    const h = await start({ sleep: manual.sleep, latencyMs: 1000 });
    const pending = h.post('/api/token', { key: 'a' });
    await manual.entered;
    await h.post('/api/control', { mode: 'fail' });
    manual.release();
    expect((await pending).status).toBe(503);
  });

  it('stops waiting when the client goes away during the latency', async () => {
    const manual = manualSleep();
    const h = await start({ sleep: manual.sleep, latencyMs: 60_000 });
    const abort = new AbortController();
    const pending = h.post('/api/token', { key: 'a' }, { signal: abort.signal });
    const call = await manual.entered;
    expect(call.signal.aborted).toBe(false);
    const aborted = new Promise<void>((resolve) => call.signal.addEventListener('abort', () => resolve()));
    abort.abort();
    await expect(pending).rejects.toThrow();
    await aborted; // the server noticed the disconnect
    expect(await h.stats()).toMatchObject({ requests: 1, inFlight: 0, maxInFlight: 1 });
    manual.release();
    expect((await h.stats()).requests).toBe(1);
  });

  it('counts the requests in flight and the most at once; a reset starts the most from those in flight', async () => {
    const gate = gatedSleep();
    const h = await start({ sleep: gate.sleep, latencyMs: 1000 });
    const first = h.post('/api/token', { key: 'a' });
    const second = h.post('/api/token', { key: 'b' });
    await gate.arrived(2);
    expect(await h.stats()).toMatchObject({ requests: 2, inFlight: 2, maxInFlight: 2 });
    await h.post('/api/stats/reset');
    expect(await h.stats()).toMatchObject({ requests: 0, inFlight: 2, maxInFlight: 2 });
    gate.release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(await h.stats()).toMatchObject({ inFlight: 0, maxInFlight: 2 });
    await h.post('/api/stats/reset');
    await h.token('c'); // one at a time: never more than one in flight
    await h.token('c');
    expect(await h.stats()).toMatchObject({ requests: 2, inFlight: 0, maxInFlight: 1 });
    expect(h.tokens.stats.maxInFlight).toBe(1);
  });

  it('user: another user signing in is the sub of every token issued from then on (R30)', async () => {
    const h = await start();
    expect(decodeJwt(await h.token('a')).sub).toBe('user_demo');
    const set = await h.post('/api/control', { user: 'ada@example.com' });
    expect(await set.json()).toMatchObject({ user: 'ada@example.com' });
    expect(decodeJwt(await h.token('a')).sub).toBe('ada@example.com');
  });

  it('renderToken: a token as a page server renders it (R31), signed like the others and not a token request', async () => {
    const h = await start({ ttlSeconds: 30 });
    const rendered = decodeJwt(await h.tokens.renderToken('k'));
    expect(rendered).toMatchObject({ key: 'k', sub: 'user_demo', exp: (rendered.iat ?? 0) + 30 });
    expect(await h.stats()).toMatchObject({ requests: 0 });
  });

  it('skewNextSeconds: the next token is dated that far ahead (iat, exp = iat + ttl), then the step is over by itself', async () => {
    const h = await start({ ttlSeconds: 5 });
    const iat0 = Math.floor(T0 / 1000);
    const set = await h.post('/api/control', { skewNextSeconds: 86_400 });
    expect(await set.json()).toMatchObject({ skewNextSeconds: 86_400, ttlSeconds: 5 });

    // An answer that signs nothing leaves the step pending.
    await h.post('/api/control', { mode: 'garbage' });
    expect((await h.post('/api/token', { key: 'a' })).status).toBe(200);
    await h.post('/api/control', { mode: 'fail' });
    expect((await h.post('/api/token', { key: 'a' })).status).toBe(503);
    await h.post('/api/control', { mode: 'ok' });
    expect(h.tokens.control.skewNextSeconds).toBe(86_400);

    h.clock.now += 2_000;
    const skewed = decodeJwt(await h.token('a'));
    expect(skewed.iat).toBe(iat0 + 2 + 86_400);
    expect(skewed.exp).toBe(iat0 + 2 + 86_400 + 5);
    expect(await (await h.get('/api/control')).json()).toMatchObject({ skewNextSeconds: 0 });
    const after = decodeJwt(await h.token('a'));
    expect(after.iat).toBe(iat0 + 2);
    expect(after.exp).toBe(iat0 + 2 + 5);

    // The history shows the step set and over (the settings changed twice more for the modes).
    const steps = h.tokens
      .history()
      .events.flatMap((event) => (event.kind === 'control' ? [event.control.skewNextSeconds] : []));
    expect(steps).toEqual([86_400, 86_400, 86_400, 86_400, 0]);
  });

  it('skewNextSeconds: a step back works too; out of range or not an integer is 400 and changes nothing', async () => {
    const h = await start();
    await h.post('/api/control', { skewNextSeconds: -30 });
    expect(decodeJwt(await h.token()).iat).toBe(Math.floor(T0 / 1000) - 30);
    for (const value of [604_801, -604_801, 1.5, '60', null]) {
      const res = await h.post('/api/control', { skewNextSeconds: value, mode: 'fail' });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatch(/^skewNextSeconds must be an integer between -604800 and 604800/);
    }
    expect(h.tokens.control).toMatchObject({ skewNextSeconds: 0, mode: 'ok' });
  });

  it('waits out the latency with the default sleep', async () => {
    const h = await start({ sleep: undefined, latencyMs: 150 });
    const started = performance.now();
    await h.token();
    // A lower bound only (timers never fire early); no upper bound that a slow machine could break.
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('POST /api/control', () => {
  it('answers the control state; {} changes nothing', async () => {
    const h = await start();
    const res = await h.post('/api/control', {});
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    expect(await res.json()).toEqual(DEFAULT_CONTROL);

    const set = await h.post('/api/control', {
      ttlSeconds: 3600,
      latencyMs: 60_000,
      mode: 'garbage',
      rotation: true,
      skewNextSeconds: 0,
      user: 'user_demo',
      reuseGraceSeconds: 5,
    });
    expect(await set.json()).toEqual({
      ttlSeconds: 3600,
      latencyMs: 60_000,
      mode: 'garbage',
      rotation: true,
      skewNextSeconds: 0,
      user: 'user_demo',
      reuseGraceSeconds: 5,
    });
    const lower = await h.post('/api/control', { ttlSeconds: 2, latencyMs: 0 });
    expect(await lower.json()).toEqual({
      ttlSeconds: 2,
      latencyMs: 0,
      mode: 'garbage',
      rotation: true,
      skewNextSeconds: 0,
      user: 'user_demo',
      reuseGraceSeconds: 5,
    });
    expect(h.tokens.control).toEqual({
      ttlSeconds: 2,
      latencyMs: 0,
      mode: 'garbage',
      rotation: true,
      skewNextSeconds: 0,
      user: 'user_demo',
      reuseGraceSeconds: 5,
    });
  });

  it('GET answers the control state, rotation included', async () => {
    const h = await start({ rotation: true, ttlSeconds: 30 });
    const res = await h.get('/api/control');
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    expect(await res.json()).toEqual({
      ttlSeconds: 30,
      latencyMs: 0,
      mode: 'ok',
      rotation: true,
      skewNextSeconds: 0,
      user: 'user_demo',
      reuseGraceSeconds: 0,
    });
    await h.post('/api/control', { rotation: false });
    expect(await (await h.get('/api/control')).json()).toEqual({
      ttlSeconds: 30,
      latencyMs: 0,
      mode: 'ok',
      rotation: false,
      skewNextSeconds: 0,
      user: 'user_demo',
      reuseGraceSeconds: 0,
    });
  });

  it.each([
    [{ ttlSeconds: 1 }, 'ttlSeconds must be an integer between 2 and 3600, got 1'],
    [{ ttlSeconds: 3601 }, 'ttlSeconds must be an integer between 2 and 3600, got 3601'],
    [{ ttlSeconds: 2.5 }, 'ttlSeconds must be an integer between 2 and 3600, got 2.5'],
    [{ ttlSeconds: '60' }, 'ttlSeconds must be an integer between 2 and 3600, got "60"'],
    [{ latencyMs: -1 }, 'latencyMs must be an integer between 0 and 60000, got -1'],
    [{ latencyMs: 60_001 }, 'latencyMs must be an integer between 0 and 60000, got 60001'],
    [{ mode: 'broken' }, 'mode must be one of ok, fail, garbage, got "broken"'],
    [{ mode: null }, 'mode must be one of ok, fail, garbage, got null'],
    [{ rotation: 'yes' }, 'rotation must be true or false, got "yes"'],
    [{ rotation: 1 }, 'rotation must be true or false, got 1'],
    [{ rotation: null }, 'rotation must be true or false, got null'],
    [{ user: '' }, 'user must be 1 to 64 letters, digits or _.@-, got ""'],
    [{ user: 'a b' }, 'user must be 1 to 64 letters, digits or _.@-, got "a b"'],
  ])('answers 400 to %j and changes nothing', async (body, message) => {
    const h = await start();
    // A valid field next to the invalid one must not be applied either.
    const res = await h.post('/api/control', { ...body, ...('mode' in body ? {} : { mode: 'fail' }) });
    expect(res.status).toBe(400);
    expectJsonHeaders(res);
    expect(await errorOf(res)).toBe(message);
    expect(h.tokens.control).toEqual(DEFAULT_CONTROL);
  });

  it('answers 400 to unknown fields, malformed JSON and a non-object body', async () => {
    const h = await start();
    const unknown = await h.post('/api/control', { ttl: 5 });
    expect(unknown.status).toBe(400);
    expect(await errorOf(unknown)).toMatch(
      /unknown field.*"ttl".*allowed: ttlSeconds, latencyMs, mode, rotation, skewNextSeconds, user/,
    );
    const malformed = await h.post('/api/control', '{mode: ok}');
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatch(/not valid JSON/);
    const scalar = await h.post('/api/control', '5');
    expect(scalar.status).toBe(400);
    expect(await errorOf(scalar)).toMatch(/must be a JSON object, got 5/);
    const nul = await h.post('/api/control', 'null');
    expect(nul.status).toBe(400);
    expect(h.tokens.control).toEqual(DEFAULT_CONTROL);
  });
});

describe('POST /api/session', () => {
  it('signs in: 200 { ok: true } and an httpOnly rt cookie (Path=/, SameSite=Lax, not Secure)', async () => {
    const h = await start();
    const res = await h.post('/api/session');
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    expect(await res.json()).toEqual({ ok: true });
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/^rt=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(cookie).not.toMatch(/Secure|Max-Age|Expires/i);

    // Each sign-in is a new family with its own random token; none is a token request.
    const again = await signIn(h);
    expect(again).not.toBe(rtOf(res));
    expect((await h.post('/api/session', {})).status).toBe(200);
    expect(await h.stats()).toMatchObject({ requests: 0, reuseDetected: 0 });
  });

  it('answers 400 to a body with fields, and sets no cookie', async () => {
    const h = await start();
    const res = await h.post('/api/session', { user: 'x' });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatch(/unknown field.*"user"/);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('refresh-token rotation', () => {
  it('is off by default: /api/token needs no cookie, ignores one and sets none', async () => {
    const h = await start();
    expect(h.tokens.control.rotation).toBe(false);
    const plain = await h.post('/api/token', { key: 'a' });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('set-cookie')).toBeNull();
    const rt = await signIn(h);
    for (let i = 0; i < 2; i++) {
      const res = await h.post('/api/token', { key: 'a' }, withRt(rt)); // the same cookie twice
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(await h.stats()).toMatchObject({ requests: 3, reuseDetected: 0 });
  });

  it('uses the cookie up on each call and answers the access token with the next rt cookie', async () => {
    const h = await start();
    await h.post('/api/control', { rotation: true });
    const seen = [await signIn(h)];
    for (const key of ['a', 'b', 'a']) {
      const res = await h.post('/api/token', { key }, withRt(seen.at(-1) ?? ''));
      expect(res.status).toBe(200);
      expectJsonHeaders(res);
      const { token } = (await res.json()) as { token: string };
      expect(decodeJwt(token)).toMatchObject({ key, sub: 'user_demo' });
      expect(res.headers.getSetCookie()[0]).toMatch(
        /^rt=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      seen.push(rtOf(res));
    }
    expect(new Set(seen).size).toBe(4);
    expect(await h.stats()).toMatchObject({ requests: 3, byKey: { a: 2, b: 1 }, reuseDetected: 0 });
  });

  it("requires the cookie: none, an unknown token or an empty one is 401 'no_session', still a request", async () => {
    const h = await start({ rotation: true });
    await signIn(h);
    expect(await refused(h)).toBe('no_session');
    expect(await refused(h, 'not-a-refresh-token')).toBe('no_session');
    expect(await refused(h, '')).toBe('no_session');
    const otherCookies = await h.post(
      '/api/token',
      { key: 'a' },
      { headers: { 'content-type': 'application/json', cookie: 'theme=dark; rtx=1' } },
    );
    expect(otherCookies.status).toBe(401);
    expect(await errorOf(otherCookies)).toBe('no_session');
    expect(await h.stats()).toMatchObject({ requests: 4, byKey: { a: 4 }, reuseDetected: 0 });
  });

  it('finds rt among other cookies', async () => {
    const h = await start({ rotation: true });
    const rt = await signIn(h);
    const res = await h.post(
      '/api/token',
      { key: 'a' },
      { headers: { 'content-type': 'application/json', cookie: `theme=dark; rt=${rt}; lang=fr` } },
    );
    expect(res.status).toBe(200);
    expect(rtOf(res)).not.toBe(rt);
  });

  it("a used token is reuse: 401 'refresh_token_reused', counted once, and the whole family revoked", async () => {
    const h = await start({ rotation: true });
    const rt0 = await signIn(h);
    const rt1 = await refresh(h, rt0);
    const rt2 = await refresh(h, rt1);

    expect(await refused(h, rt0)).toBe('refresh_token_reused');
    expect(await h.stats()).toMatchObject({ requests: 3, reuseDetected: 1 });
    // The family is revoked: its newest token is refused too, and so is any further old one,
    // which is no longer counted as a reuse (the family is already gone).
    expect(await refused(h, rt2)).toBe('no_session');
    expect(await refused(h, rt1)).toBe('no_session');
    expect(await refused(h, rt0)).toBe('no_session');
    expect(await h.stats()).toMatchObject({ requests: 6, byKey: { a: 6 }, reuseDetected: 1 });

    // Signing in again starts a new family that works.
    await refresh(h, await refresh(h, await signIn(h)));
  });

  it('a reuse revokes only its own family', async () => {
    const h = await start({ rotation: true });
    const a0 = await signIn(h);
    const b0 = await signIn(h);
    await refresh(h, a0);
    expect(await refused(h, a0)).toBe('refresh_token_reused');
    await refresh(h, await refresh(h, b0));
    expect(h.tokens.stats.reuseDetected).toBe(1);
  });

  it('two calls with the same cookie under latency: the token is used up on arrival, one succeeds, one is reuse', async () => {
    const gate = gatedSleep();
    const h = await start({ rotation: true, latencyMs: 1000, sleep: gate.sleep });
    const rt = await signIn(h);
    const first = h.post('/api/token', { key: 'a' }, withRt(rt));
    const second = h.post('/api/token', { key: 'b' }, withRt(rt));
    await gate.arrived(2);
    // Neither has answered, and the reuse is already detected: rotation happens on arrival.
    expect(await h.stats()).toMatchObject({ requests: 2, reuseDetected: 1 });
    gate.release();

    const answers = await Promise.all([first, second]);
    expect(answers.map((res) => res.status).sort()).toEqual([200, 401]);
    const ok = answers.find((res) => res.status === 200);
    const reused = answers.find((res) => res.status === 401);
    if (ok === undefined || reused === undefined) throw new Error('expected one 200 and one 401');
    expect(await errorOf(reused)).toBe('refresh_token_reused');
    expect(reused.headers.get('set-cookie')).toBeNull();
    // The winner got a token and a new cookie, but its family is revoked: the user is signed out.
    const { token } = (await ok.json()) as { token: string };
    expect(() => decodeJwt(token)).not.toThrow();
    const next = rtOf(ok);
    expect(await refused(h, next)).toBe('no_session');
  });

  it("mode 'fail' on arrival answers 503 and consumes nothing; the same cookie then still works", async () => {
    const h = await start({ rotation: true, mode: 'fail' });
    const rt = await signIn(h);
    for (let i = 0; i < 2; i++) {
      const res = await h.post('/api/token', { key: 'a' }, withRt(rt));
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'unavailable' });
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    // Failing before the refresh token is looked at: not even a missing cookie is noticed.
    const none = await h.post('/api/token', { key: 'a' });
    expect(none.status).toBe(503);

    await h.post('/api/control', { mode: 'ok' });
    await refresh(h, rt);
    expect(await h.stats()).toMatchObject({ requests: 4, reuseDetected: 0 });
  });

  it("mode 'fail' on arrival but not after the latency: the token is looked at then", async () => {
    const manual = manualSleep();
    const h = await start({ rotation: true, latencyMs: 1000, sleep: manual.sleep });
    const rt = await signIn(h);
    await h.post('/api/control', { mode: 'fail' });
    const pending = h.post('/api/token', { key: 'a' }, withRt(rt));
    await manual.entered;
    await h.post('/api/control', { mode: 'ok' });
    manual.release();
    const res = await pending;
    expect(res.status).toBe(200);
    const next = rtOf(res);
    expect(await refused(h, rt)).toBe('refresh_token_reused'); // rt was used up by that call
    expect(await refused(h, next)).toBe('no_session');
  });

  it("mode 'fail' switched on during the latency: the token used up on arrival is lost, and the old cookie is then reuse", async () => {
    const manual = manualSleep();
    const h = await start({ rotation: true, latencyMs: 1000, sleep: manual.sleep });
    const rt = await signIn(h);
    const pending = h.post('/api/token', { key: 'a' }, withRt(rt));
    await manual.entered;
    await h.post('/api/control', { mode: 'fail' });
    manual.release();
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers.get('set-cookie')).toBeNull();
    await h.post('/api/control', { mode: 'ok' });
    expect(await refused(h, rt)).toBe('refresh_token_reused');
  });

  it('a client that goes away during the latency loses the rotated token: its next call is reuse', async () => {
    const manual = manualSleep();
    const h = await start({ rotation: true, latencyMs: 60_000, sleep: manual.sleep });
    const rt = await signIn(h);
    const abort = new AbortController();
    const pending = h.post('/api/token', { key: 'a' }, withRt(rt, { signal: abort.signal }));
    const call = await manual.entered;
    const aborted = new Promise<void>((resolve) => call.signal.addEventListener('abort', () => resolve()));
    abort.abort();
    await expect(pending).rejects.toThrow();
    await aborted;
    manual.release();
    expect(await refused(h, rt)).toBe('refresh_token_reused');
  });

  it("mode 'garbage' rotates as 'ok' does: a token that is not a JWT, and the next cookie", async () => {
    const h = await start({ rotation: true, mode: 'garbage' });
    const rt = await signIn(h);
    const res = await h.post('/api/token', { key: 'a' }, withRt(rt));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ token: 'this-is-not-a-jwt' });
    const next = rtOf(res);
    await h.post('/api/control', { mode: 'ok' });
    await refresh(h, next);
  });

  it('a refused body (400) counts nothing and consumes nothing', async () => {
    const h = await start({ rotation: true });
    const rt = await signIn(h);
    const res = await h.post('/api/token', { key: '' }, withRt(rt));
    expect(res.status).toBe(400);
    expect(res.headers.get('set-cookie')).toBeNull();
    await refresh(h, rt);
    expect(await h.stats()).toMatchObject({ requests: 1, reuseDetected: 0 });
  });

  it('sessions outlive turning rotation off and on', async () => {
    const h = await start({ rotation: true });
    const rt = await signIn(h);
    await h.post('/api/control', { rotation: false });
    await h.token('a'); // no cookie needed, nothing rotated
    await h.post('/api/control', { rotation: true });
    await refresh(h, rt);
  });
});

describe('rotation store', () => {
  it('readCookie finds the first cookie of that exact name', () => {
    expect(readCookie(undefined, 'rt')).toBeUndefined();
    expect(readCookie('', 'rt')).toBeUndefined();
    expect(readCookie('rtx=1; xrt=2', 'rt')).toBeUndefined();
    expect(readCookie('a=1;rt=abc; rt=def', 'rt')).toBe('abc');
    expect(readCookie(' rt = v=w ', 'rt')).toBe('v=w');
    expect(readCookie('rt=', 'rt')).toBe('');
  });

  it('forgets the oldest tokens past maxTokens (then unknown: no_session)', () => {
    let n = 0;
    const store = createRefreshTokenStore({ maxTokens: 3, newToken: () => `t${n++}` });
    const t0 = store.signIn();
    const r1 = store.rotate(t0);
    const r2 = store.rotate(r1.ok ? r1.next : '');
    expect(r2).toEqual({ ok: true, next: 't2' });
    expect(store.size).toBe(3);
    const r3 = store.rotate('t2');
    expect(r3).toEqual({ ok: true, next: 't3' });
    expect(store.size).toBe(3);
    expect(store.rotate('t0')).toEqual({ ok: false, error: 'no_session' }); // forgotten
    expect(store.rotate('t1')).toEqual({ ok: false, error: 'refresh_token_reused' });
    expect(store.rotate('t3')).toEqual({ ok: false, error: 'no_session' }); // revoked
  });
});

describe('GET /api/protected', () => {
  it('answers 200 { sub, key } to a valid token and counts it accepted', async () => {
    const h = await start();
    const token = await h.token('org_1');
    const res = await h.get('/api/protected', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    expect(await res.json()).toEqual({ sub: 'user_demo', key: 'org_1' });
    expect(await h.stats()).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it("answers 401 'missing' without a Bearer token", async () => {
    const h = await start();
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer ' },
    ];
    for (const headers of attempts) {
      const res = await h.get('/api/protected', { headers });
      expect(res.status).toBe(401);
      expectJsonHeaders(res);
      expect(await res.json()).toEqual({ error: 'missing' });
    }
    expect(await h.stats()).toMatchObject({ accepted: 0, rejected: 3 });
  });

  it("answers 401 'invalid' to garbage, a tampered token and a token signed by another key", async () => {
    const h = await start();
    const token = await h.token('a');
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(token), key: 'admin' })).toString(
      'base64url',
    );
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ key: 'a' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('user_demo')
      .setIssuedAt(Math.floor(T0 / 1000))
      .setExpirationTime(Math.floor(T0 / 1000) + 60)
      .sign(privateKey);
    const hs256 = await new SignJWT({ key: 'a' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(T0 / 1000))
      .setExpirationTime(Math.floor(T0 / 1000) + 60)
      .sign(new Uint8Array(32));

    for (const bad of ['this-is-not-a-jwt', `${header}.${forgedPayload}.${signature}`, foreign, hs256]) {
      const res = await h.get('/api/protected', { headers: { authorization: `Bearer ${bad}` } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid' });
    }
    expect(await h.stats()).toMatchObject({ accepted: 0, rejected: 4 });
  });

  it("answers 401 'expired' from the exp second on, with no clock tolerance", async () => {
    const h = await start();
    await h.post('/api/control', { ttlSeconds: 2 });
    const token = await h.token('a');
    const { exp } = decodeJwt(token);
    const auth = { headers: { authorization: `Bearer ${token}` } };

    h.clock.now = (exp ?? 0) * 1000 - 1; // the last millisecond before exp
    expect((await h.get('/api/protected', auth)).status).toBe(200);

    h.clock.now = (exp ?? 0) * 1000; // exp itself
    const res = await h.get('/api/protected', auth);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'expired' });
    expect(await h.stats()).toMatchObject({ accepted: 1, rejected: 1 });
  });
});

describe('stats', () => {
  it('counts token requests per key and protected calls, and resets to zero', async () => {
    const h = await start();
    const a = await h.token('a');
    await h.token('a');
    await h.token('b');
    await h.post('/api/control', { mode: 'fail' });
    await h.post('/api/token', { key: 'b' }); // 503, still a request received
    await h.get('/api/protected', { headers: { authorization: `Bearer ${a}` } });
    await h.get('/api/protected');

    const res = await h.get('/api/stats');
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    expect(await res.json()).toEqual({
      requests: 4,
      byKey: { a: 2, b: 2 },
      accepted: 1,
      rejected: 1,
      reuseDetected: 0,
      inFlight: 0,
      maxInFlight: 1,
    });
    expect(h.tokens.stats.requests).toBe(4);

    const reset = await h.post('/api/stats/reset');
    expect(reset.status).toBe(200);
    expectJsonHeaders(reset);
    const zero = {
      requests: 0,
      byKey: {},
      accepted: 0,
      rejected: 0,
      reuseDetected: 0,
      inFlight: 0,
      maxInFlight: 0,
    };
    expect(await reset.json()).toEqual(zero);
    expect(await h.stats()).toEqual(zero);
    // The control state is not a counter.
    expect(h.tokens.control.mode).toBe('fail');
  });

  it('reset zeroes reuseDetected and keeps the sessions', async () => {
    const h = await start({ rotation: true });
    const rt0 = await signIn(h);
    const rt1 = await refresh(h, rt0);
    expect(await refused(h, rt0)).toBe('refresh_token_reused');
    const other = await signIn(h);
    expect(await h.stats()).toMatchObject({ requests: 2, reuseDetected: 1 });
    expect(h.tokens.stats.reuseDetected).toBe(1);

    const reset = await h.post('/api/stats/reset');
    expect(await reset.json()).toEqual({
      requests: 0,
      byKey: {},
      accepted: 0,
      rejected: 0,
      reuseDetected: 0,
      inFlight: 0,
      maxInFlight: 0,
    });
    expect(h.tokens.stats.reuseDetected).toBe(0);
    // Counters only: the live session still refreshes, the revoked family stays revoked.
    await refresh(h, other);
    expect(await refused(h, rt1)).toBe('no_session');
    expect(h.tokens.control.rotation).toBe(true);
  });

  it('keeps odd keys apart from object built-ins', async () => {
    const h = await start();
    await h.token('constructor');
    await h.token('toString');
    expect((await h.stats()).byKey).toEqual({ constructor: 1, toString: 1 });
  });
});

describe('GET /api/history', () => {
  const history = async (h: Harness) => {
    const res = await h.get('/api/history');
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    return (await res.json()) as ServerHistory;
  };
  const settings = DEFAULT_CONTROL;

  it('starts empty: the server clock, a five-minute window, the settings at its start', async () => {
    const h = await start();
    expect(await history(h)).toEqual({
      now: T0,
      windowMs: 300_000,
      requests: [],
      events: [],
      controlAtStart: settings,
    });
  });

  it('records the arrival time of every token request, whatever the answer, oldest first', async () => {
    const h = await start();
    await h.token('a');
    h.clock.now += 1_000;
    await h.token('b');
    await h.post('/api/control', { mode: 'fail' });
    h.clock.now += 1_000;
    expect((await h.post('/api/token', { key: 'a' })).status).toBe(503);
    // A refused body is not a request: it is not counted, nor remembered.
    expect((await h.post('/api/token', { key: 7 })).status).toBe(400);
    expect((await history(h)).requests).toEqual([T0, T0 + 1_000, T0 + 2_000]);
    expect(h.tokens.history().requests).toHaveLength(3);
  });

  it('records settings that changed (the new settings), not a call that changed nothing', async () => {
    const h = await start();
    await h.post('/api/control', {});
    await h.post('/api/control', { mode: 'ok', ttlSeconds: 60 });
    h.clock.now += 500;
    await h.post('/api/control', { mode: 'fail' });
    h.clock.now += 500;
    await h.post('/api/control', { mode: 'ok', ttlSeconds: 5 });
    await h.post('/api/control', { mode: 'nope' }); // 400: nothing changed
    expect((await history(h)).events).toEqual([
      { at: T0 + 500, kind: 'control', control: { ...settings, mode: 'fail' } },
      { at: T0 + 1_000, kind: 'control', control: { ...settings, ttlSeconds: 5 } },
    ]);
  });

  it('records sign-ins and refresh-token reuse (a sign-out)', async () => {
    const h = await start({ rotation: true });
    const rt0 = await signIn(h);
    h.clock.now += 100;
    await refresh(h, rt0);
    h.clock.now += 100;
    expect(await refused(h, rt0)).toBe('refresh_token_reused');
    const { events, requests } = await history(h);
    expect(events).toEqual([
      { at: T0, kind: 'sign-in' },
      { at: T0 + 200, kind: 'reuse' },
    ]);
    expect(requests).toEqual([T0 + 100, T0 + 200]);
  });

  it('forgets what is older than five minutes, keeping the settings at the window start', async () => {
    const h = await start();
    await h.token();
    await h.post('/api/control', { ttlSeconds: 5 });
    h.clock.now += 200_000;
    await h.token();
    h.clock.now += 200_000; // the first request and the change are now 400 s old
    const later = await history(h);
    expect(later.requests).toEqual([T0 + 200_000]);
    expect(later.events).toEqual([]);
    expect(later.controlAtStart).toEqual({ ...settings, ttlSeconds: 5 });
    expect(later.now).toBe(T0 + 400_000);
  });

  it('survives a counter reset: history is not a counter', async () => {
    const h = await start();
    await h.token();
    await h.post('/api/stats/reset');
    expect((await history(h)).requests).toEqual([T0]);
  });

  it('keeps at most maxRequests request times and maxEvents events, the newest', () => {
    const memory = createHistory(settings, { maxRequests: 3, maxEvents: 2, windowMs: 10_000 });
    for (let at = 1; at <= 5; at++) memory.request(at);
    for (let at = 1; at <= 3; at++)
      memory.event({ at, kind: 'control', control: { ...settings, ttlSeconds: at + 1 } });
    const read = memory.read(6);
    expect(read.requests).toEqual([3, 4, 5]);
    expect(read.events.map((event) => event.at)).toEqual([2, 3]);
    expect(read.controlAtStart.ttlSeconds).toBe(2); // the settings before the oldest event kept
  });
});

describe('routing', () => {
  it.each([
    ['GET', '/api/token', 'POST'],
    ['PUT', '/api/token', 'POST'],
    ['POST', '/.well-known/jwks.json', 'GET'],
    ['POST', '/api/protected', 'GET'],
    ['POST', '/api/stats', 'GET'],
    ['GET', '/api/stats/reset', 'POST'],
    ['DELETE', '/api/control', 'GET, POST'],
    ['PUT', '/api/control', 'GET, POST'],
    ['GET', '/api/session', 'POST'],
    ['POST', '/api/history', 'GET'],
  ])('answers 405 to %s %s (allow: %s)', async (method, path, allow) => {
    const h = await start();
    const res = await fetch(h.base + path, { method });
    expect(res.status).toBe(405);
    expectJsonHeaders(res);
    expect(res.headers.get('allow')).toBe(allow);
    const use = allow.split(', ').join(' or ');
    expect(await errorOf(res)).toBe(`${method} is not allowed on ${path}; use ${use}`);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('matches the path whatever the query string', async () => {
    const h = await start();
    const res = await h.get('/api/stats?x=1');
    expect(res.status).toBe(200);
  });

  it('lets every other path fall through to next()', async () => {
    const h = await start();
    for (const path of ['/', '/index.html', '/api/tokens', '/api/stats/', '/api']) {
      const res = await h.get(path);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('fell through to next()');
    }
  });

  it('handle() resolves false and calls next for foreign paths, true for its own', async () => {
    const tokens = createTokenServer();
    const server = createServer();
    servers.push(server);
    const results: boolean[] = [];
    server.on('request', (req, res) => {
      void tokens.handle(req, res, () => res.end('next')).then((handled) => results.push(handled));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    expect(await (await fetch(`http://127.0.0.1:${port}/elsewhere`)).text()).toBe('next');
    expect((await fetch(`http://127.0.0.1:${port}/api/stats`)).status).toBe(200);
    expect(results).toEqual([false, true]);
  });
});
