import { and, eq, isNull } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { TradeplaneError, type Repositories, type UserRecord, type RefreshTokenRecord } from '@tradeplane/core';
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
  return {
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
        const [row] = await db.select().from(t.users).where(eq(t.users.id, id)).limit(1);
        return row as UserRecord | undefined;
      },
      async findByEmail(email) {
        const [row] = await db.select().from(t.users).where(eq(t.users.email, email)).limit(1);
        return row as UserRecord | undefined;
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
          .where(and(eq(t.refreshTokens.id, id), isNull(t.refreshTokens.rotatedAt), isNull(t.refreshTokens.revokedAt)))
          .returning({ id: t.refreshTokens.id });
        return rows.length === 1;
      },
      async revokeFamily(familyId, at) {
        const rows = await db
          .update(t.refreshTokens)
          .set({ revokedAt: at })
          .where(and(eq(t.refreshTokens.familyId, familyId), isNull(t.refreshTokens.revokedAt)))
          .returning({ id: t.refreshTokens.id });
        return rows.length;
      },
    },
    revokedTokens: {
      async add(token) {
        await db.insert(t.revokedAccessTokens).values(token).onConflictDoNothing();
      },
      async isRevoked(jti) {
        const rows = await db
          .select({ jti: t.revokedAccessTokens.jti })
          .from(t.revokedAccessTokens)
          .where(eq(t.revokedAccessTokens.jti, jti))
          .limit(1);
        return rows.length > 0;
      },
    },
  };
}

/** SQLite: SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY; PostgreSQL: SQLSTATE 23505. drizzle may wrap the driver error. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  }
  return false;
}
