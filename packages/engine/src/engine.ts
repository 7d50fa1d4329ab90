import { createRequire } from 'node:module';
import {
  memoryRateLimitStore,
  createTradeplane,
  systemClock,
  uuidV7Ids,
  type Storage,
  type Tradeplane,
} from '@tradeplane/core';
import { engineOptionsSchema, parseDatabase, type DatabaseTarget, type EngineOptions } from './options.js';
import { developmentSecret } from './secret.js';
import { estimateSecretBits, MIN_SECRET_BITS } from './secret-strength.js';
import { createDefaultLogger, createMetrics, migrationStatus } from './operations.js';
import { openSqliteStorage } from './storage/sqlite.js';
import { openPostgresStorage, type PostgresStorage } from './storage/postgres.js';

/** A running tradeplane: the services, the HTTP entry point and the database behind them. */
export interface Engine extends Tradeplane {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending migrations (done at start unless `migrate: false`). Safe to call again. */
  migrate(): Promise<void>;
  /** Closes the database connection(s) this engine opened. */
  close(): Promise<void>;
}

export type MigratableStorage = Storage & { migrate(): Promise<void>; appliedMigrations(): Promise<number[]> };

/** Replaced with the package version at build time, so bundles need no package.json beside them. */
declare const __TRADEPLANE_VERSION__: string | undefined;

export const version: string =
  typeof __TRADEPLANE_VERSION__ === 'string'
    ? __TRADEPLANE_VERSION__
    : (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * Opens the storage behind an engine without the services: for running migrations from a
 * deploy step, or for tooling. Takes the same `database` value as `createEngine`.
 */
export function openStorage(
  database: EngineOptions['database'],
  options: { postgresPoolSize?: number; postgresPrepare?: boolean; sqliteSynchronous?: 'normal' | 'full' } = {},
): MigratableStorage {
  return openTarget(parseDatabase(database), options);
}

function openTarget(target: DatabaseTarget, options: { postgresPoolSize?: number; postgresPrepare?: boolean; sqliteSynchronous?: 'normal' | 'full' }): MigratableStorage {
  if (target.dialect === 'sqlite') return openSqliteStorage('path' in target ? target.path : target.instance, { synchronous: options.sqliteSynchronous });
  return openPostgresStorage('url' in target ? target.url : target.instance, { max: options.postgresPoolSize, prepare: options.postgresPrepare });
}

/**
 * Creates a tradeplane engine on SQLite or PostgreSQL.
 *
 * @example
 * const tp = await createEngine({ database: 'file:./data/tradeplane.db' });
 * const user = await tp.auth.register({ email: 'alice@example.com', password: 'correct horse battery' });
 * await tp.close();
 */
export async function createEngine(input: EngineOptions): Promise<Engine> {
  const parsed = engineOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TypeError(`Invalid tradeplane engine options: ${details}`);
  }
  const options = parsed.data;
  const logger = options.logger ?? createDefaultLogger(options.log.level);
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? uuidV7Ids(clock);
  const target = parseDatabase(options.database);

  if (options.mode === 'production' && !options.auth.jwtSecret) {
    throw new TypeError('Invalid tradeplane engine options: auth.jwtSecret is required in production mode');
  }
  if (options.auth.jwtSecret !== undefined) {
    // Long is not enough: `aaaa…` or `secret-secret-…` can be guessed, and with it every token
    // forged offline from one signed token. Refused in production; a warning elsewhere, where
    // fixed test secrets are fine.
    const bits = Math.round(estimateSecretBits(options.auth.jwtSecret));
    if (bits < MIN_SECRET_BITS) {
      const problem = `auth.jwtSecret is easy to guess (about ${bits} bits estimated; at least ${MIN_SECRET_BITS} needed): use 32 random bytes, e.g. \`openssl rand -base64 32\``;
      if (options.mode === 'production') throw new TypeError(`Invalid tradeplane engine options: ${problem}`);
      logger.warn({ event: 'config.weak_secret', bits }, `${problem}. Production mode refuses it.`);
    }
  }
  const jwtSecret = options.auth.jwtSecret ?? developmentSecret(target, logger);

  const storage = openTarget(target, { postgresPoolSize: options.postgres.max, postgresPrepare: options.postgres.prepare, sqliteSynchronous: options.sqlite.synchronous });
  try {
    if (options.migrate) await storage.migrate();
  } catch (error) {
    await storage.close();
    throw error;
  }

  const metrics = options.metrics.enabled ? createMetrics() : undefined;
  if (metrics && options.mode === 'production' && !options.metrics.open && !options.metrics.token && !options.metrics.allow) {
    logger.warn({ event: 'config.metrics_closed' }, '/metrics refuses every caller: set metrics.token or metrics.allow (or metrics.open behind a private network)');
  }
  const core = build(() => createTradeplane({
    storage,
    clock,
    ids,
    logger,
    version,
    auth: { ...options.auth, jwtSecret },
    wallets: options.wallets,
    trading: options.trading,
    copy: options.copy,
    payments: options.payments,
    plans: options.plans,
    modules: options.modules,
    // Backtests replay on a private in-memory SQLite database, whatever the engine runs on.
    scratchStorage: async () => {
      const scratch = openSqliteStorage(':memory:');
      await scratch.migrate();
      return scratch;
    },
    http: {
      bodyLimit: options.http.bodyLimit,
      validateResponses: options.http.validateResponses ?? options.mode !== 'production',
      cors: options.http.cors.origins.length > 0 ? options.http.cors : undefined,
      requestTimeoutMs: options.http.requestTimeoutMs,
      hsts: options.http.hsts ?? options.mode === 'production',
    },
    operations: {
      observer: metrics?.observer,
      metrics: metrics && {
        collect: () => metrics.registry.metrics(),
        token: options.metrics.token,
        allow: options.metrics.allow,
        requireGuard: options.mode === 'production' && !options.metrics.open,
      },
      migrations: () => migrationStatus(storage.dialect, () => storage.appliedMigrations()),
      logRequests: options.log.requests,
      // Real-time events reach every instance on PostgreSQL; SQLite is one process.
      events: 'eventTransport' in storage ? (storage as PostgresStorage).eventTransport() : undefined,
      rateLimits: options.rateLimits.enabled
        ? {
            rules: { auth: options.rateLimits.auth, trading: options.rateLimits.trading, market: options.rateLimits.market, default: options.rateLimits.default },
            failedAuth: options.rateLimits.failedAuth,
            // SQLite is one process: its counters live in memory. PostgreSQL instances share theirs in the database.
            store: options.rateLimits.store ?? (storage.dialect === 'sqlite' ? memoryRateLimitStore() : undefined),
          }
        : undefined,
    },
  }));

  function build<T>(make: () => T): T {
    try {
      return make();
    } catch (error) {
      // Bad modules or options found while wiring: release the database before reporting it.
      void storage.close();
      throw error;
    }
  }

  // Background jobs: expiry, commission settlement, purges (one instance at a time runs each).
  if (options.jobs.enabled) core.jobs.start(options.jobs.intervalMs);
  try {
    await core.stream.start();
  } catch (error) {
    await core.jobs.stop();
    await storage.close();
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    ...core,
    dialect: storage.dialect,
    migrate: () => storage.migrate(),
    close: () =>
      (closed ??= (async () => {
        await core.jobs.stop();
        await core.stream.stop();
        await core.backtests.stop();
        await storage.close();
      })()),
  };
}
