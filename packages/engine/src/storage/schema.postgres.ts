import { buildPostgresSchema } from './schema/build.js';

/**
 * The PostgreSQL tables, built from the definitions in `schema/tables/` (each table is
 * declared there once, for both databases, in its module's file). drizzle-kit reads this file's exports to generate the
 * migrations (drizzle.postgres.config.ts): every table must be exported here by name, which the
 * storage's type-check enforces (its tables must have every definition's key).
 */
export const {
  users, sessions, refreshTokens, revokedAccessTokens, auditLogs, loginThrottle, apiKeys, identities, accounts, journalEntries, postings, holds, idempotencyKeys, candles, orders, trades, riskProfiles, riskStreaks, riskLocks, protectionEvents, strategies, signals, backtests, masters, subscriptions, commissionCharges, affiliateCodes, referrals, notifications, jobs, rateLimits, withdrawals, withdrawalApprovals, operatorCredits, usedTokens, deposits, providerEvents, disputes, receivables, planSubscriptions,
} = buildPostgresSchema();
