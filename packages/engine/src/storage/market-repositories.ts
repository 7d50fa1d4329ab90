import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { CandleRecord, Repositories } from '@tradeplane/core';
import { placeholders, type QueryDb, type Statements, type Tables } from './query-kit.js';

/** Rows per INSERT: 8 bound values each stays far below SQLite's 32,766-variable limit. */
const UPSERT_CHUNK = 1000;

/** Market-data repositories, written once for both databases (see `repositories.ts`). */
export function createMarketRepositories(db: QueryDb, t: Tables, statements: Statements): Pick<Repositories, 'candles'> {
  const c = t.candles;
  const excluded = {
    open: sql`excluded.open`,
    high: sql`excluded.high`,
    low: sql`excluded.low`,
    close: sql`excluded.close`,
    volume: sql`excluded.volume`,
  };
  // A live feed (and a backtest) stores one bar at a time: that statement is prepared once.
  const upsertOneQuery = statements.prepared('tp_candle_upsert_one', (db) =>
    db
      .insert(c)
      .values(placeholders('symbol', 'interval', 'openTime', 'open', 'high', 'low', 'close', 'volume'))
      .onConflictDoUpdate({ target: [c.symbol, c.interval, c.openTime], set: excluded }),
  );
  return {
    candles: {
      async upsert(candles) {
        if (candles.length === 1) {
          await upsertOneQuery.execute({ ...candles[0]! });
          return;
        }
        for (let i = 0; i < candles.length; i += UPSERT_CHUNK) {
          await db
            .insert(c)
            .values(candles.slice(i, i + UPSERT_CHUNK))
            .onConflictDoUpdate({ target: [c.symbol, c.interval, c.openTime], set: excluded });
        }
      },
      async list(symbol, interval, range) {
        const where = [eq(c.symbol, symbol), eq(c.interval, interval)];
        if (range.from) where.push(gte(c.openTime, range.from));
        if (range.to) where.push(lt(c.openTime, range.to));
        const rows = await db
          .select()
          .from(c)
          .where(and(...where))
          .orderBy(range.order === 'desc' ? desc(c.openTime) : asc(c.openTime))
          .limit(range.limit);
        return rows as CandleRecord[];
      },
      async intervals(symbol) {
        const rows = await db.selectDistinct({ interval: c.interval }).from(c).where(eq(c.symbol, symbol));
        return rows.map((r) => r.interval);
      },
    },
  };
}
