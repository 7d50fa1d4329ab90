import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The core stays free of database drivers, ORMs and web frameworks: those belong to the
 * engine and the adapters. Checked on every import of every source file and on package.json.
 */
const root = new URL('..', import.meta.url).pathname;
// Runtime dependencies, then test-only ones (devDependencies).
const ALLOWED_PACKAGES = ['zod', 'jose', '@node-rs/argon2', 'vitest', '@seriousme/openapi-schema-validator', 'fast-check'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) specifiers.push((match[1] ?? match[2] ?? match[3])!);
  return specifiers;
}

describe('core package boundaries', () => {
  it('imports only relative files, node built-ins and its allowed dependencies', () => {
    const offenders: string[] = [];
    // This file is skipped: its last test feeds forbidden imports to the scanner on purpose.
    for (const file of sourceFiles(join(root, 'src')).filter((f) => !f.endsWith('boundaries.test.ts'))) {
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!ALLOWED_PACKAGES.includes(pkg)) offenders.push(`${file.slice(root.length)} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('depends on no driver, ORM or web framework', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies });
    expect(deps.sort()).toEqual(['@node-rs/argon2', 'jose', 'zod']);
  });

  it('the import scan sees the imports it must forbid', () => {
    expect(importsOf(`import express from 'express';\nexport { x } from "drizzle-orm/pg-core";\nconst p = require('pg');`)).toEqual([
      'express',
      'drizzle-orm/pg-core',
      'pg',
    ]);
  });
});
