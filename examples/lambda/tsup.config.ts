import { cpSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'tsup';

const engineRoot = dirname(createRequire(import.meta.url).resolve('@tradeplane/engine/package.json'));
const engineVersion = (JSON.parse(readFileSync(join(engineRoot, 'package.json'), 'utf8')) as { version: string }).version;

// One file of JavaScript for the Lambda zip: everything bundled except the two native addons,
// which ship in node_modules next to it (or in a layer), built for the function's architecture:
// @node-rs/argon2 (password hashing; its prebuilt linux-x64/arm64 package) and better-sqlite3
// (only loaded when the database is SQLite).
export default defineConfig({
  entry: { handler: 'src/handler.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  outExtension: () => ({ js: '.mjs' }),
  // Modules the code loads on first use with `import()` (the common-password list) stay in the
  // one file instead of becoming chunks beside it: esbuild runs them when they are first imported.
  splitting: false,
  noExternal: [/^(?!better-sqlite3$|@node-rs\/argon2)/],
  external: ['better-sqlite3', '@node-rs/argon2'],
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __tpCreateRequire } from 'node:module'; const require = __tpCreateRequire(import.meta.url);" },
  // The engine finds its migrations at `../migrations` from its own module: the bundle lives
  // in dist/lambda/, so they are copied to dist/migrations. Zip dist/ (plus the native modules).
  outDir: 'dist/lambda',
  async onSuccess() {
    cpSync(join(engineRoot, 'migrations'), 'dist/migrations', { recursive: true });
  },
  define: { __TRADEPLANE_VERSION__: JSON.stringify(engineVersion) },
  sourcemap: true,
  clean: true,
});
