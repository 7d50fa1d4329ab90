import { and, desc, eq, getTableColumns, inArray, lt } from 'drizzle-orm';
import type { BacktestRecord, Repositories } from '@tradeplane/core';
import type { QueryDb, Tables } from './query-kit.js';
import { toBigInt } from './ledger-repositories.js';

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

/** Backtest runs, written once for both databases (see `repositories.ts`). */
export function createBacktestRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'backtests'> {
  const b = t.backtests;
  type Row = Partial<Tables['backtests']['$inferSelect']> & Omit<Tables['backtests']['$inferSelect'], 'detail'>;
  const toRecord = (row: Row): BacktestRecord => ({
    id: row.id,
    userId: row.userId,
    status: row.status,
    symbol: row.symbol,
    interval: row.interval,
    from: row.from,
    to: row.to,
    currency: row.currency,
    initialBalance: toBigInt(row.initialBalance),
    params: JSON.parse(row.params) as Record<string, unknown>,
    candles: Number(row.candles),
    summary: parse(row.summary),
    ...(row.detail !== undefined ? { detail: parse<Record<string, unknown>>(row.detail) } : {}),
    error: parse(row.error),
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    completedAt: row.completedAt,
    heartbeatAt: row.heartbeatAt,
  });
  // Every column but the large `detail`.
  const { detail: _detail, ...listColumns } = getTableColumns(b);

  return {
    backtests: {
      async insert(r) {
        await db.insert(b).values({ ...r, params: JSON.stringify(r.params), summary: json(r.summary), detail: json(r.detail), error: json(r.error) });
      },
      async findById(id) {
        const [row] = await db.select().from(b).where(eq(b.id, id)).limit(1);
        return row ? toRecord(row) : undefined;
      },
      async list(filter) {
        const where = [eq(b.userId, filter.userId)];
        if (filter.cursor) where.push(lt(b.id, filter.cursor));
        const rows = await db
          .select(listColumns)
          .from(b)
          .where(and(...where))
          .orderBy(desc(b.id))
          .limit(filter.limit);
        return rows.map(toRecord);
      },
      async update(id, patch) {
        const set: Record<string, unknown> = { ...patch };
        if ('summary' in patch) set.summary = json(patch.summary);
        if ('detail' in patch) set.detail = json(patch.detail);
        if ('error' in patch) set.error = json(patch.error);
        await db.update(b).set(set).where(eq(b.id, id));
      },
      async failStale(before, error, at) {
        const rows = await db
          .update(b)
          .set({ status: 'failed', error: JSON.stringify(error), completedAt: at })
          .where(and(inArray(b.status, ['queued', 'running']), lt(b.heartbeatAt, before)))
          .returning({ id: b.id });
        return rows.length;
      },
    },
  };
}
