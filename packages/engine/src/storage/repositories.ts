import { and, desc, eq, gt, inArray, isNull, lt, lte, ne, notExists, or, sql, type SQL } from 'drizzle-orm';
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
import { isUniqueViolation, redact, uniqueViolationDetail, wrapMethods, type QueryDb, type Statements, type Tables } from './query-kit.js';
import { createLedgerRepositories } from './ledger-repositories.js';
import { createMarketRepositories } from './market-repositories.js';
import { createTradingRepositories } from './trading-repositories.js';
import { createBacktestRepositories } from './backtest-repositories.js';
import { createCopyRepositories } from './copy-repositories.js';
import { createCommissionRepositories } from './commission-repositories.js';
import { createOperationsRepositories } from './operations-repositories.js';
import { createFundingRepositories } from './funding-repositories.js';
import { createPaymentsRepositories } from './payments-repositories.js';
import { createPlansRepositories } from './plans-repositories.js';

/**
 * The repositories, written once for both databases.
 *
 * drizzle's SQLite and PostgreSQL query builders share the surface used here (select, insert,
 * update with `returning`, `onConflictDoNothing`), and the two schema files declare identical
 * table and column names with the same JS types (text, integer, Date). The code is therefore
 * typed against the SQLite schema and handed the Postgres tables at run time; the shared
 * conformance suite runs every method on both databases to keep that honest.
 */

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
    ...createPaymentsRepositories(db, t),
    ...createPlansRepositories(db, t),
  });
}

function toApiKey(row: Tables['apiKeys']['$inferSelect']): ApiKeyRecord {
  return { ...row, scopes: row.scopes.split(' ').filter(Boolean) };
}

/**
 * drizzle reports a failed query as `Failed query: <sql> params: <values>`; the values can be
 * emails or password hashes, and errors end up in logs. Rethrow without them, keeping the
 * driver error (code, constraint) as the cause.
 */
function withSafeErrors(repos: Repositories): Repositories {
  return wrapMethods(repos, (operation, call) => call().catch((error: unknown) => Promise.reject(redact(error, operation))));
}
