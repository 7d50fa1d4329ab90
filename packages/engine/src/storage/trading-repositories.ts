import { and, asc, desc, eq, getTableColumns, gt, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { OrderRecord, ProtectionEventFilter, ProtectionEventRecord, Repositories, RiskLockRecord, RiskProfileRecord, SignalRecord, StrategyRecord, TradeRecord } from '@tradeplane/core';
import type { QueryDb, Statements, Tables } from './query-kit.js';
import { toBigInt } from './ledger-repositories.js';


/** Trading and risk repositories, written once for both databases (see `repositories.ts`). */
export function createTradingRepositories(db: QueryDb, t: Tables, statements: Statements): Pick<Repositories, 'orders' | 'trades' | 'risk' | 'strategies' | 'signals'> {
  const o = t.orders;
  const tr = t.trades;
  const lock = t.riskLocks;
  const ev = t.protectionEvents;

  /** The conditions of an event filter, shared by the list and the summary. */
  function eventConditions(filter: Omit<ProtectionEventFilter, 'cursor' | 'limit'>): (SQL | undefined)[] {
    const where: (SQL | undefined)[] = [];
    if (filter.userId) where.push(eq(ev.userId, filter.userId));
    if (filter.source) where.push(eq(ev.source, filter.source));
    if (filter.subscriptionId) where.push(eq(ev.subscriptionId, filter.subscriptionId));
    if (filter.externalId) where.push(eq(ev.externalId, filter.externalId));
    if (filter.reason) where.push(eq(ev.reason, filter.reason));
    if (filter.from) where.push(gte(ev.occurredAt, filter.from));
    if (filter.to) where.push(lt(ev.occurredAt, filter.to));
    return where;
  }

  const toEvent = (row: Tables['protectionEvents']['$inferSelect']): ProtectionEventRecord => ({
    ...row,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  });

  const st = t.strategies;
  const sg = t.signals;
  const toStrategy = (row: Tables['strategies']['$inferSelect']): StrategyRecord => ({ ...row, config: JSON.parse(row.config) as StrategyRecord['config'] }) as StrategyRecord;

  // Statements every stored bar runs, prepared once.
  const openBySymbolQuery = statements.prepared('tp_trades_open_by_symbol', (db) =>
    db
      .select()
      .from(tr)
      .where(and(eq(tr.status, 'open'), eq(tr.symbol, sql.placeholder('symbol'))))
      .orderBy(asc(tr.id)),
  );
  const activeStrategiesQuery = statements.prepared('tp_strategies_active', (db) =>
    db
      .select()
      .from(st)
      .where(and(eq(st.status, 'active'), eq(st.symbol, sql.placeholder('symbol')), eq(st.interval, sql.placeholder('interval'))))
      .orderBy(asc(st.id)),
  );
  const insertSignalQuery = statements.prepared('tp_signal_insert', (db) =>
    db.insert(sg).values(Object.fromEntries(Object.keys(getTableColumns(sg)).map((k) => [k, sql.placeholder(k)])) as unknown as Tables['signals']['$inferInsert']),
  );

  return {
    strategies: {
      async insert(strategy) {
        await db.insert(st).values({ ...strategy, config: JSON.stringify(strategy.config) });
      },
      async findById(id) {
        const [row] = await db.select().from(st).where(eq(st.id, id)).limit(1);
        return row ? toStrategy(row) : undefined;
      },
      async listForUser(userId) {
        return (await db.select().from(st).where(eq(st.userId, userId)).orderBy(asc(st.id))).map(toStrategy);
      },
      async listActive(symbol, interval) {
        return ((await activeStrategiesQuery.execute({ symbol, interval })) as Tables['strategies']['$inferSelect'][]).map(toStrategy);
      },
      async setStatus(id, status, at) {
        const [row] = await db.update(st).set({ status, updatedAt: at }).where(eq(st.id, id)).returning();
        return row ? toStrategy(row) : undefined;
      },
    },

    signals: {
      async insert(signal) {
        await insertSignalQuery.execute({ ...signal, votes: JSON.stringify(signal.votes) });
      },
      async list(filter) {
        const where: SQL[] = [eq(sg.userId, filter.userId)];
        if (filter.strategyId) where.push(eq(sg.strategyId, filter.strategyId));
        if (filter.cursor) where.push(lt(sg.id, filter.cursor));
        const rows = await db
          .select()
          .from(sg)
          .where(and(...where))
          .orderBy(desc(sg.id))
          .limit(filter.limit);
        return rows.map((row) => ({ ...row, votes: JSON.parse(row.votes) as SignalRecord['votes'] }) as SignalRecord);
      },
    },

    orders: {
      async insert(order) {
        await db.insert(o).values(order);
      },
      async findById(id) {
        const [row] = await db.select().from(o).where(eq(o.id, id)).limit(1);
        return row as OrderRecord | undefined;
      },
      async resolve(id, changes) {
        const [row] = await db
          .update(o)
          .set({
            status: changes.status,
            resolvedAt: changes.resolvedAt,
            tradeId: changes.tradeId ?? null,
            fillPrice: changes.fillPrice ?? null,
            rejectReason: changes.rejectReason ?? null,
          })
          .where(and(eq(o.id, id), eq(o.status, 'pending')))
          .returning();
        return row as OrderRecord | undefined;
      },
      async list(filter) {
        const where: SQL[] = [eq(o.userId, filter.userId)];
        if (filter.status) where.push(eq(o.status, filter.status));
        if (filter.symbol) where.push(eq(o.symbol, filter.symbol));
        if (filter.cursor) where.push(lt(o.id, filter.cursor));
        return (await db
          .select()
          .from(o)
          .where(and(...where))
          .orderBy(desc(o.id))
          .limit(filter.limit)) as OrderRecord[];
      },
      async listPending(symbol) {
        const where: SQL[] = [eq(o.status, 'pending')];
        if (symbol !== undefined) where.push(eq(o.symbol, symbol));
        return (await db
          .select()
          .from(o)
          .where(and(...where))
          .orderBy(asc(o.id))) as OrderRecord[];
      },
    },

    trades: {
      async insert(trade) {
        await db.insert(tr).values(trade);
      },
      async findById(id) {
        const [row] = await db.select().from(tr).where(eq(tr.id, id)).limit(1);
        return row as TradeRecord | undefined;
      },
      async close(id, change) {
        const [row] = await db
          .update(tr)
          .set({ status: 'closed', ...change })
          .where(and(eq(tr.id, id), eq(tr.status, 'open')))
          .returning();
        return row as TradeRecord | undefined;
      },
      async list(filter) {
        const where: SQL[] = [eq(tr.userId, filter.userId)];
        if (filter.status) where.push(eq(tr.status, filter.status));
        if (filter.symbol) where.push(eq(tr.symbol, filter.symbol));
        if (filter.cursor) where.push(lt(tr.id, filter.cursor));
        return (await db
          .select()
          .from(tr)
          .where(and(...where))
          .orderBy(desc(tr.id))
          .limit(filter.limit)) as TradeRecord[];
      },
      async listOpenCopies(masterTradeId) {
        return (await db
          .select()
          .from(tr)
          .where(and(eq(tr.status, 'open'), eq(tr.source, 'copy'), eq(tr.reference, masterTradeId)))
          .orderBy(asc(tr.id))) as TradeRecord[];
      },
      async listOpenBySymbol(symbol) {
        return (await openBySymbolQuery.execute({ symbol })) as TradeRecord[];
      },
      async exposure(userId, symbol) {
        // One statement, so one snapshot: a fill committing meanwhile (order pending → trade open)
        // is counted once, not missed between two reads (READ COMMITTED snapshots per statement).
        const openTrades = and(eq(tr.userId, userId), eq(tr.status, 'open'));
        const pendingOrders = and(eq(o.userId, userId), eq(o.status, 'pending'));
        const [row] = await db
          .select({
            positions: sql<unknown>`(select count(*) from ${tr} where ${openTrades}) + (select count(*) from ${o} where ${pendingOrders})`,
            symbolStake: sql<unknown>`(select coalesce(sum(${tr.stake}), 0) from ${tr} where ${openTrades} and ${tr.symbol} = ${symbol}) + (select coalesce(sum(${o.stake}), 0) from ${o} where ${pendingOrders} and ${o.symbol} = ${symbol})`,
          })
          .from(t.users)
          .where(eq(t.users.id, userId));
        return { positions: Number(toBigInt(row?.positions)), symbolStake: toBigInt(row?.symbolStake) };
      },
      async realisedSince(userId, currency, since) {
        const [row] = await db
          .select({ total: sql<unknown>`coalesce(sum(${tr.pnl}), 0)` })
          .from(tr)
          .where(and(eq(tr.userId, userId), eq(tr.currency, currency), eq(tr.status, 'closed'), gte(tr.closedAt, since)));
        return toBigInt(row?.total);
      },
    },

    risk: {
      async findProfile(userId) {
        const [row] = await db.select().from(t.riskProfiles).where(eq(t.riskProfiles.userId, userId)).limit(1);
        return row ? ({ ...row, stakeProgression: JSON.parse(row.stakeProgression) as string[] } as RiskProfileRecord) : undefined;
      },
      async upsertProfile(profile) {
        const { userId, ...rest } = profile;
        const values = { ...rest, stakeProgression: JSON.stringify(profile.stakeProgression) };
        await db
          .insert(t.riskProfiles)
          .values({ userId, ...values })
          .onConflictDoUpdate({ target: t.riskProfiles.userId, set: values });
      },
      async streak(userId) {
        const [row] = await db.select().from(t.riskStreaks).where(eq(t.riskStreaks.userId, userId)).limit(1);
        return row ? { consecutiveLosses: row.consecutiveLosses, lastLossAt: row.lastLossAt } : { consecutiveLosses: 0, lastLossAt: null };
      },
      async recordResult(userId, lost, at) {
        const s = t.riskStreaks;
        const [row] = await db
          .insert(s)
          .values({ userId, consecutiveLosses: lost ? 1 : 0, lastLossAt: lost ? at : null })
          .onConflictDoUpdate({
            target: s.userId,
            set: lost ? { consecutiveLosses: sql`${s.consecutiveLosses} + 1`, lastLossAt: at } : { consecutiveLosses: 0, lastLossAt: null },
          })
          .returning();
        return { consecutiveLosses: row!.consecutiveLosses, lastLossAt: row!.lastLossAt };
      },
      async insertLock(record) {
        await db.insert(lock).values(record);
      },
      async findLock(id) {
        const [row] = await db.select().from(lock).where(eq(lock.id, id)).limit(1);
        return row as RiskLockRecord | undefined;
      },
      async listLocks(userId, now) {
        const where: SQL[] = [eq(lock.userId, userId)];
        if (now) where.push(isNull(lock.clearedAt), gt(lock.until, now));
        return (await db
          .select()
          .from(lock)
          .where(and(...where))
          .orderBy(desc(lock.id))
          .limit(500)) as RiskLockRecord[];
      },
      async clearLock(id, by, at) {
        const [row] = await db
          .update(lock)
          .set({ clearedAt: at, clearedBy: by })
          .where(and(eq(lock.id, id), isNull(lock.clearedAt)))
          .returning();
        return row as RiskLockRecord | undefined;
      },
      async insertEvent(event) {
        // DO NOTHING rather than catching the violation: on PostgreSQL that would abort the transaction.
        const inserted = await db
          .insert(ev)
          .values({ ...event, details: event.details ? JSON.stringify(event.details) : null })
          .onConflictDoNothing()
          .returning({ id: ev.id });
        return inserted.length > 0;
      },
      async listEvents(filter) {
        const where = eventConditions(filter);
        if (filter.cursor) where.push(lt(ev.id, filter.cursor));
        const rows = await db
          .select()
          .from(ev)
          .where(and(...where))
          .orderBy(desc(ev.id))
          .limit(filter.limit);
        return rows.map(toEvent);
      },
      async summarizeEvents(filter, groupBy) {
        const where = eventConditions(filter);
        // A UTC day as epoch milliseconds: SQLite stores milliseconds, PostgreSQL a timestamptz.
        const day =
          statements.dialect === 'sqlite'
            ? sql<number>`(${ev.occurredAt} / 86400000) * 86400000`
            : sql<number>`(floor(extract(epoch from ${ev.occurredAt}) / 86400) * 86400000)::bigint`;
        const key = groupBy === 'reason' ? ev.reason : groupBy === 'symbol' ? ev.symbol : day;
        const n = sql<number>`count(*)`;
        const rows = await db
          .select({ key, n })
          .from(ev)
          .where(and(...where))
          .groupBy(key)
          .orderBy(desc(n), asc(key));
        return rows.map((row) => ({
          key: row.key === null ? null : groupBy === 'day' ? new Date(Number(row.key)).toISOString().slice(0, 10) : String(row.key),
          count: Number(row.n),
        }));
      },
    },
  };
}
