import { and, count, desc, eq, gte, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import type { DepositRecord, DisputeRecord, ReceivableRecord, Repositories } from '@tradeplane/core';
import type { QueryDb, Tables } from './query-kit.js';

/** Deposits through payment providers, the provider events already recorded, disputes and receivables, written once for both databases (see `repositories.ts`). */
export function createPaymentsRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'deposits' | 'providerEvents' | 'disputes' | 'receivables'> {
  const d = t.deposits;
  const e = t.providerEvents;
  const dp = t.disputes;
  const r = t.receivables;
  const where = (conditions: (SQL | undefined)[]) => and(...conditions.filter((x): x is SQL => x !== undefined));
  return {
    deposits: {
      async insert(record) {
        // A unique index decides between concurrent requests with one Idempotency-Key: one row is written.
        const rows = await db.insert(d).values(record).onConflictDoNothing().returning({ id: d.id });
        return rows.length === 1;
      },
      async findById(id) {
        const [row] = await db.select().from(d).where(eq(d.id, id)).limit(1);
        return row as DepositRecord | undefined;
      },
      async findByIdempotencyKey(userId, key) {
        const [row] = await db
          .select()
          .from(d)
          .where(and(eq(d.userId, userId), eq(d.idempotencyKey, key)))
          .limit(1);
        return row as DepositRecord | undefined;
      },
      async setReference(id, providerReference, at) {
        const current = async () => (await db.select({ provider: d.provider, providerReference: d.providerReference }).from(d).where(eq(d.id, id)).limit(1))[0];
        const row = await current();
        if (!row) return false;
        if (row.providerReference !== null) return row.providerReference === providerReference;
        const [taken] = await db
          .select({ id: d.id })
          .from(d)
          .where(and(eq(d.provider, row.provider), eq(d.providerReference, providerReference)))
          .limit(1);
        if (taken) return taken.id === id;
        const updated = await db
          .update(d)
          .set({ providerReference, updatedAt: at })
          .where(and(eq(d.id, id), isNull(d.providerReference)))
          .returning({ id: d.id });
        // A concurrent replay of the same request may have recorded it first: the same reference is fine.
        return updated.length === 1 || (await current())?.providerReference === providerReference;
      },
      async raiseRefunded(id, total, at) {
        await db
          .update(d)
          .set({ refundedAmount: total, updatedAt: at })
          .where(and(eq(d.id, id), lt(d.refundedAmount, total)));
        const [row] = await db.select().from(d).where(eq(d.id, id)).limit(1);
        return row as DepositRecord | undefined;
      },
      async succeededSince(accountId, since) {
        const rows = await db
          .select({ amount: d.amount, refunded: d.refundedAmount })
          .from(d)
          .where(and(eq(d.accountId, accountId), eq(d.status, 'succeeded'), gte(d.updatedAt, since)));
        return rows.reduce((sum, row) => sum + row.amount - row.refunded, 0n);
      },
      async findByReference(provider, providerReference) {
        const [row] = await db
          .select()
          .from(d)
          .where(and(eq(d.provider, provider), eq(d.providerReference, providerReference)))
          .limit(1);
        return row as DepositRecord | undefined;
      },
      async transition(id, from, { status, entryId, failureReason, at }) {
        if (from.length === 0) return undefined;
        // Conditional on the current status: of two events (or an event and a job) moving the same
        // deposit at once, one wins and the other finds it already moved.
        const [row] = await db
          .update(d)
          .set({
            status,
            updatedAt: at,
            ...(entryId === undefined ? {} : { entryId }),
            ...(failureReason === undefined ? {} : { failureReason }),
          })
          .where(and(eq(d.id, id), inArray(d.status, [...from])))
          .returning();
        return row as DepositRecord | undefined;
      },
      async list({ userId, status, cursor, limit }) {
        const rows = await db
          .select()
          .from(d)
          .where(where([userId === undefined ? undefined : eq(d.userId, userId), status === undefined ? undefined : eq(d.status, status), cursor === undefined ? undefined : lt(d.id, cursor)]))
          .orderBy(desc(d.id))
          .limit(limit);
        return rows as DepositRecord[];
      },
    },
    disputes: {
      async insert(record) {
        const rows = await db.insert(dp).values(record).onConflictDoNothing().returning({ id: dp.id });
        return rows.length === 1;
      },
      async findByDisputeId(provider, disputeId) {
        const [row] = await db
          .select()
          .from(dp)
          .where(and(eq(dp.provider, provider), eq(dp.disputeId, disputeId)))
          .limit(1);
        return row as DisputeRecord | undefined;
      },
      async close(id, { status, entryId, at }) {
        const [row] = await db
          .update(dp)
          .set({ status, entryId, updatedAt: at })
          .where(and(eq(dp.id, id), eq(dp.status, 'open')))
          .returning();
        return row as DisputeRecord | undefined;
      },
      async countOpen(accountId) {
        const [row] = await db
          .select({ n: count() })
          .from(dp)
          .where(and(eq(dp.accountId, accountId), eq(dp.status, 'open')));
        return Number(row?.n ?? 0);
      },
      async list({ status, cursor, limit }) {
        const rows = await db
          .select()
          .from(dp)
          .where(where([status === undefined ? undefined : eq(dp.status, status), cursor === undefined ? undefined : lt(dp.id, cursor)]))
          .orderBy(desc(dp.id))
          .limit(limit);
        return rows as DisputeRecord[];
      },
    },
    receivables: {
      async insert(record) {
        await db.insert(r).values(record);
      },
      async findById(id) {
        const [row] = await db.select().from(r).where(eq(r.id, id)).limit(1);
        return row as ReceivableRecord | undefined;
      },
      async settle(id, at) {
        const [row] = await db
          .update(r)
          .set({ status: 'settled', settledAt: at })
          .where(and(eq(r.id, id), eq(r.status, 'open')))
          .returning();
        return row as ReceivableRecord | undefined;
      },
      async list({ userId, status, cursor, limit }) {
        const rows = await db
          .select()
          .from(r)
          .where(where([userId === undefined ? undefined : eq(r.userId, userId), status === undefined ? undefined : eq(r.status, status), cursor === undefined ? undefined : lt(r.id, cursor)]))
          .orderBy(desc(r.id))
          .limit(limit);
        return rows as ReceivableRecord[];
      },
    },
    providerEvents: {
      async insert(event) {
        // The primary key decides: of concurrent deliveries of one event, exactly one row is written.
        const rows = await db.insert(e).values(event).onConflictDoNothing().returning({ eventId: e.eventId });
        return rows.length === 1;
      },
    },
  };
}
