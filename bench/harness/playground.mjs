// The playground under measurement: its Vite dev server (with the token server), a built copy of
// it served by `vite preview` (for the back/forward-cache row), and the token server's API.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, createServer, preview } from 'vite';
import { BASE, PORT } from './settings.mjs';

const configFile = 'playground/vite.config.ts';

/** Starts the dev server on PORT; resolves to a function that stops it. */
export async function startDevServer() {
  process.env.PLAYGROUND_NO_WATCH = '1'; // an edit to src/ during the run must not reload the tabs
  const server = await createServer({
    configFile,
    server: { port: PORT, strictPort: true },
    logLevel: 'error',
  });
  await server.listen();
  return () => server.close();
}

/**
 * Builds the playground into a temporary directory (not dist-playground/, which the e2e suite
 * builds and serves) and serves it with `vite preview` on `port`. Resolves to the build time and
 * a function that stops the server and removes the directory.
 */
export async function startBuiltPlayground(port) {
  const outDir = mkdtempSync(join(tmpdir(), 'tab-token-cache-bench-'));
  try {
    const t0 = Date.now();
    await build({ configFile, build: { outDir, emptyOutDir: true }, logLevel: 'warn' });
    const buildMs = Date.now() - t0;
    const server = await preview({
      configFile,
      build: { outDir },
      preview: { port, strictPort: true },
      logLevel: 'error',
    });
    const close = async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    };
    return { buildMs, close };
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}

/** A call to the token server: GET without a body, POST with one (JSON). */
export async function api(path, body, base = BASE) {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}
