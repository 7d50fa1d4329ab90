import { real, text, timestamp } from '../columns.js';
import { primaryKey, table } from '../kit.js';

/*
 * The market module's table.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/**
 * Market data: OHLCV bars per symbol and interval, keyed by open time so re-ingesting a bar
 * replaces it instead of duplicating it. Prices are `real` (REAL, double precision): they are
 * measurements that feed floating-point indicators, not money.
 */
export const candles = table(
  'candles',
  {
    symbol: text('symbol').notNull(),
    interval: text('interval').notNull(),
    openTime: timestamp('open_time').notNull(),
    open: real('open').notNull(),
    high: real('high').notNull(),
    low: real('low').notNull(),
    close: real('close').notNull(),
    volume: real('volume').notNull(),
  },
  (t) => [primaryKey(t.symbol, t.interval, t.openTime)],
);
