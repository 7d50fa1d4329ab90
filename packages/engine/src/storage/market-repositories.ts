import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { CandleRecord, Repositories } from '@tradeplane/core';
import type { QueryDb, Tables } from './repositories.js';

/** Rows per INSERT: 8 bound values each stays far below SQLite's 32,766-variable limit. */
const UPSERT_CHUNK = 1000;

/** Market-data repositories, written once for both databases (see `repositories.ts`). */
export function createMarketRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'candles'> {
  const c = t.candles;
  return {
    candles: {
      async upsert(candles) {
        for (let i = 0; i < candles.length; i += UPSERT_CHUNK) {
          await db
            .insert(c)
            .values(candles.slice(i, i + UPSERT_CHUNK))
            .onConflictDoUpdate({
              target: [c.symbol, c.interval, c.openTime],
              set: {
                open: sql`excluded.open`,
                high: sql`excluded.high`,
                low: sql`excluded.low`,
                close: sql`excluded.close`,
                volume: sql`excluded.volume`,
              },
            });
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
