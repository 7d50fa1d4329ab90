#!/usr/bin/env node
// After `pnpm build`: every publishable package's exports map points at files that exist,
// its ESM and CJS builds load and export the same names, and the engine built as either format
// finds its shipped migrations and serves a request. Run by .ci/run.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const packages = ['core', 'engine', 'adapter-express', 'adapter-lambda', 'client', 'funding-stripe'];
let failures = 0;
const fail = (msg) => {
  failures++;
  console.error(`✗ ${msg}`);
};

for (const name of packages) {
  const dir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.files?.includes('dist')) fail(`${pkg.name}: "files" must include dist`);
  if (pkg.engines?.node !== '>=20') fail(`${pkg.name}: engines.node must be >=20`);
  // Every entry point (the package root and subpaths such as @tradeplane/core/signals).
  let esm;
  let cjs;
  for (const [subpath, entry] of Object.entries(pkg.exports ?? {})) {
    if (subpath === './package.json') continue;
    const label = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    const targets = [entry?.import?.types, entry?.import?.default, entry?.require?.types, entry?.require?.default];
    for (const target of targets) {
      if (!target || !existsSync(join(dir, target))) fail(`${label}: exports target ${target} missing`);
    }
    const esmModule = await import(pathToFileURL(join(dir, entry.import.default)).href);
    const cjsModule = createRequire(join(dir, 'package.json'))(join(dir, entry.require.default));
    const esmNames = Object.keys(esmModule).filter((k) => k !== 'default').sort();
    const cjsNames = Object.keys(cjsModule).filter((k) => k !== 'default').sort();
    if (JSON.stringify(esmNames) !== JSON.stringify(cjsNames)) fail(`${label}: ESM and CJS export different names`);
    else console.log(`✓ ${label}: ${esmNames.length} exports, ESM = CJS`);
    if (subpath === '.') {
      esm = esmModule;
      cjs = cjsModule;
    }
  }

  if (name === 'engine') {
    if (!pkg.files.includes('migrations')) fail(`${pkg.name}: "files" must include migrations`);
    for (const [format, mod] of [['esm', esm], ['cjs', cjs]]) {
      const engine = await mod.createEngine({ database: ':memory:', mode: 'test', auth: { jwtSecret: 'x'.repeat(32) } });
      const res = await engine.handle({ method: 'GET', path: '/health', headers: {} });
      await engine.close();
      if (res.status !== 200) fail(`${pkg.name} (${format}): /health answered ${res.status}`);
      else console.log(`✓ ${pkg.name} (${format}): migrations found, /health 200`);
    }
  }
}
if (failures > 0) process.exit(1);
