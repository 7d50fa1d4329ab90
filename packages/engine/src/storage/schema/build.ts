import * as definitions from './definitions.js';
import { postgresTables, sqliteTables, type PostgresTables, type SqliteTables } from './kit.js';

type Definitions = typeof definitions;

/**
 * The tables as the repositories are written against them: drizzle's SQLite types, because
 * `QueryDb` is drizzle's SQLite query builder (see `query-kit.ts`). PostgreSQL's tables take this
 * type through `asQueryTables`.
 */
export type QueryTables = SqliteTables<Definitions>;
export type PostgresSchema = PostgresTables<Definitions>;

export const buildSqliteSchema = (): QueryTables => sqliteTables(definitions);
export const buildPostgresSchema = (): PostgresSchema => postgresTables(definitions);

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export type SameRows<A extends { $inferSelect: unknown; $inferInsert: unknown }, B extends { $inferSelect: unknown; $inferInsert: unknown }> =
  Equal<A['$inferSelect'], B['$inferSelect']> extends true ? Equal<A['$inferInsert'], B['$inferInsert']> : false;
/** The tables whose rows, as selected or as inserted, differ between the dialects' types (none). */
export type DifferingTables = { [K in keyof Definitions]: SameRows<QueryTables[K], PostgresSchema[K]> extends true ? never : K }[keyof Definitions];

/**
 * The PostgreSQL tables under the type the repositories are written against. Both dialects'
 * tables are built from the same definitions, so they hold the same rows; the parameter's type
 * makes that a compile-time fact (a column whose JS type, nullability or default differs between
 * the dialects makes every call fail to type-check, naming the tables) before the one conversion
 * drizzle's per-dialect types leave no way around.
 */
export function asQueryTables(tables: PostgresSchema & ([DifferingTables] extends [never] ? unknown : { rowsDifferIn: DifferingTables })): QueryTables {
  return tables as unknown as QueryTables;
}
