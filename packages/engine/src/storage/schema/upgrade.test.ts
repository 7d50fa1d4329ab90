/**
 * Upgrading: a database migrated with the committed migrations (what a running deployment has)
 * is opened by the engine, which migrates it again. Nothing may change, and the migrated
 * database must be exactly what the table definitions declare: were they to drift from the
 * migrations, `pnpm check:migrations` would generate a new one, and this would name the table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { getTableName, type Column, type Table } from 'drizzle-orm';
import { getTableConfig as getPgTableConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as getSqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import type { UserRecord } from '@tradeplane/core';
import { openStorage } from '../../engine.js';
import { migrationsFolder } from '../../migrations.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../testing/databases.js';
import * as postgresSchema from '../schema.postgres.js';
import * as sqliteSchema from '../schema.sqlite.js';

/** Per table: columns (`name type [not null] [default]`), primary key, indexes, foreign keys and checks. */
type SchemaShape = Record<string, { columns: string[]; primaryKey: string[]; indexes: string[]; foreignKeys: string[]; checks: string[] }>;

const column = (name: string, type: string, notNull: boolean, hasDefault: boolean) => `${name} ${type.toLowerCase()}${notNull ? ' not null' : ''}${hasDefault ? ' default' : ''}`;
const foreignKey = (from: string, table: string, to: string, onDelete: string | undefined) => `${from} -> ${table}.${to} on delete ${(onDelete ?? 'no action').toLowerCase()}`;

/** What the definitions declare, as built for the dialect. */
function declared(dialect: 'sqlite' | 'postgres'): SchemaShape {
  const shape: SchemaShape = {};
  for (const table of Object.values<Table>(dialect === 'sqlite' ? sqliteSchema : postgresSchema)) {
    const config = dialect === 'sqlite' ? getSqliteTableConfig(table as never) : getPgTableConfig(table as never);
    const columns = config.columns as Column[];
    const primaryKey = config.primaryKeys[0]?.columns.map((c: Column) => c.name) ?? columns.filter((c) => c.primary).map((c) => c.name);
    shape[config.name] = {
      // PostgreSQL writes `timestamp(3)`, drizzle `timestamp (3)`.
      columns: columns.map((c) => column(c.name, c.getSQLType().replace(' (', '('), c.notNull, c.hasDefault)).sort(),
      primaryKey,
      indexes: config.indexes.map((index: { config: { name?: string } }) => index.config.name!).sort(),
      foreignKeys: config.foreignKeys
        .map((fk: { reference(): { columns: Column[]; foreignTable: Table; foreignColumns: Column[] }; onDelete?: string }) => {
          const { columns: from, foreignTable, foreignColumns } = fk.reference();
          return foreignKey(from[0]!.name, getTableName(foreignTable), foreignColumns[0]!.name, fk.onDelete);
        })
        .sort(),
      checks: config.checks.map((check: { name: string }) => check.name).sort(),
    };
  }
  return shape;
}

/** The database's own DDL (to prove a second migration changed nothing), and its shape. */
async function inspect(db: TestDatabase): Promise<{ ddl: unknown; shape: SchemaShape }> {
  return db.kind === 'postgres' ? inspectPostgres(db.database as string) : inspectSqlite(db);
}

function inspectSqlite(db: TestDatabase): { ddl: unknown; shape: SchemaShape } {
  const handle = typeof db.database === 'string' ? new Database(db.database, { readonly: true }) : (db.database as { sqlite: Database.Database }).sqlite;
  try {
    const ddl = handle.prepare("select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by name").all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
    const shape: SchemaShape = {};
    for (const { name, sql } of ddl.filter((row) => row.type === 'table' && !row.name.startsWith('__drizzle'))) {
      // Numbers as such: the engine turns `safeIntegers` on for a handle it is given.
      const info = (handle.pragma(`table_info("${name}")`) as { name: string; type: string; notnull: number | bigint; dflt_value: unknown; pk: number | bigint }[]).map((c) => ({ ...c, notnull: Number(c.notnull), pk: Number(c.pk) }));
      const keys = handle.pragma(`foreign_key_list("${name}")`) as { table: string; from: string; to: string; on_delete: string }[];
      shape[name] = {
        columns: info.map((c) => column(c.name, c.type, c.notnull === 1, c.dflt_value !== null)).sort(),
        primaryKey: info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
        indexes: ddl.filter((row) => row.type === 'index' && row.tbl_name === name && row.sql !== null).map((row) => row.name).sort(),
        foreignKeys: keys.map((fk) => foreignKey(fk.from, fk.table, fk.to, fk.on_delete)).sort(),
        checks: [...(sql ?? '').matchAll(/CONSTRAINT "(\w+)" CHECK/g)].map((m) => m[1]!).sort(),
      };
    }
    return { ddl, shape };
  } finally {
    if (typeof db.database === 'string') handle.close();
  }
}

