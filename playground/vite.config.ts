// `npm run playground`: serves playground/index.html with the token server mounted as a plugin.
// The page imports the library straight from ../src, so edits to the library hot-reload here.
//
// `vite build` + `vite preview` with this config serve a built copy of the pages (dist-playground/,
// git-ignored) with the same token server: the back/forward-cache end-to-end test runs against
// it, because the dev server's HMR WebSocket alone keeps a page out of that cache.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { tokenServerPlugin } from './server/plugin.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT) || 5173;

export default defineConfig({
  root,
  plugins: [tokenServerPlugin()],
  // Code that imports the package by name gets the sources too.
  resolve: { alias: { 'tab-token-cache': fileURLToPath(new URL('../src/index.ts', import.meta.url)) } },
  clearScreen: false,
  server: {
    host: 'localhost',
    port, // `--port` on the command line still wins
    strictPort: false,
    // The page imports ../src/index.ts, which is outside this root.
    fs: { allow: [repoRoot] },
    // The end-to-end tests and the benchmark set PLAYGROUND_NO_WATCH: an edit to src/ during a
    // run must not reload every tab under test.
    ...(process.env.PLAYGROUND_NO_WATCH ? { watch: null, hmr: false } : {}),
  },
  build: {
    outDir: fileURLToPath(new URL('../dist-playground', import.meta.url)),
    // It is outside this root: Vite empties it only when told to.
    emptyOutDir: true,
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        bench: fileURLToPath(new URL('bench.html', import.meta.url)),
        away: fileURLToPath(new URL('away.html', import.meta.url)),
        idle: fileURLToPath(new URL('idle.html', import.meta.url)),
        react: fileURLToPath(new URL('react.html', import.meta.url)),
        // The service worker, at the URL the page registers (/sw.js, scope /).
        sw: fileURLToPath(new URL('sw.ts', import.meta.url)),
      },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  preview: { host: 'localhost', port },
});
