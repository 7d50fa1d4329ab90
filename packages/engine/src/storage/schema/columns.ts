import { sql, type Column, type ColumnBuilderBase, type HasDefault, type IsPrimaryKey, type NotNull } from 'drizzle-orm';
import {
  bigint as pgBigint,
  boolean as pgBoolean,
  doublePrecision as pgDoublePrecision,
  integer as pgInteger,
  text as pgText,
  timestamp as pgTimestamp,
  type PgBigInt64BuilderInitial,
  type PgBooleanBuilderInitial,
  type PgColumnBuilderBase,
  type PgDoublePrecisionBuilderInitial,
  type PgIntegerBuilderInitial,
  type PgTextBuilderInitial,
  type PgTimestampBuilderInitial,
} from 'drizzle-orm/pg-core';
import {
  customType,
  real as sqliteReal,
  text as sqliteText,
  type ConvertCustomConfig,
  type SQLiteColumnBuilderBase,
  type SQLiteCustomColumnBuilder,
  type SQLiteRealBuilderInitial,
  type SQLiteTextBuilderInitial,
  type UpdateDeleteAction,
} from 'drizzle-orm/sqlite-core';

/*
 * A column described once, without a dialect, and what it becomes on each database: the
 * description records the kind of value, the SQL name and the modifiers; `sqliteColumn` and
 * `postgresColumn` replay it on drizzle's builders, and `SqliteColumn<S>` / `PostgresColumn<S>`
 * are the builder types drizzle would infer for the same calls.
 */

export type Dialect = 'sqlite' | 'postgres';

/** The JS value of each kind of column, the same on both databases. */
interface KindData {
  text: string;
  integer: number;
  /** Minor units: INTEGER on SQLite (so SQL arithmetic and CHECKs work), int8 on PostgreSQL. */
  money: bigint;
  boolean: boolean;
  /** Millisecond precision: INTEGER epoch milliseconds on SQLite, timestamptz(3) on PostgreSQL. */
  timestamp: Date;
  /** Prices and other measurements: REAL / double precision, never money. */
  real: number;
}
type Kind = keyof KindData;
type Values = [string, ...string[]];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface ColumnConfig {
  readonly kind: Kind;
  readonly name: string;
  /** A text column's allowed values (its JS type; the CHECK, where there is one, is a table constraint). */
  readonly values: readonly [string, ...string[]] | undefined;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  readonly hasDefault: boolean;
  readonly default: unknown;
  readonly references: { target: () => ColumnSpec; actions: ReferenceActions | undefined } | undefined;
}

export interface ReferenceActions {
  onDelete?: UpdateDeleteAction;
  onUpdate?: UpdateDeleteAction;
}

/**
 * One column of a table definition. Immutable: each modifier returns a new description, and
 * its type parameters carry what drizzle's builder types need (kind, SQL name, values, flags).
 */
export class ColumnSpec<K extends Kind = Kind, N extends string = string, E extends Values = Values, NN extends boolean = boolean, HD extends boolean = boolean, PK extends boolean = boolean> {
  /** Types only: never set at run time. */
  declare readonly _: { kind: K; name: N; values: E; notNull: NN; hasDefault: HD; primaryKey: PK };

  constructor(readonly config: ColumnConfig) {}

  notNull(): ColumnSpec<K, N, E, true, HD, PK> {
    return new ColumnSpec({ ...this.config, notNull: true });
  }

  default(value: K extends 'text' ? E[number] : KindData[K]): ColumnSpec<K, N, E, NN, true, PK> {
    return new ColumnSpec({ ...this.config, hasDefault: true, default: value });
  }

  /** Implies NOT NULL, as in drizzle. */
  primaryKey(): ColumnSpec<K, N, E, true, HD, true> {
    return new ColumnSpec({ ...this.config, primaryKey: true, notNull: true });
  }

  /** A foreign key to another definition's column; resolved lazily, so a table may reference itself. */
  references(target: () => ColumnSpec, actions?: ReferenceActions): ColumnSpec<K, N, E, NN, HD, PK> {
    return new ColumnSpec({ ...this.config, references: { target, actions } });
  }
}

type Initial<K extends Kind, N extends string, E extends Values = Values> = ColumnSpec<K, N, E, false, false, false>;

/** A new column description; its type parameters say what `config` holds. */
const column = <S extends ColumnSpec>(kind: S['_']['kind'], name: S['_']['name'], values?: readonly [string, ...string[]]) =>
  new ColumnSpec({ kind, name, values, notNull: false, primaryKey: false, hasDefault: false, default: undefined, references: undefined }) as S;

/** Text; with `values`, one of them (the column's JS type is their union). */
export const text = <N extends string, const V extends readonly [string, ...string[]] = Values>(name: N, values?: V): Initial<'text', N, Mutable<V>> =>
  column<Initial<'text', N, Mutable<V>>>('text', name, values);
export const integer = <N extends string>(name: N) => column<Initial<'integer', N>>('integer', name);
export const money = <N extends string>(name: N) => column<Initial<'money', N>>('money', name);
export const boolean = <N extends string>(name: N) => column<Initial<'boolean', N>>('boolean', name);
export const timestamp = <N extends string>(name: N) => column<Initial<'timestamp', N>>('timestamp', name);
export const real = <N extends string>(name: N) => column<Initial<'real', N>>('real', name);

type Modified<B extends ColumnBuilderBase, S extends ColumnSpec> = S['_']['primaryKey'] extends true
  ? Defaulted<IsPrimaryKey<NotNull<B>>, S>
  : S['_']['notNull'] extends true
    ? Defaulted<NotNull<B>, S>
    : Defaulted<B, S>;
