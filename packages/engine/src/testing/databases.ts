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
import Database from 'better-sqlite3';
import postgres from 'postgres';
import type { DatabaseInstance } from '../options.js';

export type TestDatabaseKind = 'sqlite-memory' | 'sqlite-file' | 'postgres';

/** Every row of every table, by table name: compare two to prove a request changed nothing. */
export type DatabaseSnapshot = Record<string, Record<string, unknown>[]>;

export interface TestDatabase {
  kind: TestDatabaseKind;
  /** A value for `createEngine({ database })`. */
  database: string | DatabaseInstance;
  /** Reads every table (migrations bookkeeping excluded), rows in a stable order. */
  snapshot(options?: { except?: string[] }): Promise<DatabaseSnapshot>;
  /** Runs a statement straight on the database, around the engine (to prove what the schema itself refuses). */
  exec(statement: string): Promise<void>;
  cleanup(): Promise<void>;
}

export function testDatabaseKinds(): TestDatabaseKind[] {
  const kinds: TestDatabaseKind[] = ['sqlite-memory', 'sqlite-file'];
  if (process.env.TEST_DATABASE_URL) kinds.push('postgres');
  else if (process.env.CI) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL suite must run in CI');
  return kinds;
}

function sqliteSnapshot(db: Database.Database, except: string[] = []): DatabaseSnapshot {
  const tables = db
    .prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name`)
    .all() as { name: string }[];
  const out: DatabaseSnapshot = {};
  for (const { name } of tables) {
    if (except.includes(name)) continue;
    // Exact integers, as strings (as PostgreSQL's int8 arrives), so snapshots compare and print alike.
    const rows = db.prepare(`select * from "${name}" order by 1`).safeIntegers(true).all() as Record<string, unknown>[];
    out[name] = rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])));
  }
  return out;
}

export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite-memory') {
    // A handle rather than ':memory:', so the test can look inside the same database.
    const handle = new Database(':memory:');
    return {
      kind,
      database: { sqlite: handle },
      snapshot: async (options) => sqliteSnapshot(handle, options?.except),
      exec: async (statement) => void handle.exec(statement),
      cleanup: async () => {
        if (handle.open) handle.close();
      },
    };
  }
  if (kind === 'sqlite-file') {
    const dir = mkdtempSync(join(tmpdir(), 'tradeplane-test-'));
    const path = join(dir, 'test.db');
    return {
      kind,
      database: path,
      snapshot: async (options) => {
        const reader = new Database(path, { readonly: true });
        try {
          return sqliteSnapshot(reader, options?.except);
        } finally {
          reader.close();
        }
      },
      exec: async (statement) => {
        const writer = new Database(path);
        try {
          writer.exec(statement);
        } finally {
          writer.close();
        }
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
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
  // One connection for every snapshot of this database (suites take hundreds): its queries go
  // out together, pipelined, and no snapshot pays for a new server process.
  let reader: postgres.Sql | undefined;
  return {
    kind,
    database: url.toString(),
    snapshot: async (options) => {
      reader ??= postgres(url.toString(), { max: 1, onnotice: () => {} });
      const sql = reader;
      const tables = (await sql<{ name: string }[]>`select tablename as name from pg_catalog.pg_tables where schemaname = 'public' order by tablename`)
        .map((t) => t.name)
        .filter((table) => !options?.except?.includes(table));
      const rows = await Promise.all(tables.map((table) => sql.unsafe(`select * from "${table}" order by 1`)));
      return Object.fromEntries(tables.map((table, i) => [table, [...rows[i]!] as Record<string, unknown>[]]));
    },
    exec: async (statement) => {
      const writer = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        await writer.unsafe(statement);
      } finally {
        await writer.end();
      }
    },
    cleanup: async () => {
      await reader?.end();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
