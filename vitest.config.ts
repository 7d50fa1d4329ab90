import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against source; the build (tsup) is checked separately in CI.
    alias: {
      // Subpath before its package: aliases match by prefix, first one wins.
      '@tradeplane/core/signals': fileURLToPath(new URL('./packages/core/src/signals/index.ts', import.meta.url)),
      '@tradeplane/core': src('core'),
      '@tradeplane/engine': src('engine'),
      '@tradeplane/adapter-express': src('adapter-express'),
      '@tradeplane/adapter-lambda': src('adapter-lambda'),
      '@tradeplane/client': src('client'),
      '@tradeplane/funding-stripe': src('funding-stripe'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
