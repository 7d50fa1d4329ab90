import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { EventTransport, Storage } from '@tradeplane/core';
import * as schema from './schema.postgres.js';
import { createRepositories } from './repositories.js';
import { asUnavailable, statementCache, type PreparedQuery, type QueryDb } from './query-kit.js';
import { asQueryTables } from './schema/build.js';
import { migrationsFolder } from '../migrations.js';
import { movementBatcher } from './postgres-movement.js';

export interface PostgresStorage extends Storage {
  readonly dialect: 'postgres';
  migrate(): Promise<void>;
  /** The `when` of each applied migration (empty before the first migration). */
  appliedMigrations(): Promise<number[]>;
  /** Real-time events between instances over `LISTEN/NOTIFY` on the `tradeplane_events` channel. */
  eventTransport(): EventTransport;
}

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const NOTIFY_LIMIT = 7900;

export interface PostgresStorageOptions {
  /** Pool size (default 10). On Lambda use 1–2 per container, or RDS Proxy. */
  max?: number;
  /**
   * Named prepared statements (default true): the hot statements are parsed and planned once per
   * connection instead of paying a describe round trip on every call. Turn off behind a pooler
   * in transaction mode that does not track them (PgBouncer before 1.21, or without
   * `max_prepared_statements`). Applies to a pool the storage opens; a caller-supplied pool keeps
   * its own `prepare` setting.
   */
  prepare?: boolean;
}

/** An arbitrary but fixed key for the migration advisory lock. */
const MIGRATION_LOCK_KEY = 7_305_112_001;

/**
 * PostgreSQL storage on postgres.js. Transactions are real server transactions at READ
 * COMMITTED; repositories guard races with conditional updates and unique indexes.
 */
export function openPostgresStorage(target: string | postgres.Sql, options: PostgresStorageOptions = {}): PostgresStorage {
  const owned = typeof target === 'string';
  // connect_timeout: with the server gone, requests fail within seconds instead of waiting 30.
  const client = owned ? postgres(target, { max: options.max ?? 10, prepare: options.prepare ?? true, connect_timeout: 5, onnotice: () => {} }) : target;
  const db = drizzle(client, { schema });
  // See repositories.ts: one implementation, typed against the SQLite tables (see schema/build.ts).
  const tables = asQueryTables(schema);
  // Statements are built once on the pool; a transaction runs them on its own connection.
  const statements = statementCache(db as unknown as QueryDb, 'postgres');
  const repos = createRepositories(db as unknown as QueryDb, tables, statements.on());
  // A quarter of the pool for movements' statements (at least one): the rest serves everything else.
  const postMovement = movementBatcher(client, { inFlight: Math.max(1, Math.floor((client.options.max ?? 10) / 4)), maxBatch: 8 });

  return {
    dialect: 'postgres',
    repos,
    transaction(fn) {
      return db
        .transaction(async (tx) => {
          const connection = transactionConnection(tx);
          return fn(createRepositories(tx as unknown as QueryDb, tables, statements.on((query) => onConnection(query, client, connection))));
        })
        .catch((error: unknown) => Promise.reject(asUnavailable(error)));
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    postMovement(movement) {
      return postMovement(movement).catch((error: unknown) => Promise.reject(asUnavailable(error)));
    },
    eventTransport() {
      return {
        maxPayloadBytes: NOTIFY_LIMIT,
        async publish(payload) {
          if (Buffer.byteLength(payload) > NOTIFY_LIMIT) throw new Error(`An event payload of ${Buffer.byteLength(payload)} bytes is too large for NOTIFY`);
          await client.notify('tradeplane_events', payload);
        },
        async listen(onPayload) {
          // postgres.js keeps one dedicated connection for listening and re-listens after it reconnects.
          const request = await client.listen('tradeplane_events', onPayload);
          return { close: () => request.unlisten() };
        },
      };
    },
    async appliedMigrations() {
      const [exists] = await client<{ t: string | null }[]>`select to_regclass('drizzle.__drizzle_migrations')::text as t`;
      if (!exists?.t) return [];
      return (await client<{ created_at: string }[]>`select created_at::text as created_at from drizzle.__drizzle_migrations`).map((r) => Number(r.created_at));
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

/** The postgres.js handle of a drizzle transaction: its reserved connection. */
function transactionConnection(tx: unknown): postgres.Sql {
  const connection = (tx as { session?: { client?: unknown } }).session?.client;
  if (typeof connection !== 'function') throw new Error('Unexpected drizzle transaction shape: no postgres.js connection on tx.session.client');
  return connection as postgres.Sql;
}

/**
 * A statement prepared on the pool, run on a transaction's connection. drizzle's postgres.js
 * prepared query sends everything through its `client` field, so a child object overriding just
 * that field shares the built SQL and result mapping. Checked, so that a drizzle upgrade that
 * moves the field fails loudly instead of running statements outside their transaction.
 */
function onConnection(query: PreparedQuery, pool: postgres.Sql, connection: postgres.Sql): PreparedQuery {
  if ((query as { client?: unknown }).client !== pool) throw new Error('Unexpected drizzle prepared query shape: it does not run on its client field');
  return Object.create(query, { client: { value: connection } }) as PreparedQuery;
}
