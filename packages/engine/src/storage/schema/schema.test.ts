/**
 * The tables are declared once (`definitions.ts`) and built for each database. These tests hold
 * the two builds to each other and to core's types: column by column at run time, and row types
 * and value lists at compile time (`tsc -b` type-checks this file; a difference fails it).
 */
import { getTableColumns, getTableName, is, type Column, type SQL, type Table } from 'drizzle-orm';
import { getTableConfig as getPgTableConfig, PgDialect, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as getSqliteTableConfig, SQLiteSyncDialect, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  AccountKind,
  AccountStatus,
  BacktestStatus,
  CommissionKind,
  CopyMode,
  DepositStatus,
  EntryKind,
  HoldStatus,
  MasterRecord,
  OperatorCreditStatus,
  OrderStatus,
  OrderType,
  ProtectionEventRecord,
  RiskLockRecord,
  Role,
  SignalRecord,
  StrategyRecord,
  SubscriptionStatus,
  SystemAccountCode,
  TradeCloseReason,
  TradeSide,
  TradeSource,
  TradeStatus,
  UserStatus,
  WithdrawalStatus,
} from '@tradeplane/core';
import * as postgresSchema from '../schema.postgres.js';
import * as sqliteSchema from '../schema.sqlite.js';
import type { DifferingTables, QueryTables, SameRows } from './build.js';
import { text } from './columns.js';
import * as definitions from './definitions.js';
import { table, type PostgresTable, type SqliteTable } from './kit.js';
import * as values from './values.js';

const sqliteTables: Record<string, SQLiteTable> = { ...sqliteSchema };
const postgresTables: Record<string, PgTable> = { ...postgresSchema };

describe('value lists', () => {
  it('are the unions core declares', () => {
    type Of<T extends readonly string[]> = T[number];
    expectTypeOf<Of<typeof values.roles>>().toEqualTypeOf<Role>();
    expectTypeOf<Of<typeof values.userStatuses>>().toEqualTypeOf<UserStatus>();
    expectTypeOf<Of<typeof values.accountKinds>>().toEqualTypeOf<AccountKind>();
    expectTypeOf<Of<typeof values.systemAccountCodes>>().toEqualTypeOf<SystemAccountCode>();
    expectTypeOf<Of<typeof values.accountStatuses>>().toEqualTypeOf<AccountStatus>();
    expectTypeOf<Of<typeof values.entryKinds>>().toEqualTypeOf<EntryKind>();
    expectTypeOf<Of<typeof values.holdStatuses>>().toEqualTypeOf<HoldStatus>();
    expectTypeOf<Of<typeof values.withdrawalStatuses>>().toEqualTypeOf<WithdrawalStatus>();
    expectTypeOf<Of<typeof values.operatorCreditStatuses>>().toEqualTypeOf<OperatorCreditStatus>();
    expectTypeOf<Of<typeof values.tradeSides>>().toEqualTypeOf<TradeSide>();
    expectTypeOf<Of<typeof values.signalSides>>().toEqualTypeOf<SignalRecord['side']>();
    expectTypeOf<Of<typeof values.orderTypes>>().toEqualTypeOf<OrderType>();
    expectTypeOf<Of<typeof values.orderStatuses>>().toEqualTypeOf<OrderStatus>();
    expectTypeOf<Of<typeof values.tradeStatuses>>().toEqualTypeOf<TradeStatus>();
    expectTypeOf<Of<typeof values.tradeCloseReasons>>().toEqualTypeOf<TradeCloseReason>();
    expectTypeOf<Of<typeof values.tradeSources>>().toEqualTypeOf<TradeSource>();
    expectTypeOf<Of<typeof values.lockScopes>>().toEqualTypeOf<RiskLockRecord['scope']>();
    expectTypeOf<Of<typeof values.protectionSources>>().toEqualTypeOf<ProtectionEventRecord['source']>();
    expectTypeOf<Of<typeof values.strategyStatuses>>().toEqualTypeOf<StrategyRecord['status']>();
    expectTypeOf<Of<typeof values.backtestStatuses>>().toEqualTypeOf<BacktestStatus>();
    expectTypeOf<Of<typeof values.masterVisibilities>>().toEqualTypeOf<MasterRecord['visibility']>();
    expectTypeOf<Of<typeof values.copyModes>>().toEqualTypeOf<CopyMode>();
    expectTypeOf<Of<typeof values.subscriptionStatuses>>().toEqualTypeOf<SubscriptionStatus>();
    expectTypeOf<Of<typeof values.commissionKinds>>().toEqualTypeOf<CommissionKind>();
    expectTypeOf<Of<typeof values.depositStatuses>>().toEqualTypeOf<DepositStatus>();
  });

  it('type the columns that hold them', () => {
    expectTypeOf<QueryTables['users']['$inferSelect']['role']>().toEqualTypeOf<Role>();
    expectTypeOf<QueryTables['trades']['$inferSelect']['closeReason']>().toEqualTypeOf<TradeCloseReason | null>();
    expectTypeOf<(typeof postgresSchema.withdrawals)['$inferSelect']['status']>().toEqualTypeOf<WithdrawalStatus>();
  });
});