async function inspectPostgres(url: string): Promise<{ ddl: unknown; shape: SchemaShape }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const columns = await sql<{ table: string; name: string; type: string; notNull: boolean; default: string | null }[]>`
      select c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as "notNull", pg_get_expr(d.adbin, d.adrelid) as default
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
      order by 1, a.attnum`;
    const constraints = await sql<{ table: string; name: string; type: string; definition: string }[]>`
      select conrelid::regclass::text as table, conname as name, contype as type, pg_get_constraintdef(oid) as definition
      from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`;
    const indexes = await sql<{ table: string; name: string; definition: string }[]>`
      select tablename as table, indexname as name, indexdef as definition from pg_indexes where schemaname = 'public' order by 1, 2`;
    const shape: SchemaShape = {};
    for (const table of new Set(columns.map((c) => c.table))) {
      const own = constraints.filter((c) => c.table === table);
      shape[table] = {
        columns: columns
          .filter((c) => c.table === table)
          .map((c) => column(c.name, c.type, c.notNull, c.default !== null))
          .sort(),
        primaryKey: (own.find((c) => c.type === 'p')?.definition.match(/PRIMARY KEY \((.*)\)/)?.[1] ?? '')
          .split(', ')
          .filter(Boolean)
          .map((name) => name.replaceAll('"', '')),
        // Indexes behind constraints (the primary key's) are the constraints'.
        indexes: indexes.filter((i) => i.table === table && !own.some((c) => c.name === i.name)).map((i) => i.name),
        foreignKeys: own
          .filter((c) => c.type === 'f')
          .map((c) => {
            const [, from, to, target, onDelete] = c.definition.match(/FOREIGN KEY \((\w+)\) REFERENCES (\w+)\((\w+)\)(?: ON DELETE ([A-Z ]+))?/) ?? [];
            return foreignKey(from!, to!, target!, onDelete);
          })
          .sort(),
        checks: own.filter((c) => c.type === 'c').map((c) => c.name),
      };
    }
    return { ddl: { columns: [...columns], constraints: [...constraints], indexes: [...indexes] }, shape };
  } finally {
    await sql.end();
  }
}

const user: UserRecord = {
  id: 'u-1',
  email: 'one@example.com',
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y',
  role: 'user',
  status: 'active',
  tokenVersion: 0,
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  updatedAt: new Date('2026-01-02T03:04:05.678Z'),
  username: null,
  referralCode: null,
};

describe.each(testDatabaseKinds())('upgrading a migrated database: %s', (kind) => {
  it('migrates again without change, to what the definitions declare', async () => {
    const dialect = kind === 'postgres' ? 'postgres' : 'sqlite';
    const db = await createTestDatabase(kind);
    try {
      const running = openStorage(db.database);
      await running.migrate();
      await running.repos.users.insert(user);
      const before = { schema: await inspect(db), rows: await db.snapshot(), applied: await running.appliedMigrations() };
      await running.close();

      const upgraded = openStorage(db.database);
      await upgraded.migrate();
      const after = { schema: await inspect(db), rows: await db.snapshot(), applied: await upgraded.appliedMigrations() };
      expect(await upgraded.repos.users.findById(user.id)).toEqual(user);
      await upgraded.close();

      expect(after).toEqual(before);
      const journal = JSON.parse(readFileSync(join(migrationsFolder(dialect), 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
      expect([...before.applied].sort()).toEqual(journal.entries.map((entry) => entry.when).sort());

      const expected = declared(dialect);
      expect(Object.keys(before.schema.shape).sort()).toEqual(Object.keys(expected).sort());
      for (const [table, shape] of Object.entries(expected)) expect(before.schema.shape[table], table).toEqual(shape);
    } finally {
      await db.cleanup();
    }
  });
});
