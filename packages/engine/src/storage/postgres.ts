import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { Storage } from '@tradeplane/core';
import * as schema from './schema.postgres.js';
import { createRepositories, type QueryDb, type Tables } from './repositories.js';
import { migrationsFolder } from '../migrations.js';

export interface PostgresStorage extends Storage {
  readonly dialect: 'postgres';
  migrate(): Promise<void>;
}

export interface PostgresStorageOptions {
  /** Pool size (default 10). On Lambda use 1–2 per container, or RDS Proxy. */
  max?: number;
}

/** An arbitrary but fixed key for the migration advisory lock. */
const MIGRATION_LOCK_KEY = 7_305_112_001;

/**
 * PostgreSQL storage on postgres.js. Transactions are real server transactions at READ
 * COMMITTED; repositories guard races with conditional updates and unique indexes.
 */
export function openPostgresStorage(target: string | postgres.Sql, options: PostgresStorageOptions = {}): PostgresStorage {
  const owned = typeof target === 'string';
  const client = owned ? postgres(target, { max: options.max ?? 10, onnotice: () => {} }) : target;
  const db = drizzle(client, { schema });
  // See repositories.ts: one implementation, typed against the SQLite schema.
  const tables = schema as unknown as Tables;
  const repos = createRepositories(db as unknown as QueryDb, tables);

  return {
    dialect: 'postgres',
    repos,
    transaction(fn) {
      return db.transaction(async (tx) => fn(createRepositories(tx as unknown as QueryDb, tables)));
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async migrate() {
      // Many instances may start at once: each takes a session advisory lock on one reserved
      // connection, and migrates on another, so only one migrates while the others wait.
      // (A caller-supplied pool therefore needs at least two connections.)
      if (!owned && (client.options.max ?? 10) < 2) {
        throw new Error(
          'Migrating needs a postgres.js pool of at least 2 connections (one holds the migration lock). ' +
            'Pass a larger pool, or create the engine with migrate: false and run migrations from a deploy step.',
        );
      }
      const migrator = owned ? postgres(target, { max: 2, onnotice: () => {} }) : client;
      try {
        const lock = await migrator.reserve();
        try {
          await lock`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
          try {
            await migrate(drizzle(migrator), { migrationsFolder: migrationsFolder('postgres') });
          } finally {
            await lock`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
          }
        } finally {
          lock.release();
        }
      } finally {
        if (migrator !== client) await migrator.end({ timeout: 5 });
      }
    },
    async close() {
      if (owned) await client.end({ timeout: 5 });
    },
  };
}
