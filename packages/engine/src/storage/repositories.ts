import { and, eq, isNull, notExists, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { TradeplaneError, type AuthState, type Repositories, type UserRecord, type RefreshTokenRecord, type SessionRecord } from '@tradeplane/core';
import * as sqliteSchema from './schema.sqlite.js';

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
export type QueryDb = Pick<BetterSQLite3Database<Tables>, 'select' | 'insert' | 'update' | 'delete'>;

export function createRepositories(db: QueryDb, t: Tables): Repositories {
  // The per-request authentication lookup is prepared once: building the SQL and preparing the
  // statement cost more than running it.
  const authStateQuery = preparedOnce('tp_auth_state', () =>
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

  const userByIdQuery = preparedOnce('tp_user_by_id', () =>
    db.select().from(t.users).where(eq(t.users.id, sql.placeholder('id'))).limit(1),
  );

  return withSafeErrors({
    users: {
      async insert(user) {
        try {
          await db.insert(t.users).values(user);
        } catch (error) {
          if (isUniqueViolation(error)) throw new TradeplaneError('email_taken', 'An account with this email already exists');
          throw error;
        }
      },
      async findById(id) {
        const [row] = await userByIdQuery().execute({ id });
        return row as UserRecord | undefined;
      },
      async findByEmail(email) {
        const [row] = await db.select().from(t.users).where(eq(t.users.email, email)).limit(1);
        return row as UserRecord | undefined;
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
      async authState({ sessionId, userId, tokenId }) {
        const rows = await authStateQuery().execute({ sessionId, userId, tokenId });
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
    },
    revokedTokens: {
      async add(token) {
        await db.insert(t.revokedAccessTokens).values(token).onConflictDoNothing();
      },
    },
  });
}

interface PreparedSelect {
  execute(values: Record<string, unknown>): PromiseLike<unknown[]>;
}

/**
 * Prepares a query on first use and reuses it. drizzle's SQLite builders take no name and
 * PostgreSQL's require one; passing it to both keeps this one implementation.
 */
function preparedOnce(name: string, build: () => { prepare(): unknown }): () => PreparedSelect {
  let prepared: PreparedSelect | undefined;
  return () => (prepared ??= (build() as unknown as { prepare(name: string): PreparedSelect }).prepare(name));
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

function redact(error: unknown, operation: string): unknown {
  if (error instanceof Error && 'params' in error && 'query' in error) {
    return new Error(`Storage operation ${operation} failed: ${error.cause instanceof Error ? error.cause.message : 'query error'}`, {
      cause: error.cause,
    });
  }
  return error;
}

/** SQLite: SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY; PostgreSQL: SQLSTATE 23505. drizzle may wrap the driver error. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  }
  return false;
}
