import { integer, text, timestamp } from '../columns.js';
import { index, table } from '../kit.js';

/*
 * The system's tables: background job leases, rate-limit counters and spent single-use tokens.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** Background jobs: a lease so one instance runs each at a time, and the last run for `/health`. */
export const jobs = table('jobs', {
  name: text('name').primaryKey(),
  holder: text('holder'),
  leaseUntil: timestamp('lease_until'),
  lastTickAt: timestamp('last_tick_at'),
  lastDurationMs: integer('last_duration_ms'),
  lastError: text('last_error'),
});

/** Rate-limit counters: one fixed window per key, shared by every instance. */
export const rateLimits = table(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    windowStart: timestamp('window_start').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [index('rate_limits_window_idx').on(t.windowStart)],
);

/** Single-use tokens already spent (stream tickets), kept until they would have expired anyway. */
export const usedTokens = table(
  'used_tokens',
  {
    id: text('id').primaryKey(),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [index('used_tokens_expires_idx').on(t.expiresAt)],
);
