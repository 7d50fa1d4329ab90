import { sql, type BuildColumns, type Column, type SQL } from 'drizzle-orm';
import {
  check as pgCheck,
  index as pgIndex,
  pgTable,
  primaryKey as pgPrimaryKey,
  uniqueIndex as pgUniqueIndex,
  type PgColumn,
  type PgTableExtraConfigValue,
  type PgTableWithColumns,
} from 'drizzle-orm/pg-core';
import {
  check as sqliteCheck,
  index as sqliteIndex,
  primaryKey as sqlitePrimaryKey,
  sqliteTable,
  uniqueIndex as sqliteUniqueIndex,
  type SQLiteColumn,
  type SQLiteTableExtraConfigValue,
  type SQLiteTableWithColumns,
} from 'drizzle-orm/sqlite-core';
import { postgresColumn, sqliteColumn, type ColumnSpec, type Dialect, type PostgresColumn, type SqliteColumn } from './columns.js';

/*
 * Tables described once (`table`), built for either database (`sqliteTables`, `postgresTables`)
 * with the same SQL names, types, defaults, keys, indexes and checks.
 */

type Columns = Record<string, ColumnSpec>;

/** A table's columns as its constraints see them: built for the dialect at hand. */
type TableColumns<C extends Columns> = { readonly [K in keyof C]: Column };

type Constraint = IndexSpec | { kind: 'check'; name: string; value: SQL } | { kind: 'primaryKey'; columns: [Column, ...Column[]] };

export interface TableDefinition<N extends string = string, C extends Columns = Columns> {
  readonly name: N;
  readonly columns: C;
  /** Indexes, checks and composite keys; `dialect` for the rare SQL that must differ (see `isTrue`). */
  constraints(t: TableColumns<C>, dialect: Dialect): Constraint[];
}

/**
 * Which definition, under which key, each column description belongs to: how references resolve.
 * A description reused in another definition stays its first table's.
 */
const owners = new WeakMap<ColumnSpec, { table: TableDefinition; key: string }>();

export function table<N extends string, C extends Columns>(name: N, columns: C, constraints: (t: TableColumns<C>, dialect: Dialect) => Constraint[] = () => []): TableDefinition<N, C> {
  const definition: TableDefinition<N, C> = { name, columns, constraints };
  for (const [key, spec] of Object.entries(columns)) if (!owners.has(spec)) owners.set(spec, { table: definition, key });
  return definition;
}

class IndexSpec {
  readonly kind = 'index';
  constructor(
    readonly name: string,
    readonly unique: boolean,
    readonly columns: [Column, ...Column[]],
    readonly condition: SQL | undefined,
  ) {}

  /** A partial index. */
  where(condition: SQL): IndexSpec {
    return new IndexSpec(this.name, this.unique, this.columns, condition);
  }
}

export const index = (name: string) => ({ on: (...columns: [Column, ...Column[]]) => new IndexSpec(name, false, columns, undefined) });
export const uniqueIndex = (name: string) => ({ on: (...columns: [Column, ...Column[]]) => new IndexSpec(name, true, columns, undefined) });
export const check = (name: string, value: SQL): Constraint => ({ kind: 'check', name, value });
export const primaryKey = (...columns: [Column, ...Column[]]): Constraint => ({ kind: 'primaryKey', columns });

