import { defineConfig } from 'vitest/config';

// Library build (dist/index.js, ESM) and the unit-test configuration.
// The dependencies stay external in the package build: the consumer's bundler dedupes them.
export default defineConfig({
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    target: 'es2022',
    sourcemap: true,
    rollupOptions: { external: ['broadcast-channel', 'jose', 'nanoevents'] },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
  },
});
