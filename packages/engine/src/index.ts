/**
 * @tradeplane/engine — tradeplane on a real database: SQLite (better-sqlite3, the embedded
 * default) or PostgreSQL (postgres.js), through drizzle, with shipped migrations.
 */
export { createEngine, openStorage, version } from './engine.js';
export type { Engine, MigratableStorage } from './engine.js';
export { engineOptionsSchema } from './options.js';
export type { EngineOptions, DatabaseInstance } from './options.js';
export { migrationsFolder } from './migrations.js';
