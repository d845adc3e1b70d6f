// Mounts the token server (token-server.ts) inside Vite's dev and preview servers, so that
// `npm run playground` is one process serving both the page and the API.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { ssrMiddleware } from './render-page.js';
import { createTokenServer, type TokenServerOptions } from './token-server.js';

export function tokenServerPlugin(options: TokenServerOptions = {}): Plugin {
  return {
    name: 'tab-token-cache:token-server',
    configureServer(server) {
      // A fresh key pair and fresh counters each time the dev server starts.
      const tokens = createTokenServer(options);
      // Added directly (not from a returned function), so it runs before Vite's own middlewares;
      // paths that are not the token server's fall through to Vite.
      server.middlewares.use((req, res, next) => {
        void tokens.handle(req, res, next);
      });
      // `/?ssr=1`: the page with a token rendered into it (render-page.ts), through Vite's own
      // transform of index.html.
      const indexHtml = join(server.config.root, 'index.html');
      server.middlewares.use(
        ssrMiddleware(tokens.renderToken, async (url) =>
          server.transformIndexHtml(url, await readFile(indexHtml, 'utf8')),
        ),
      );
      server.httpServer?.once('listening', () => {
        const paths = '/api/token, /api/protected, /api/stats, /api/control, /api/session, /api/history';
        server.config.logger.info(`  token server: ${paths}`, { timestamp: true });
      });
    },
    configurePreviewServer(server) {
      const tokens = createTokenServer(options);
      server.middlewares.use((req, res, next) => {
        void tokens.handle(req, res, next);
      });
      const builtIndex = join(server.config.build.outDir, 'index.html');
      server.middlewares.use(ssrMiddleware(tokens.renderToken, () => readFile(builtIndex, 'utf8')));
    },
  };
}
