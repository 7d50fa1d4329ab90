import { and, asc, desc, eq, inArray, isNotNull, lt, lte, type SQL } from 'drizzle-orm';
import type { OperatorCreditRecord, Repositories, WithdrawalApprovalRecord, WithdrawalRecord } from '@tradeplane/core';
import type { QueryDb, Tables } from './query-kit.js';

/** Withdrawals (with their approvals) and operator credits of real money, written once for both databases (see `repositories.ts`). */
export function createFundingRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'withdrawals' | 'operatorCredits'> {
  const w = t.withdrawals;
  const a = t.withdrawalApprovals;
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
      async transition(id, from, change, ifNextPayoutAt) {
        // One conditional UPDATE: of two callers moving the same withdrawal on at once, one wins
        // (on PostgreSQL the other waits for the row, then finds its status moved on).
        const [row] = await db
          .update(w)
          .set(change)
          .where(where([eq(w.id, id), inArray(w.status, [...from]), ifNextPayoutAt === undefined ? undefined : eq(w.nextPayoutAt, ifNextPayoutAt)]))
          .returning();
        return row as WithdrawalRecord | undefined;
      },
      async addApproval(approval) {
        const rows = await db.insert(a).values(approval).onConflictDoNothing().returning({ id: a.withdrawalId });
        return rows.length === 1;
      },
      async approvals(withdrawalId) {
        const rows = await db.select().from(a).where(eq(a.withdrawalId, withdrawalId)).orderBy(asc(a.approvedAt), asc(a.approverId));
        return rows as WithdrawalApprovalRecord[];
      },
      async listDuePayouts(now, limit) {
        const rows = await db
          .select()
          .from(w)
          .where(and(eq(w.status, 'paying'), isNotNull(w.nextPayoutAt), lte(w.nextPayoutAt, now)))
          .orderBy(asc(w.nextPayoutAt), asc(w.id))
          .limit(limit);
        return rows as WithdrawalRecord[];
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
