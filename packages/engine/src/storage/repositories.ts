import { and, desc, eq, gt, inArray, isNull, lt, lte, ne, notExists, or, sql, type SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import {
  TradeplaneError,
  type ApiKeyRecord,
  type AuditRecord,
  type AuthState,
  type IdentityRecord,
  type Repositories,
  type UserRecord,
  type RefreshTokenRecord,
  type SessionRecord,
} from '@tradeplane/core';
import * as sqliteSchema from './schema.sqlite.js';
import { createLedgerRepositories } from './ledger-repositories.js';
import { createMarketRepositories } from './market-repositories.js';
import { createTradingRepositories } from './trading-repositories.js';
import { createBacktestRepositories } from './backtest-repositories.js';
import { createCopyRepositories } from './copy-repositories.js';
import { createCommissionRepositories } from './commission-repositories.js';
import { createOperationsRepositories } from './operations-repositories.js';
import { createFundingRepositories } from './funding-repositories.js';

/**
 * The repositories, written once for both databases.
 *
 * drizzle's SQLite and PostgreSQL query builders share the surface used here (select, insert,
 * update with `returning`, `onConflictDoNothing`), and the two schema files declare identical
 * table and column names with the same JS types (text, integer, Date). The code is therefore
 * typed against the SQLite schema and handed the Postgres tables at run time; the shared
 * conformance suite runs every method on both databases to keep that honest.
 */
export type Tables = typeof sqliteSchema;
export type QueryDb = Pick<BetterSQLite3Database<Tables>, 'select' | 'selectDistinct' | 'insert' | 'update' | 'delete'>;

export function createRepositories(db: QueryDb, t: Tables, statements: Statements): Repositories {
  // The per-request authentication lookup is prepared once: building the SQL and preparing the
  // statement cost more than running it.
  const authStateQuery = statements.prepared('tp_auth_state', (db) =>
    db
      .select({ role: t.users.role, status: t.users.status, tokenVersion: t.users.tokenVersion })
      .from(t.sessions)
      .innerJoin(t.users, eq(t.users.id, t.sessions.userId))
      .where(
        and(
          eq(t.sessions.id, sql.placeholder('sessionId')),
          eq(t.sessions.userId, sql.placeholder('userId')),
          isNull(t.sessions.revokedAt),
          notExists(
            db
              .select({ jti: t.revokedAccessTokens.jti })
              .from(t.revokedAccessTokens)
              .where(eq(t.revokedAccessTokens.jti, sql.placeholder('tokenId'))),
          ),
        ),
      )
      .limit(1),
  );

  const userByIdQuery = statements.prepared('tp_user_by_id', (db) =>
    db.select().from(t.users).where(eq(t.users.id, sql.placeholder('id'))).limit(1),
  );

  const apiKeyAuthQuery = statements.prepared('tp_api_key_auth', (db) =>
    db
      .select({ key: t.apiKeys, role: t.users.role, status: t.users.status })
      .from(t.apiKeys)
      .innerJoin(t.users, eq(t.users.id, t.apiKeys.userId))
      .where(eq(t.apiKeys.keyHash, sql.placeholder('keyHash')))
      .limit(1),
  );

  /** A Date bound through a timestamp column, so each driver gets its own encoding (ms integer or timestamptz). */
  const at = (value: Date) => sql.param(value, t.loginThrottle.windowStartedAt);

  return withSafeErrors({
    users: {
      async insert(user) {
        try {
          await db.insert(t.users).values(user);
        } catch (error) {
          if (isUniqueViolation(error)) {
            if (/users_username_unique|users\.username/.test(uniqueViolationDetail(error))) {
              throw new TradeplaneError('username_taken', 'This username is already taken');
            }
            throw new TradeplaneError('email_taken', 'An account with this email already exists');
          }
          throw error;
        }
      },
      async findById(id) {
        const [row] = (await userByIdQuery.execute({ id })) as unknown[];
        return row as UserRecord | undefined;
      },
      async findByEmail(email) {
        const [row] = await db.select().from(t.users).where(eq(t.users.email, email)).limit(1);
        return row as UserRecord | undefined;
      },
      async findByUsername(username) {
        const [row] = await db.select().from(t.users).where(eq(t.users.username, username)).limit(1);
        return row as UserRecord | undefined;
      },
      async update(id, { bumpTokenVersion, ...changes }) {
        const rows = await db
          .update(t.users)
          .set(bumpTokenVersion ? { ...changes, tokenVersion: sql`${t.users.tokenVersion} + 1` } : changes)
          .where(eq(t.users.id, id))
          .returning();
        return rows[0] as UserRecord | undefined;
      },
      async list({ status, role, search, limit, cursor }) {
        const conditions: (SQL | undefined)[] = [
          status ? eq(t.users.status, status) : undefined,
          role ? eq(t.users.role, role) : undefined,
          cursor ? lt(t.users.id, cursor) : undefined,
        ];
        if (search) {
          const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          conditions.push(sql`(${t.users.email} like ${pattern} escape '\\' or ${t.users.username} like ${pattern} escape '\\')`);
        }
        const rows = await db
          .select()
          .from(t.users)
          .where(and(...conditions))
          .orderBy(desc(t.users.id))
          .limit(limit);
        return rows as UserRecord[];
      },
      async countActiveAdmins() {
        const [row] = await db
          .select({ n: sql<number | string>`count(*)` })
          .from(t.users)
          .where(and(eq(t.users.role, 'admin'), eq(t.users.status, 'active')));
        return Number(row?.n ?? 0);
      },
    },
    sessions: {
      async insert(session) {
        await db.insert(t.sessions).values(session);
      },
      async touch(id, at) {
        const rows = await db
          .update(t.sessions)
          .set({ lastUsedAt: at })
          .where(and(eq(t.sessions.id, id), isNull(t.sessions.revokedAt)))
          .returning();
        return rows[0] as SessionRecord | undefined;
      },
      async revoke(id, at) {
        const rows = await db
          .update(t.sessions)
          .set({ revokedAt: at })
          .where(and(eq(t.sessions.id, id), isNull(t.sessions.revokedAt)))
          .returning({ id: t.sessions.id });
        return rows.length === 1;
      },
      async revokeAllForUser(userId, at, exceptId) {
        const rows = await db
          .update(t.sessions)
          .set({ revokedAt: at })
          .where(and(eq(t.sessions.userId, userId), isNull(t.sessions.revokedAt), exceptId ? ne(t.sessions.id, exceptId) : undefined))
          .returning({ id: t.sessions.id });
        return rows.length;
      },
      async listLive(userId) {
        const rows = await db
          .select()
          .from(t.sessions)
          .where(and(eq(t.sessions.userId, userId), isNull(t.sessions.revokedAt)))
          .orderBy(desc(t.sessions.createdAt), desc(t.sessions.id));
        return rows as SessionRecord[];
      },
      async authState({ sessionId, userId, tokenId }) {
        const rows = (await authStateQuery.execute({ sessionId, userId, tokenId })) as unknown[];
        return rows[0] as AuthState | undefined;
      },
    },
    refreshTokens: {
      async insert(token) {
        await db.insert(t.refreshTokens).values(token);
      },
      async findByHash(tokenHash) {
        const [row] = await db.select().from(t.refreshTokens).where(eq(t.refreshTokens.tokenHash, tokenHash)).limit(1);
        return row as RefreshTokenRecord | undefined;
      },
      async markRotated(id, at) {
        const rows = await db
          .update(t.refreshTokens)
          .set({ rotatedAt: at })
          .where(and(eq(t.refreshTokens.id, id), isNull(t.refreshTokens.rotatedAt)))
          .returning({ id: t.refreshTokens.id });
        return rows.length === 1;
      },
      async purgeExpired(now) {
        return (await db.delete(t.refreshTokens).where(lt(t.refreshTokens.expiresAt, now)).returning({ id: t.refreshTokens.id })).length;
      },
    },
    revokedTokens: {
      async add(token) {
        await db.insert(t.revokedAccessTokens).values(token).onConflictDoNothing();
      },
      async purgeExpired(now) {
        return (await db.delete(t.revokedAccessTokens).where(lt(t.revokedAccessTokens.expiresAt, now)).returning({ jti: t.revokedAccessTokens.jti })).length;
      },
    },
    audit: {
      async insert(record) {
        await db.insert(t.auditLogs).values({ ...record, details: record.details ? JSON.stringify(record.details) : null });
      },
      async list({ action, actorId, targetId, limit, cursor }) {
        const rows = await db
          .select()
          .from(t.auditLogs)
          .where(
            and(
              action ? eq(t.auditLogs.action, action) : undefined,
              actorId ? eq(t.auditLogs.actorId, actorId) : undefined,
              targetId ? eq(t.auditLogs.targetId, targetId) : undefined,
              cursor ? lt(t.auditLogs.id, cursor) : undefined,
            ),
          )
          .orderBy(desc(t.auditLogs.id))
          .limit(limit);
        return rows.map((row): AuditRecord => ({ ...row, details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null }));
      },
    },
    loginThrottle: {
      async blocked(keys, now) {
        if (keys.length === 0) return [];
        const rows = await db
          .select({ key: t.loginThrottle.key, blockedUntil: t.loginThrottle.blockedUntil })
          .from(t.loginThrottle)
          .where(and(inArray(t.loginThrottle.key, keys), gt(t.loginThrottle.blockedUntil, now)));
        return rows as { key: string; blockedUntil: Date }[];
      },
      async recordFailure(key, now, { windowMs, maxFailures, blockMs }) {
        const c = t.loginThrottle;
        const blockUntil = new Date(now.getTime() + blockMs);
        // One statement decides, so concurrent failures on several instances all count.
        const windowOver = sql`${c.windowStartedAt} <= ${at(new Date(now.getTime() - windowMs))}`;
        const failures = sql`case when ${windowOver} then 1 else ${c.failures} + 1 end`;
        const [row] = await db
          .insert(c)
          .values({ key, windowStartedAt: now, failures: 1, blockedUntil: maxFailures <= 1 ? blockUntil : null })
          .onConflictDoUpdate({
            target: c.key,
            set: {
              failures,
              windowStartedAt: sql`case when ${windowOver} then ${at(now)} else ${c.windowStartedAt} end`,
              blockedUntil: sql`case when ${failures} >= ${maxFailures} then ${at(blockUntil)} else ${c.blockedUntil} end`,
            },
          })
          .returning({ failures: c.failures, blockedUntil: c.blockedUntil });
        return { failures: row!.failures, blockedUntil: row!.blockedUntil };
      },
      async clear(key) {
        await db.delete(t.loginThrottle).where(eq(t.loginThrottle.key, key));
      },
      async purge(windowStartedBefore, now) {
        const c = t.loginThrottle;
        const stale = and(lt(c.windowStartedAt, windowStartedBefore), or(isNull(c.blockedUntil), lte(c.blockedUntil, now)));
        return (await db.delete(c).where(stale).returning({ key: c.key })).length;
      },
    },
    apiKeys: {
      async insert(key) {
        await db.insert(t.apiKeys).values({ ...key, scopes: key.scopes.join(' ') });
      },
      async authState(keyHash) {
        const [row] = (await apiKeyAuthQuery.execute({ keyHash })) as { key: typeof t.apiKeys.$inferSelect; role: AuthState['role']; status: AuthState['status'] }[];
        return row ? { key: toApiKey(row.key), role: row.role, status: row.status } : undefined;
      },
      async listForUser(userId) {
        const rows = await db
          .select()
          .from(t.apiKeys)
          .where(and(eq(t.apiKeys.userId, userId), isNull(t.apiKeys.revokedAt)))
          .orderBy(desc(t.apiKeys.createdAt), desc(t.apiKeys.id));
        return rows.map(toApiKey);
      },
      async revoke(id, userId, at) {
        const rows = await db
          .update(t.apiKeys)
          .set({ revokedAt: at })
          .where(and(eq(t.apiKeys.id, id), eq(t.apiKeys.userId, userId), isNull(t.apiKeys.revokedAt)))
          .returning({ id: t.apiKeys.id });
        return rows.length === 1;
      },
      async revokeAllForUser(userId, at) {
        const rows = await db
          .update(t.apiKeys)
          .set({ revokedAt: at })
          .where(and(eq(t.apiKeys.userId, userId), isNull(t.apiKeys.revokedAt)))
          .returning({ id: t.apiKeys.id });
        return rows.length;
      },
      async touch(id, now, minIntervalMs) {
        await db
          .update(t.apiKeys)
          .set({ lastUsedAt: now })
          .where(and(eq(t.apiKeys.id, id), or(isNull(t.apiKeys.lastUsedAt), lt(t.apiKeys.lastUsedAt, new Date(now.getTime() - minIntervalMs)))));
      },
    },
    identities: {
      async find(provider, subject) {
        const [row] = await db
          .select()
          .from(t.identities)
          .where(and(eq(t.identities.provider, provider), eq(t.identities.subject, subject)))
          .limit(1);
        return row as IdentityRecord | undefined;
      },
      async insert(identity) {
        try {
          await db.insert(t.identities).values(identity);
        } catch (error) {
          if (isUniqueViolation(error)) throw new TradeplaneError('conflict', 'This external identity is already linked to an account');
          throw error;
        }
      },
    },
    ...createLedgerRepositories(db, t, statements),
    ...createMarketRepositories(db, t, statements),
    ...createTradingRepositories(db, t, statements),
    ...createBacktestRepositories(db, t),
    ...createCopyRepositories(db, t),
    ...createCommissionRepositories(db, t, statements),
    ...createOperationsRepositories(db, t),
    ...createFundingRepositories(db, t),
  });
}

function toApiKey(row: Tables['apiKeys']['$inferSelect']): ApiKeyRecord {
  return { ...row, scopes: row.scopes.split(' ').filter(Boolean) };
}

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

/**
 * drizzle reports a failed query as `Failed query: <sql> params: <values>`; the values can be
 * emails or password hashes, and errors end up in logs. Rethrow without them, keeping the
 * driver error (code, constraint) as the cause.
 */
function withSafeErrors(repos: Repositories): Repositories {
  return wrapMethods(repos, (operation, call) => call().catch((error: unknown) => Promise.reject(redact(error, operation))));
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

function redact(error: unknown, operation: string): unknown {
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
function uniqueViolationDetail(error: unknown): string {
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