/** `column in ('a', 'b')`: the CHECK (or index condition) of a column holding one of `values`. */
export function oneOf(column: Column, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map((value) => `'${value.replaceAll("'", "''")}'`).join(', '))})`;
}

/** A boolean column as a condition: SQLite stores it as INTEGER 0 or 1, PostgreSQL as boolean. */
export function isTrue(column: Column, dialect: Dialect): SQL {
  return dialect === 'sqlite' ? sql`${column} = 1` : sql`${column}`;
}

type Definitions = Record<string, TableDefinition>;

export type SqliteTable<D extends TableDefinition> = SQLiteTableWithColumns<{
  name: D['name'];
  schema: undefined;
  columns: BuildColumns<D['name'], { [K in keyof D['columns']]: SqliteColumn<D['columns'][K]> }, 'sqlite'>;
  dialect: 'sqlite';
}>;
export type SqliteTables<S extends Definitions> = { [K in keyof S]: SqliteTable<S[K]> };

export type PostgresTable<D extends TableDefinition> = PgTableWithColumns<{
  name: D['name'];
  schema: undefined;
  columns: BuildColumns<D['name'], { [K in keyof D['columns']]: PostgresColumn<D['columns'][K]> }, 'pg'>;
  dialect: 'pg';
}>;
export type PostgresTables<S extends Definitions> = { [K in keyof S]: PostgresTable<S[K]> };

/**
 * Builds every definition with `build`. References resolve to the same dialect's tables, when
 * drizzle first asks for them (after every table exists).
 */
function buildAll(definitions: Definitions, build: (definition: TableDefinition, resolve: (target: ColumnSpec) => Column) => Record<string, unknown>): Record<string, unknown> {
  const built = new Map<TableDefinition, Record<string, unknown>>();
  const resolve = (target: ColumnSpec): Column => {
    const owner = owners.get(target);
    const table = owner && built.get(owner.table);
    if (!owner || !table) throw new Error('A foreign key references a column of no table in this schema');
    return table[owner.key] as Column;
  };
  const tables: Record<string, unknown> = {};
  for (const [key, definition] of Object.entries(definitions)) {
    const table = build(definition, resolve);
    built.set(definition, table);
    tables[key] = table;
  }
  return tables;
}

const mapColumns = <B>(columns: Columns, build: (spec: ColumnSpec) => B): Record<string, B> =>
  Object.fromEntries(Object.entries(columns).map(([key, spec]) => [key, build(spec)]));

function sqliteConstraint(constraint: Constraint): SQLiteTableExtraConfigValue {
  switch (constraint.kind) {
    case 'index': {
      const builder = (constraint.unique ? sqliteUniqueIndex : sqliteIndex)(constraint.name).on(...(constraint.columns as [SQLiteColumn, ...SQLiteColumn[]]));
      return constraint.condition ? builder.where(constraint.condition) : builder;
    }
    case 'check':
      return sqliteCheck(constraint.name, constraint.value);
    case 'primaryKey':
      return sqlitePrimaryKey({ columns: constraint.columns as [SQLiteColumn, ...SQLiteColumn[]] });
  }
}

function postgresConstraint(constraint: Constraint): PgTableExtraConfigValue {
  switch (constraint.kind) {
    case 'index': {
      const builder = (constraint.unique ? pgUniqueIndex : pgIndex)(constraint.name).on(...(constraint.columns as [PgColumn, ...PgColumn[]]));
      return constraint.condition ? builder.where(constraint.condition) : builder;
    }
    case 'check':
      return pgCheck(constraint.name, constraint.value);
    case 'primaryKey':
      return pgPrimaryKey({ columns: constraint.columns as [PgColumn, ...PgColumn[]] });
  }
}

/*
 * The two builders below are where the descriptions meet drizzle's types: the tables are built
 * from loosely typed builders and given the types drizzle would infer for the same calls
 * (`SqliteColumn`, `PostgresColumn`). `schema.test.ts` checks the result column by column.
 */

export function sqliteTables<S extends Definitions>(definitions: S): SqliteTables<S> {
  return buildAll(definitions, (d, resolve) =>
    sqliteTable(
      d.name,
      mapColumns(d.columns, (spec) => sqliteColumn(spec, resolve)),
      (t) => d.constraints(t, 'sqlite').map(sqliteConstraint),
    ),
  ) as SqliteTables<S>;
}

export function postgresTables<S extends Definitions>(definitions: S): PostgresTables<S> {
  return buildAll(definitions, (d, resolve) =>
    pgTable(
      d.name,
      mapColumns(d.columns, (spec) => postgresColumn(spec, resolve)),
      (t) => d.constraints(t, 'postgres').map(postgresConstraint),
    ),
  ) as PostgresTables<S>;
}
