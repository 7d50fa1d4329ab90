/*
 * Every table of the engine, declared once for both databases: `schema.sqlite.ts` and
 * `schema.postgres.ts` build these definitions with drizzle (and drizzle-kit generates each
 * dialect's migrations from them). Table and column names are therefore identical on both, and
 * the repositories are written once against both (see `repositories.ts`).
 *
 * Each module's tables are declared in its own file under `tables/`; this file gathers them. The
 * dialect builders take this file's whole namespace, so it (and every file it re-exports) exports
 * table definitions only. A namespace lists its exports by name, so the files' order here changes
 * nothing in the built schema or the generated migrations.
 */

export * from './tables/auth.js';
export * from './tables/audit.js';
export * from './tables/wallets.js';
export * from './tables/idempotency.js';
export * from './tables/market.js';
export * from './tables/trading.js';
export * from './tables/risk.js';
export * from './tables/backtests.js';
export * from './tables/copy.js';
export * from './tables/affiliates.js';
export * from './tables/notifications.js';
export * from './tables/system.js';
export * from './tables/payments.js';
export * from './tables/plans.js';
