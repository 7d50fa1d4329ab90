import { sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { TradeplaneError, type Repositories } from '@tradeplane/core';
import type { QueryTables } from './schema/build.js';

/*
 * What every repository file is written with: the tables' type, the query surface both
 * dialects share, prepared-statement helpers and driver-error readers. Kept apart from
 * `repositories.ts`, which composes the repository files, so that none of them imports it back.
 */

/**
 * The tables the repositories are written against: built from one set of definitions for both
 * dialects, typed as drizzle's SQLite tables (see `schema/build.ts`); PostgreSQL's are handed in
 * at run time through `asQueryTables`, which checks at compile time that their rows are the same.
 */
export type Tables = QueryTables;
export type QueryDb = Pick<BetterSQLite3Database<Tables>, 'select' | 'selectDistinct' | 'insert' | 'update' | 'delete'>;

/**
 * A placeholder of a prepared statement bound through a column, so the driver gets the column's
 * encoding. Null-safe: drizzle encodes a placeholder's value even when it is null, which the
 * timestamp and money encoders reject (a plain `sql.placeholder` in `values()` is fine for
 * non-null values).
 */
export const slot = (name: string, column: { mapToDriverValue(value: unknown): unknown }) =>
  sql`${sql.param(sql.placeholder(name), { mapToDriverValue: (value: unknown) => (value === null ? null : column.mapToDriverValue(value)) })}`;

/**
 * The values of a prepared INSERT whose parameters are named as its columns:
 * `{ id: sql.placeholder('id'), … }`. Nullable timestamp and money columns need `slot` instead.
 */
export function placeholders<K extends string>(...names: K[]): Record<K, ReturnType<typeof sql.placeholder<K>>> {
  return Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as Record<K, ReturnType<typeof sql.placeholder<K>>>;
}

/** A statement built once: `execute` fills its `sql.placeholder`s and runs it. */
export interface PreparedQuery {
  execute(values?: Record<string, unknown>): PromiseLike<unknown>;
}

type Preparable = { prepare(): unknown } | { prepare(name: string): unknown };

/**
 * The hot statements, each built by drizzle (SQL text, parameter encoders, result mapping) and
 * prepared by the driver once per process rather than on every call, which cost more than
 * running them. `build` receives the storage's base connection, never a transaction's: the
 * storage says how a statement runs on the connection of the transaction at hand (`bind`).
 */
export interface Statements {
  readonly dialect: 'sqlite' | 'postgres';
  prepared(name: string, build: (db: QueryDb) => Preparable): PreparedQuery;
}

/**
 * A cache of statements built on `db`. `bind` adapts a cached statement to the connection the
 * repositories run on (identity for SQLite's single connection; see `postgres.ts`).
 */
export function statementCache(db: QueryDb, dialect: 'sqlite' | 'postgres'): { on(bind?: (query: PreparedQuery) => PreparedQuery): Statements } {
  const cache = new Map<string, PreparedQuery>();
  function get(name: string, build: (db: QueryDb) => Preparable): PreparedQuery {
    let query = cache.get(name);
    if (query === undefined) {
      // drizzle's SQLite builders take no name and PostgreSQL's require one (a name makes
      // postgres.js keep a prepared statement per connection); passing it to both keeps one implementation.
      query = (build(db) as { prepare(name: string): PreparedQuery }).prepare(name);
      cache.set(name, query);
    }
    return query;
  }
  return {
    on(bind = (query) => query) {
      // Built and bound on first use: the tables may not exist yet when the repositories are
      // created (migrations run later), and a transaction pays only for the statements it runs.
      return {
        dialect,
        prepared(name, build) {
          let bound: PreparedQuery | undefined;
          return { execute: (values) => (bound ??= bind(get(name, build))).execute(values) };
        },
      };
    },
  };
}

/** Returns repositories whose every method runs through `wrap` (named `repo.method`). */
export function wrapMethods(
  repos: Repositories,
  wrap: (operation: string, call: () => Promise<unknown>) => Promise<unknown>,
): Repositories {
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [name, repo] of Object.entries(repos) as [string, Record<string, (...args: unknown[]) => Promise<unknown>>][]) {
    wrapped[name] = Object.fromEntries(
      Object.entries(repo).map(([method, fn]) => [method, (...args: unknown[]) => wrap(`${name}.${method}`, () => fn(...args))]),
    );
  }
  return wrapped as unknown as Repositories;
}

/**
 * Errors that mean the database is out of reach (refused, reset or ended connections, a server
 * shutting down or not accepting connections): the request cannot be served now, but may be
 * soon. SQLSTATE class 08 and 57P01–57P03; postgres.js and Node socket codes.
 */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03']);

/** The database is unreachable: a 503 problem that says to retry, instead of a 500. */
export function asUnavailable(error: unknown): unknown {
  if (error instanceof TradeplaneError) return error;
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE.has(code) || code.startsWith('08'))) {
      return new TradeplaneError('service_unavailable', 'The database is unavailable; try again shortly', { headers: { 'retry-after': '1' }, cause: error });
    }
  }
  return error;
}

/** A failed query's error without its parameter values (emails, hashes); an unreachable database becomes 503. */
export function redact(error: unknown, operation: string): unknown {
  const unavailable = asUnavailable(error);
  if (unavailable !== error) return unavailable;
  if (error instanceof Error && 'params' in error && 'query' in error) {
    return new Error(`Storage operation ${operation} failed: ${error.cause instanceof Error ? error.cause.message : 'query error'}`, {
      cause: error.cause,
    });
  }
  return error;
}

/** The violated constraint's name (PostgreSQL) or message (SQLite: `UNIQUE constraint failed: users.username`). */
export function uniqueViolationDetail(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { constraint_name: constraint, message } = e as { constraint_name?: unknown; message?: unknown };
    if (typeof constraint === 'string') parts.push(constraint);
    if (typeof message === 'string') parts.push(message);
  }
  return parts.join(' ');
}

/** SQLite: SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY; PostgreSQL: SQLSTATE 23505. drizzle may wrap the driver error. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  }
  return false;
}
