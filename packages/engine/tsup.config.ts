import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // cli.ts is the `tradeplane` command (package.json `bin`); esbuild keeps its shebang.
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  define: { __TRADEPLANE_VERSION__: JSON.stringify(version) },
  shims: true,
  tsconfig: 'tsconfig.build.json',
});
