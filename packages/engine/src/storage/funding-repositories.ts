import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { OperatorCreditRecord, Repositories, WithdrawalRecord } from '@tradeplane/core';
import type { QueryDb, Tables } from './query-kit.js';

/** Withdrawals and operator credits of real money, written once for both databases (see `repositories.ts`). */
export function createFundingRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'withdrawals' | 'operatorCredits'> {
  const w = t.withdrawals;
  const c = t.operatorCredits;
  const where = (conditions: (SQL | undefined)[]) => and(...conditions.filter((x): x is SQL => x !== undefined));
  return {
    withdrawals: {
      async insert(record) {
        await db.insert(w).values(record);
      },
      async findById(id) {
        const [row] = await db.select().from(w).where(eq(w.id, id)).limit(1);
        return row as WithdrawalRecord | undefined;
      },
      async list({ userId, status, cursor, limit }) {
        const rows = await db
          .select()
          .from(w)
          .where(where([userId === undefined ? undefined : eq(w.userId, userId), status === undefined ? undefined : eq(w.status, status), cursor === undefined ? undefined : lt(w.id, cursor)]))
          .orderBy(desc(w.id))
          .limit(limit);
        return rows as WithdrawalRecord[];
      },
      async resolve(id, change) {
        // Conditional on `pending`: of two operators (or a provider and an operator) resolving at once, one wins.
        const [row] = await db
          .update(w)
          .set(change)
          .where(and(eq(w.id, id), eq(w.status, 'pending')))
          .returning();
        return row as WithdrawalRecord | undefined;
      },
    },
    operatorCredits: {
      async insert(record) {
        await db.insert(c).values(record);
      },
      async findById(id) {
        const [row] = await db.select().from(c).where(eq(c.id, id)).limit(1);
        return row as OperatorCreditRecord | undefined;
      },
      async list({ status, cursor, limit }) {
        const rows = await db
          .select()
          .from(c)
          .where(where([status === undefined ? undefined : eq(c.status, status), cursor === undefined ? undefined : lt(c.id, cursor)]))
          .orderBy(desc(c.id))
          .limit(limit);
        return rows as OperatorCreditRecord[];
      },
      async resolve(id, change) {
        const [row] = await db
          .update(c)
          .set(change)
          .where(and(eq(c.id, id), eq(c.status, 'pending_approval')))
          .returning();
        return row as OperatorCreditRecord | undefined;
      },
    },
  };
}
