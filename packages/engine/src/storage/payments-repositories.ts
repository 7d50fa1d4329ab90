import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { DepositRecord, Repositories } from '@tradeplane/core';
import type { QueryDb, Tables } from './query-kit.js';

/** Deposits through payment providers and the provider events already recorded, written once for both databases (see `repositories.ts`). */
export function createPaymentsRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'deposits' | 'providerEvents'> {
  const d = t.deposits;
  const e = t.providerEvents;
  const where = (conditions: (SQL | undefined)[]) => and(...conditions.filter((x): x is SQL => x !== undefined));
  return {
    deposits: {
      async insert(record) {
        await db.insert(d).values(record);
      },
      async findById(id) {
        const [row] = await db.select().from(d).where(eq(d.id, id)).limit(1);
        return row as DepositRecord | undefined;
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
    providerEvents: {
      async insert(event) {
        // The primary key decides: of concurrent deliveries of one event, exactly one row is written.
        const rows = await db.insert(e).values(event).onConflictDoNothing().returning({ eventId: e.eventId });
        return rows.length === 1;
      },
    },
  };
}