describe('the two dialects', () => {
  it('export every definition, and nothing else', () => {
    const names = Object.keys(definitions).sort();
    expect(Object.keys(sqliteSchema).sort()).toEqual(names);
    expect(Object.keys(postgresSchema).sort()).toEqual(names);
    for (const name of names) {
      expect(is(sqliteTables[name], SQLiteTable)).toBe(true);
      expect(is(postgresTables[name], PgTable)).toBe(true);
    }
  });

  it('have the same rows at compile time', () => {
    expectTypeOf<DifferingTables>().toBeNever();
    // What the check catches: a column nullable on one side only.
    const users = table('users', { ...definitions.users.columns, email: text('email') });
    expectTypeOf<SameRows<SqliteTable<typeof definitions.users>, PostgresTable<typeof users>>>().toEqualTypeOf<false>();
    expectTypeOf<SameRows<SqliteTable<typeof definitions.users>, PostgresTable<typeof definitions.users>>>().toEqualTypeOf<true>();
  });

  /** What each PostgreSQL type is stored as on SQLite, and the JS value both read back. */
  const storedAs: Record<string, { sqlite: string; read: (value: unknown) => boolean }> = {
    text: { sqlite: 'text', read: (v) => typeof v === 'string' },
    integer: { sqlite: 'integer', read: (v) => typeof v === 'number' },
    bigint: { sqlite: 'integer', read: (v) => typeof v === 'bigint' },
    boolean: { sqlite: 'integer', read: (v) => typeof v === 'boolean' },
    'timestamp (3) with time zone': { sqlite: 'integer', read: (v) => v instanceof Date },
    'double precision': { sqlite: 'real', read: (v) => typeof v === 'number' },
  };
  /** A value as each driver returns it for a column of that PostgreSQL type (SQLite's integers come as bigint). */
  const driverValue: Record<string, { sqlite: unknown; postgres: unknown }> = {
    text: { sqlite: 'x', postgres: 'x' },
    integer: { sqlite: 7n, postgres: 7 },
    bigint: { sqlite: 7n, postgres: '7' },
    boolean: { sqlite: 1n, postgres: true },
    'timestamp (3) with time zone': { sqlite: 1_700_000_000_000n, postgres: '2023-11-14 22:13:20+00' },
    'double precision': { sqlite: 1.5, postgres: 1.5 },
  };

  const sqliteDialect = new SQLiteSyncDialect();
  const pgDialect = new PgDialect();
  const names = (columns: Column[]) => columns.map((c) => c.name);

  /** What `getTableConfig` says of a table, on either dialect. */
  interface TableConfig {
    name: string;
    columns: Column[];
    primaryKeys: { columns: Column[] }[];
    foreignKeys: { reference(): { columns: Column[]; foreignTable: Table; foreignColumns: Column[] }; onDelete?: string | undefined; onUpdate?: string | undefined }[];
    indexes: { config: { name?: string | undefined; unique: boolean; columns: unknown[]; where?: SQL | undefined } }[];
    checks: { name: string; value: SQL }[];
    uniqueConstraints: { getName(): string | undefined }[];
  }

  /** A table's shape, in terms both dialects share. */
  function shape(config: TableConfig, render: (sql: SQL) => string) {
    return {
      name: config.name,
      columns: config.columns.map((c) => ({ name: c.name, notNull: c.notNull, primary: c.primary, hasDefault: c.hasDefault, default: c.default, enumValues: c.enumValues })),
      primaryKeys: config.primaryKeys.map((pk) => names(pk.columns)),
      foreignKeys: config.foreignKeys.map((fk) => {
        const { columns, foreignTable, foreignColumns } = fk.reference();
        return { columns: names(columns), table: getTableName(foreignTable), foreignColumns: names(foreignColumns), onDelete: fk.onDelete ?? 'no action', onUpdate: fk.onUpdate ?? 'no action' };
      }),
      indexes: config.indexes.map((index) => ({
        name: index.config.name,
        unique: index.config.unique,
        columns: index.config.columns.map((c) => (c as Column).name),
        where: index.config.where ? render(index.config.where) : undefined,
      })),
      checks: config.checks.map((check) => ({ name: check.name, value: render(check.value) })),
      uniqueConstraints: config.uniqueConstraints.map((unique) => unique.getName()),
    };
  }
  const columnsOf = (t: Table): Record<string, Column> => getTableColumns(t);

  it.each(Object.keys(definitions))('build %s alike: columns, keys, references, indexes and checks', (key) => {
    const sqliteTable = sqliteTables[key]!;
    const pgTable = postgresTables[key]!;
    const sqlite = getSqliteTableConfig(sqliteTable);
    const pg = getPgTableConfig(pgTable);
    const sqliteShape = shape(sqlite, (sql) => sqliteDialect.sqlToQuery(sql).sql);
    const pgShape = shape(pg, (sql) => pgDialect.sqlToQuery(sql).sql);

    // The one condition written per dialect: SQLite has no boolean type.
    const oneDefault = (s: typeof sqliteShape) => s.indexes.find((index) => index.name === 'accounts_one_default_per_user');
    if (key === 'accounts') {
      expect(oneDefault(sqliteShape)?.where).toBe('"accounts"."is_default" = 1');
      expect(oneDefault(pgShape)?.where).toBe('"accounts"."is_default"');
      oneDefault(sqliteShape)!.where = oneDefault(pgShape)!.where;
    }
    expect(sqliteShape).toEqual(pgShape);
    expect(sqliteShape.columns.length).toBeGreaterThan(0);

    // Column by column, under the same keys: types that store and read back the same values.
    expect(Object.keys(columnsOf(sqliteTable))).toEqual(Object.keys(columnsOf(pgTable)));
    for (const [columnKey, pgColumn] of Object.entries(columnsOf(pgTable))) {
      const sqliteColumn = columnsOf(sqliteTable)[columnKey]!;
      const pgType = pgColumn.getSQLType();
      expect(storedAs[pgType], `${key}.${columnKey}: ${pgType}`).toBeDefined();
      expect(sqliteColumn.getSQLType(), `${key}.${columnKey}`).toBe(storedAs[pgType]!.sqlite);
      expect(storedAs[pgType]!.read(sqliteColumn.mapFromDriverValue(driverValue[pgType]!.sqlite)), `${key}.${columnKey} read on SQLite`).toBe(true);
      expect(storedAs[pgType]!.read(pgColumn.mapFromDriverValue(driverValue[pgType]!.postgres)), `${key}.${columnKey} read on PostgreSQL`).toBe(true);
    }
  });
});
