import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithOpenId } from './openid/sign-in';

// `npm run playground` serves the page from Vite's dev server with the token server inside it.
// The end-to-end suite runs against the built playground (faster to open, and what the
// back/forward cache needs), so this checks the dev server itself: the page, its modules
// transformed, the token server mounted, a rendered page (?ssr=1) and the service worker.

let server: ViteDevServer;
let base: string;

beforeAll(async () => {
  process.env.PLAYGROUND_NO_WATCH = '1'; // no file watching in a test
  const { createServer } = await import('vite');
  server = await createServer({
    configFile: 'playground/vite.config.ts',
    logLevel: 'silent',
    server: { port: 0, strictPort: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the dev server has no port');
  base = `http://localhost:${address.port}`;
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('the playground on the dev server (npm run playground)', () => {
  it('serves the dashboard, with its script transformed from TypeScript', async () => {
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('data-testid="role"');
    expect(page).toContain('/@vite/client');
    const main = await fetch(`${base}/main.ts`);
    expect(main.status).toBe(200);
    expect(main.headers.get('content-type')).toMatch(/javascript/);
    expect(await main.text()).toContain('createTokenCache');
  });

  it('mounts the token server, renders a token into /?ssr=1, and serves the service worker', async () => {
    const stats = await (await fetch(`${base}/api/stats`)).json();
    expect(stats).toMatchObject({ requests: 0 });
    const rendered = await (await fetch(`${base}/?ssr=1&key=k`)).text();
    expect(rendered).toMatch(/<meta name="ssr-token" content="[\w-]+\.[\w-]+\.[\w-]+"/);
    expect(rendered).toContain('/@vite/client'); // still the dev server's page
    expect(await (await fetch(`${base}/api/stats`)).json()).toMatchObject({ requests: 0 });
    const sw = await fetch(`${base}/sw.ts`);
    expect(sw.headers.get('content-type')).toMatch(/javascript/);
  });

  it('mounts the OpenID Provider at /oidc: a code + PKCE sign-in, then a refresh, on the dev server', async () => {
    const discovery = await (await fetch(`${base}/oidc/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({ issuer: `${base}/oidc`, token_endpoint: `${base}/oidc/token` });
    const { access_token } = await signInWithOpenId(base);
    const res = await fetch(`${base}/api/protected`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(await res.json()).toEqual({ sub: 'ada', key: 'default' });
  });
});
