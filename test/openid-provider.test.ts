// The playground's OpenID Provider (playground/server/openid/), through HTTP as the page uses it:
// the code flow with PKCE, refresh-token rotation with oidc-provider's own reuse detection (two
// refreshes racing: one wins, and the grant is revoked), the reuse grace, JWT access tokens per
// key accepted by /api/protected, and the counters the dashboard and the tests read.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_ID, OPENID_PATH, resourceOf } from '../playground/server/openid/resources';
import {
  createTokenServer,
  type ServerStats,
  type TokenServerOptions,
} from '../playground/server/token-server';
import { type OpenIdTokens, signInWithOpenId } from './openid/sign-in';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function start(options: TokenServerOptions = {}) {
  const clock = { offsetMs: 0 };
  const tokens = createTokenServer({ now: () => Date.now() + clock.offsetMs, ...options });
  const server = createServer((req, res) => void tokens.handle(req, res, () => res.writeHead(404).end()));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const refresh = async (refreshToken: string, key = 'default') => {
    const res = await fetch(`${base}${OPENID_PATH}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        refresh_token: refreshToken,
        resource: resourceOf(key),
      }),
    });
    return { status: res.status, body: (await res.json()) as Partial<OpenIdTokens> & { error?: string } };
  };
  const stats = async () => (await (await fetch(`${base}/api/stats`)).json()) as ServerStats;
  const control = (change: Record<string, unknown>) =>
    fetch(`${base}/api/control`, { method: 'POST', body: JSON.stringify(change) });
  const call = async (jwt: string) => {
    const res = await fetch(`${base}/api/protected`, { headers: { authorization: `Bearer ${jwt}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { base, tokens, clock, refresh, stats, control, call };
}

describe('the OpenID Provider (/oidc)', () => {
  it('signs in with code + PKCE; its access tokens are JWTs for the key, accepted by /api/protected', async () => {
    const h = await start({ ttlSeconds: 30 });
    const first = await signInWithOpenId(h.base, 'ada');
    expect(decodeProtectedHeader(first.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const claims = decodeJwt(first.access_token);
    expect(claims).toMatchObject({ sub: 'ada', aud: resourceOf('default'), iss: `${h.base}${OPENID_PATH}` });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(30); // /api/control's ttlSeconds
    expect(await h.call(first.access_token)).toEqual({ status: 200, body: { sub: 'ada', key: 'default' } });

    const second = await h.refresh(first.refresh_token, 'second');
    expect(second.status).toBe(200);
    const refreshed = decodeJwt(second.body.access_token ?? '');
    expect(refreshed.aud).toBe(resourceOf('second'));
    expect((refreshed.exp ?? 0) - (refreshed.iat ?? 0)).toBe(30); // a refresh grant's too
    expect(await h.call(second.body.access_token ?? '')).toMatchObject({ body: { key: 'second' } });
    // The sign-in's code exchange is not a token request of the cache; the refresh is.
    expect(await h.stats()).toMatchObject({
      requests: 1,
      byKey: { second: 1 },
      accepted: 2,
      reuseDetected: 0,
    });
    expect(h.tokens.history().events.map((e) => e.kind)).toEqual(['sign-in']); // for the timeline
  });

  it('a key nobody signed in for is refused (invalid_target), and a token of another issuer is refused by /api/protected', async () => {
    const h = await start();
    const { refresh_token } = await signInWithOpenId(h.base);
    const other = await h.refresh(refresh_token, 'third');
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const forged = await signInWithOpenId((await start()).base); // another provider, its own key
    expect((await h.call(forged.access_token)).status).toBe(401);
  });

  it('rotates: a used refresh token presented again revokes the whole grant (the newest dies too), counted as a reuse', async () => {
    const h = await start();
    const { refresh_token: first } = await signInWithOpenId(h.base);
    const next = await h.refresh(first);
    expect(next.status).toBe(200);
    expect(next.body.refresh_token).not.toBe(first);

    expect(await h.refresh(first)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await h.refresh(next.body.refresh_token ?? '')).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expect(await h.stats()).toMatchObject({ requests: 3, reuseDetected: 1 });
    expect(h.tokens.history().events.map((e) => e.kind)).toEqual(['sign-in', 'reuse']);
  });

  it('two refreshes racing with one refresh token: one wins, then the winner is signed out too (what two tabs do)', async () => {
    const h = await start();
    const { refresh_token } = await signInWithOpenId(h.base);
    const [a, b] = await Promise.all([h.refresh(refresh_token), h.refresh(refresh_token)]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    const winner = (a.status === 200 ? a : b).body.refresh_token ?? '';
    expect((await h.refresh(winner)).status).toBe(400);
    expect((await h.stats()).reuseDetected).toBe(1);
  });

  it('with a reuse grace, a refresh token used up moments ago rotates again; past the grace it revokes', async () => {
    const h = await start();
    await h.control({ reuseGraceSeconds: 10 });
    const { refresh_token: first } = await signInWithOpenId(h.base);
    expect((await h.refresh(first)).status).toBe(200); // its answer "lost in flight"
    const again = await h.refresh(first); // within the grace: a new refresh token
    expect(again.status).toBe(200);
    expect((await h.refresh(again.body.refresh_token ?? '')).status).toBe(200);
    expect((await h.stats()).reuseDetected).toBe(0);

    h.clock.offsetMs = 11_000; // the grace is over
    expect((await h.refresh(first)).status).toBe(400);
    expect((await h.stats()).reuseDetected).toBe(1);
  });

  it("holds a refresh's answer back for /api/control's latency, after the provider rotated (counted first)", async () => {
    const h = await start({ latencyMs: 300 });
    const { refresh_token } = await signInWithOpenId(h.base);
    const answer = h.refresh(refresh_token);
    await expect.poll(() => h.stats().then((s) => s.inFlight)).toBe(1);
    // Rotated already: the same refresh token now is a reuse.
    const racing = await h.refresh(refresh_token);
    expect(racing.status).toBe(400);
    expect((await answer).status).toBe(200);
  });
});