type Defaulted<B extends ColumnBuilderBase, S extends ColumnSpec> = S['_']['hasDefault'] extends true ? HasDefault<B> : B;

/*
 * SQLite. The connection runs with better-sqlite3's `safeIntegers`, so every INTEGER arrives as a
 * bigint and money (minor units up to 2^63 − 1) stays exact. These column types turn the
 * non-money integers back into numbers and Dates; the DDL is plain INTEGER either way.
 */
interface SqliteIntegerValues<T> {
  data: T;
  driverData: number | bigint;
}
const sqliteInteger = customType<SqliteIntegerValues<number>>({
  dataType: () => 'integer',
  fromDriver: (value) => Number(value),
});
const sqliteMoney = customType<SqliteIntegerValues<bigint>>({
  dataType: () => 'integer',
  toDriver: (value) => value,
  fromDriver: (value) => BigInt(value),
});
const sqliteBoolean = customType<SqliteIntegerValues<boolean>>({
  dataType: () => 'integer',
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => Number(value) !== 0,
});
const sqliteTimestamp = customType<SqliteIntegerValues<Date>>({
  dataType: () => 'integer',
  toDriver: (value) => value.getTime(),
  fromDriver: (value) => new Date(Number(value)),
});

type SqliteInteger<N extends string, T> = SQLiteCustomColumnBuilder<ConvertCustomConfig<N, SqliteIntegerValues<T>>>;
interface SqliteKinds<N extends string, E extends Values> {
  text: SQLiteTextBuilderInitial<N, E, number | undefined>;
  integer: SqliteInteger<N, number>;
  money: SqliteInteger<N, bigint>;
  boolean: SqliteInteger<N, boolean>;
  timestamp: SqliteInteger<N, Date>;
  real: SQLiteRealBuilderInitial<N>;
}
/** The drizzle builder a column description becomes on SQLite. */
export type SqliteColumn<S extends ColumnSpec> = Modified<SqliteKinds<S['_']['name'], S['_']['values']>[S['_']['kind']], S>;

const sqliteKinds: Record<Kind, (c: ColumnConfig) => SQLiteColumnBuilderBase> = {
  text: (c) => (c.values ? sqliteText(c.name, { enum: c.values }) : sqliteText(c.name)),
  integer: (c) => sqliteInteger(c.name),
  money: (c) => sqliteMoney(c.name),
  boolean: (c) => sqliteBoolean(c.name),
  timestamp: (c) => sqliteTimestamp(c.name),
  real: (c) => sqliteReal(c.name),
};

/* PostgreSQL. */
interface PostgresKinds<N extends string, E extends Values> {
  text: PgTextBuilderInitial<N, E>;
  integer: PgIntegerBuilderInitial<N>;
  /** postgres.js sends int8 as text; drizzle's bigint mode maps it to a bigint, exact. */
  money: PgBigInt64BuilderInitial<N>;
  boolean: PgBooleanBuilderInitial<N>;
  timestamp: PgTimestampBuilderInitial<N>;
  real: PgDoublePrecisionBuilderInitial<N>;
}
/** The drizzle builder a column description becomes on PostgreSQL. */
export type PostgresColumn<S extends ColumnSpec> = Modified<PostgresKinds<S['_']['name'], S['_']['values']>[S['_']['kind']], S>;

const postgresKinds: Record<Kind, (c: ColumnConfig) => PgColumnBuilderBase> = {
  text: (c) => (c.values ? pgText(c.name, { enum: c.values }) : pgText(c.name)),
  integer: (c) => pgInteger(c.name),
  money: (c) => pgBigint(c.name, { mode: 'bigint' }),
  boolean: (c) => pgBoolean(c.name),
  timestamp: (c) => pgTimestamp(c.name, { withTimezone: true, precision: 3, mode: 'date' }),
  real: (c) => pgDoublePrecision(c.name),
};

/** The modifiers both dialects' builders share. */
interface Chain {
  primaryKey(): Chain;
  notNull(): Chain;
  default(value: unknown): Chain;
  references(ref: () => Column, actions?: ReferenceActions): Chain;
}

/** Replays a description's modifiers on a dialect's builder; `resolve` finds a referenced column among the same dialect's tables. */
function modified<B>(builder: B, c: ColumnConfig, resolve: (target: ColumnSpec) => Column): B {
  let chain = builder as B & Chain;
  if (c.primaryKey) chain = chain.primaryKey() as B & Chain;
  else if (c.notNull) chain = chain.notNull() as B & Chain;
  // A bigint default is written as SQL: drizzle-kit serialises defaults as JSON, which has no bigint.
  if (c.hasDefault) chain = chain.default(typeof c.default === 'bigint' ? sql.raw(c.default.toString()) : c.default) as B & Chain;
  const reference = c.references;
  if (reference) chain = chain.references(() => resolve(reference.target()), reference.actions) as B & Chain;
  return chain;
}

export const sqliteColumn = (spec: ColumnSpec, resolve: (target: ColumnSpec) => Column): SQLiteColumnBuilderBase =>
  modified(sqliteKinds[spec.config.kind](spec.config), spec.config, resolve);

export const postgresColumn = (spec: ColumnSpec, resolve: (target: ColumnSpec) => Column): PgColumnBuilderBase =>
  modified(postgresKinds[spec.config.kind](spec.config), spec.config, resolve);
