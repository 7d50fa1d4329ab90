import { buildSqliteSchema } from './schema/build.js';

/**
 * The SQLite tables, built from the definitions in `schema/tables/` (each table is
 * declared there once, for both databases, in its module's file). drizzle-kit reads this file's exports to generate the
 * migrations (drizzle.sqlite.config.ts): every table must be exported here by name, which the
 * storage's type-check enforces (its tables must have every definition's key). How each kind of
 * column is stored on SQLite (integers read as bigint, then as numbers, Dates or booleans):
 * `schema/columns.ts`.
 */
export const {
  users, sessions, refreshTokens, revokedAccessTokens, auditLogs, loginThrottle, apiKeys, identities, accounts, journalEntries, postings, holds, idempotencyKeys, candles, orders, trades, riskProfiles, riskStreaks, riskLocks, protectionEvents, strategies, signals, backtests, masters, subscriptions, commissionCharges, affiliateCodes, referrals, notifications, jobs, rateLimits, withdrawals, withdrawalApprovals, operatorCredits, usedTokens, deposits, providerEvents, disputes, receivables, planSubscriptions,
} = buildSqliteSchema();
