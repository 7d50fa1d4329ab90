import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { authOptionsSchema, copyOptionsSchema, defaultFailedAuthLimit, defaultRateLimits, moduleNames, plansOptionsSchema, type FundingProvider, type PayoutProvider, type RateLimitStore, tradingOptionsSchema, walletOptionsSchema, type Clock, type Ids, type Logger } from '@tradeplane/core';
import type Database from 'better-sqlite3';
import type postgres from 'postgres';

/**
 * A ready database handle instead of a URL: a better-sqlite3 `Database` or a postgres.js `Sql`.
 * A better-sqlite3 handle is switched to `defaultSafeIntegers(true)` (integers come back as
 * bigint, so amounts stay exact); statements you prepare on it afterwards see bigints too.
 */
export type DatabaseInstance = { sqlite: Database.Database } | { postgres: postgres.Sql };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * `createEngine` options, validated with zod. Environment variables are never read here:
 * the examples map them to these options.
 */
const rateRule = (fallback: { limit: number; windowSeconds: number }) =>
  z.strictObject({ limit: z.number().int().min(1), windowSeconds: z.number().int().min(1).max(86_400) }).default(fallback);

export const engineOptionsSchema = z.strictObject({
  /**
   * `':memory:'`, a SQLite file (`./data/tradeplane.db`, `file:./data.db`), a
   * `postgres://` / `postgresql://` URL, or `{ sqlite }` / `{ postgres }` with a ready handle.
   */
  database: z.union([
    z.string().min(1),
    z.custom<DatabaseInstance>((v) => isObject(v) && ('sqlite' in v || 'postgres' in v), 'expected { sqlite } or { postgres }'),
  ]),
  /** `production` requires an explicit `auth.jwtSecret`. */
  mode: z.enum(['development', 'test', 'production']).default('development'),
  /** Apply pending migrations when the engine starts (default true). */
  migrate: z.boolean().default(true),
  auth: authOptionsSchema.prefault({}),
  /** Currencies, demo money, transfers between users, idempotency retention: see `walletOptionsSchema`. */
  wallets: walletOptionsSchema.prefault({}),
  http: z
    .strictObject({
      /** Largest accepted request body in bytes. */
      bodyLimit: z.number().int().positive().default(1024 * 1024),
      /** Check success bodies against the contract (defaults to on outside production). */
      validateResponses: z.boolean().optional(),
      /**
       * Browser origins allowed to call the API (what a `CORS_ORIGINS` setting lists): exact origins, or
       * `['*']` for any without credentials. Empty (default): no CORS headers.
       */
      cors: z
        .strictObject({
          origins: z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'an origin such as https://app.example.com, or *')).default([]),
          credentials: z.boolean().default(true),
          maxAge: z.number().int().min(0).max(86_400).default(600),
        })
        .prefault({}),
      /** A request unanswered after this long gets 503 (0: never). */
      requestTimeoutMs: z.number().int().min(0).default(30_000),
      /** Send `Strict-Transport-Security` (default on in production). */
      hsts: z.boolean().optional(),
    })
    .prefault({}),
  postgres: z
    .strictObject({
      max: z.number().int().min(1).max(100).default(10),
      /**
       * Named prepared statements (default true): the ledger's hot statements are parsed once per
       * connection, saving a round trip per statement. Set false behind a pooler in transaction
       * mode that does not track prepared statements (PgBouncer before 1.21, or without
       * `max_prepared_statements`). Ignored for a `{ postgres }` handle: it keeps its own `prepare`.
       */
      prepare: z.boolean().default(true),
    })
    .prefault({}),
  /** `synchronous`: `full` (default) survives power loss; `normal` only process crashes (see `openSqliteStorage`). */
  sqlite: z.strictObject({ synchronous: z.enum(['normal', 'full']).default('full') }).prefault({}),
  /** The broker, the paper broker's costs, default risk limits, extra strategies: see `tradingOptionsSchema`. */
  trading: tradingOptionsSchema.prefault({}),
  /**
   * The modules to serve (what an `ENABLED_MODULES` setting lists; default all): `auth`, `notifications`,
   * `wallets`, `affiliates`, `payments`, `plans`, `market`, `trading`, `copy`. Their routes are mounted and their jobs run; every table
   * exists regardless. A module needs the ones it builds on (`trading`: auth, wallets, market).
   */
  modules: z.array(z.enum(moduleNames)).min(1).optional(),
  /** Commission (settlement period, platform share) and affiliates' share: see `copyOptionsSchema`. */
  copy: copyOptionsSchema.prefault({}),
  /**
   * Payment providers real money enters through (`standardWebhooksProvider(…)`, a Stripe provider),
   * and payout providers approved withdrawals are paid through (`manual`, an operator, is built
   * in): see docs/payments.md.
   */
  payments: z
    .strictObject({
      providers: z.array(z.custom<FundingProvider>((v) => isObject(v) && typeof v.name === 'string' && typeof v.verifyEvent === 'function', 'expected a FundingProvider')).default([]),
      payouts: z.array(z.custom<PayoutProvider>((v) => isObject(v) && typeof v.name === 'string' && typeof v.pay === 'function', 'expected a PayoutProvider')).default([]),
    })
    .prefault({}),
  /**
   * Plans and their entitlements (`maxBots`, `backtestsPerDay`, `maxApiKeys`, `rateLimitTier`,
   * `maxCopySubscriptions`, `realMoneyTrading`), the plan everyone starts on (`default`) and the
   * billing providers paid plans are bought through (`stripeBilling(…)`): see docs/plans.md.
   * Omitted: nothing is limited.
   */
  plans: plansOptionsSchema.optional(),
  /**
   * Background jobs: expiring subscriptions and holds, settling each commission period after it
   * ends, purging expired tokens and idempotency keys. `enabled` (default true) runs them in this
   * process, checked every `intervalMs`; with several instances each job still runs on one at a
   * time. Turn it off where a scheduler calls `engine.jobs.tick()` instead (Lambda).
   */
  /** The default logger (pino, JSON lines on stdout) when `logger` is not given; `requests`: one line per request. */
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      requests: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * `GET /metrics` (Prometheus). `token`: callers must send it as a bearer token; `allow`: only
   * these client addresses. Both unset: refused to everyone (403) in production, unless `open`
   * is true (behind a private network or a proxy's ACL); open in development and test.
   */
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      token: z.string().min(16).optional(),
      allow: z.array(z.string().min(1)).optional(),
      open: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * Request budgets per route group (`defaultRateLimits` by default), per user, API key or
   * license, else per client address (Express's `req.ip`: set `trust proxy` behind a proxy).
   * Counted in the database so they hold across instances, or in your `store`.
   */
  rateLimits: z
    .strictObject({
      enabled: z.boolean().default(true),
      auth: rateRule(defaultRateLimits.auth),
      trading: rateRule(defaultRateLimits.trading),
      market: rateRule(defaultRateLimits.market),
      default: rateRule(defaultRateLimits.default),
      /** Failed authentications (bad token, API key, license or refresh token) per address; 429 past it. */
      failedAuth: rateRule(defaultFailedAuthLimit),
      store: z.custom<RateLimitStore>((v) => isObject(v) && typeof v.hit === 'function', 'expected a RateLimitStore').optional(),
    })
    .prefault({}),
  jobs: z.strictObject({ enabled: z.boolean().default(true), intervalMs: z.number().int().min(100).max(3_600_000).default(15_000) }).prefault({}),
  clock: z.custom<Clock>((v) => isObject(v) && typeof v.now === 'function').optional(),
  ids: z.custom<Ids>((v) => isObject(v) && typeof v.next === 'function').optional(),
  logger: z.custom<Logger>((v) => isObject(v) && typeof v.warn === 'function' && typeof v.error === 'function').optional(),
});

