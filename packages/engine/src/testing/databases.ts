/**
 * Test databases for the shared suites: every suite runs on SQLite in memory, SQLite in a file
 * and PostgreSQL. Postgres comes from `TEST_DATABASE_URL` (a server the suite may create
 * databases on); each suite gets a fresh database, dropped afterwards. With `CI=true` a missing
 * `TEST_DATABASE_URL` is an error, never a silent skip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export type TestDatabaseKind = 'sqlite-memory' | 'sqlite-file' | 'postgres';

export interface TestDatabase {
  kind: TestDatabaseKind;
  /** A value for `createEngine({ database })`. */
  database: string;
  cleanup(): Promise<void>;
}

export function testDatabaseKinds(): TestDatabaseKind[] {
  const kinds: TestDatabaseKind[] = ['sqlite-memory', 'sqlite-file'];
  if (process.env.TEST_DATABASE_URL) kinds.push('postgres');
  else if (process.env.CI) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL suite must run in CI');
  return kinds;
}

export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite-memory') return { kind, database: ':memory:', cleanup: async () => {} };
  if (kind === 'sqlite-file') {
    const dir = mkdtempSync(join(tmpdir(), 'tradeplane-test-'));
    return { kind, database: join(dir, 'test.db'), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `tp_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    database: url.toString(),
    cleanup: async () => {
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
