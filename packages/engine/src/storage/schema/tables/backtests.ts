import { integer, money, text, timestamp } from '../columns.js';
import { index, table } from '../kit.js';
import { backtestStatuses } from '../values.js';
import { users } from './auth.js';

/*
 * The backtests module's table.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** Backtest runs: the request, the state of a job, and the result (JSON). */
export const backtests = table(
  'backtests',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    status: text('status', backtestStatuses).notNull(),
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    from: timestamp('from_time').notNull(),
    to: timestamp('to_time').notNull(),
    currency: text('currency').notNull(),
    initialBalance: money('initial_balance').notNull(),
    /** JSON. */
    params: text('params').notNull(),
    candles: integer('candles').notNull(),
    /** JSON: metrics and counts. */
    summary: text('summary'),
    /** JSON: trades and equity curve. */
    detail: text('detail'),
    /** JSON: `{ code, detail }`. */
    error: text('error'),
    createdAt: timestamp('created_at').notNull(),
    startedAt: timestamp('started_at'),
    completedAt: timestamp('completed_at'),
    heartbeatAt: timestamp('heartbeat_at').notNull(),
  },
  (t) => [index('backtests_user_idx').on(t.userId, t.id), index('backtests_unfinished_idx').on(t.status, t.heartbeatAt)],
);