export type EngineOptions = z.input<typeof engineOptionsSchema>;
export type ResolvedEngineOptions = z.output<typeof engineOptionsSchema>;

export type DatabaseTarget =
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'sqlite'; instance: Database.Database }
  | { dialect: 'postgres'; url: string }
  | { dialect: 'postgres'; instance: postgres.Sql };

/** Reads the `database` option. */
export function parseDatabase(database: ResolvedEngineOptions['database']): DatabaseTarget {
  if (typeof database !== 'string') {
    return 'sqlite' in database ? { dialect: 'sqlite', instance: database.sqlite } : { dialect: 'postgres', instance: database.postgres };
  }
  if (/^postgres(ql)?:\/\//i.test(database)) return { dialect: 'postgres', url: database };
  if (database === ':memory:' || database === 'file::memory:') return { dialect: 'sqlite', path: ':memory:' };
  if (database.startsWith('file://')) return { dialect: 'sqlite', path: fileURLToPath(database) };
  if (database.startsWith('file:')) return { dialect: 'sqlite', path: database.slice('file:'.length) };
  if (database.startsWith('sqlite:')) return { dialect: 'sqlite', path: database.slice('sqlite:'.length).replace(/^\/\//, '') };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(database)) {
    throw new Error(`Unsupported database URL scheme in '${database.split(':')[0]}:'; use a SQLite path or postgres://`);
  }
  return { dialect: 'sqlite', path: database };
}
