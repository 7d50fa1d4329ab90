import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against source; the build (tsup) is checked separately in CI.
    alias: {
      '@tradeplane/core': src('core'),
      '@tradeplane/engine': src('engine'),
      '@tradeplane/adapter-express': src('adapter-express'),
      '@tradeplane/adapter-lambda': src('adapter-lambda'),
      '@tradeplane/client': src('client'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
