import { and, asc, count, desc, eq, gt, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AffiliateCodeRecord, CommissionChargeRecord, NotificationRecord, ReferralRecord, Repositories, TradeRecord } from '@tradeplane/core';
import { toBigInt } from './ledger-repositories.js';
import { isUniqueViolation, placeholders, slot, type QueryDb, type Statements, type Tables } from './query-kit.js';

/** Commission, affiliate and notification repositories, written once for both databases (see `repositories.ts`). */
export function createCommissionRepositories(db: QueryDb, t: Tables, statements: Statements): Pick<Repositories, 'commission' | 'affiliates' | 'notifications'> {
  const c = t.commissionCharges;
  const tr = t.trades;
  const n = t.notifications;
  // Written in the transaction of every deposit and withdrawal: built and prepared once.
  const insertNotificationQuery = statements.prepared('tp_notification_insert', (db) =>
    db.insert(n).values({ ...placeholders('id', 'userId', 'type', 'title', 'body', 'data', 'createdAt'), readAt: slot('readAt', n.readAt) as unknown as Date }),
  );
  const toNotification = (row: Tables['notifications']['$inferSelect']): NotificationRecord => ({
    ...row,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
  });

  return {
    commission: {
      async insertCharge(charge) {
        // DO NOTHING rather than catching the violation: on PostgreSQL that would abort the transaction.
        const inserted = await db.insert(c).values(charge).onConflictDoNothing().returning({ id: c.id });
        return inserted.length > 0;
      },
      async latestFee(subscriptionId, accountId) {
        const [row] = await db
          .select()
          .from(c)
          .where(and(eq(c.subscriptionId, subscriptionId), eq(c.accountId, accountId), eq(c.kind, 'performance_fee')))
          .orderBy(desc(c.periodEnd))
          .limit(1);
        return row as CommissionChargeRecord | undefined;
      },
      async copyResults(until) {
        const pnl = sql<string>`sum(${tr.pnl})`;
        const n = sql<number>`count(*)`;
        const rows = await db
          .select({ subscriptionId: tr.subscriptionId, accountId: tr.accountId, currency: tr.currency, pnl, n })
          .from(tr)
          .where(and(isNotNull(tr.subscriptionId), eq(tr.status, 'closed'), lt(tr.closedAt, until)))
          .groupBy(tr.subscriptionId, tr.accountId, tr.currency)
          .orderBy(asc(tr.subscriptionId), asc(tr.accountId));
        return rows.map((row) => ({ subscriptionId: row.subscriptionId!, accountId: row.accountId, currency: row.currency, pnl: toBigInt(row.pnl), closedCopies: Number(row.n) }));
      },
      async unchargedMarkups(until, limit) {
        const rows = await db
          .select({ trade: tr })
          .from(tr)
          .leftJoin(c, and(eq(c.tradeId, tr.id), eq(c.kind, 'markup')))
          .where(and(isNotNull(tr.subscriptionId), eq(tr.status, 'closed'), gt(tr.pnl, 0n), lt(tr.closedAt, until), isNull(c.id)))
          .orderBy(asc(tr.closedAt), asc(tr.id))
          .limit(limit);
        return rows.map((row) => row.trade as TradeRecord);
      },
      async listCharges(filter) {
        const where: (SQL | undefined)[] = [];
        if (filter.userId) {
          if (filter.as === 'follower') where.push(eq(c.followerId, filter.userId));
          else if (filter.as === 'master') where.push(eq(c.masterUserId, filter.userId));
          else where.push(or(eq(c.followerId, filter.userId), eq(c.masterUserId, filter.userId)));
        }
        if (filter.period) where.push(eq(c.period, filter.period));
        if (filter.kind) where.push(eq(c.kind, filter.kind));
        if (filter.cursor) where.push(lt(c.id, filter.cursor));
        return (await db
          .select()
          .from(c)
          .where(and(...where))
          .orderBy(desc(c.id))
          .limit(filter.limit)) as CommissionChargeRecord[];
      },
      async affiliateEarnings(affiliateUserId) {
        const total = sql<string>`sum(${c.affiliateAmount})`;
        const rows = await db
          .select({ currency: c.currency, total })
          .from(c)
          .where(eq(c.affiliateUserId, affiliateUserId))
          .groupBy(c.currency)
          .orderBy(asc(c.currency));
        return rows.map((row) => ({ currency: row.currency, amount: toBigInt(row.total) }));
      },
    },

    affiliates: {
      async findCodeByUser(userId) {
        const [row] = await db.select().from(t.affiliateCodes).where(eq(t.affiliateCodes.userId, userId)).limit(1);
        return row as AffiliateCodeRecord | undefined;
      },
      async findCode(code) {
        const [row] = await db.select().from(t.affiliateCodes).where(eq(t.affiliateCodes.code, code)).limit(1);
        return row as AffiliateCodeRecord | undefined;
      },
      async insertCode(record) {
        const inserted = await db.insert(t.affiliateCodes).values(record).onConflictDoNothing().returning({ userId: t.affiliateCodes.userId });
        return inserted.length > 0;
      },
      async insertReferral(record) {
        try {
          await db.insert(t.referrals).values(record);
        } catch (error) {
          if (isUniqueViolation(error)) return;
          throw error;
        }
      },
      async findReferral(userId) {
        const [row] = await db.select().from(t.referrals).where(eq(t.referrals.userId, userId)).limit(1);
        return row as ReferralRecord | undefined;
      },
      async referralCounts(affiliateUserId) {
        const active = sql<number>`sum(case when ${t.users.status} = 'active' then 1 else 0 end)`;
        const [row] = await db
          .select({ referred: count(), active })
          .from(t.referrals)
          .innerJoin(t.users, eq(t.users.id, t.referrals.userId))
          .where(eq(t.referrals.affiliateUserId, affiliateUserId));
        return { referred: Number(row?.referred ?? 0), active: Number(row?.active ?? 0) };
      },
    },

    notifications: {
      async insert(notification) {
        await insertNotificationQuery.execute({
          id: notification.id,
          userId: notification.userId,
          type: notification.type,
          title: notification.title,
          body: notification.body ?? null,
          data: notification.data ? JSON.stringify(notification.data) : null,
          readAt: notification.readAt,
          createdAt: notification.createdAt,
        });
      },
      async list(filter) {
        const where: (SQL | undefined)[] = [eq(n.userId, filter.userId)];
        if (filter.unread) where.push(isNull(n.readAt));
        if (filter.cursor) where.push(lt(n.id, filter.cursor));
        const rows = await db
          .select()
          .from(n)
          .where(and(...where))
          .orderBy(desc(n.id))
          .limit(filter.limit);
        return rows.map(toNotification);
      },
      async markRead(userId, id, at) {
        const [updated] = await db
          .update(n)
          .set({ readAt: at })
          .where(and(eq(n.id, id), eq(n.userId, userId), isNull(n.readAt)))
          .returning();
        if (updated) return toNotification(updated);
        // Already read: answer it as it is.
        const [row] = await db
          .select()
          .from(n)
          .where(and(eq(n.id, id), eq(n.userId, userId)))
          .limit(1);
        return row ? toNotification(row) : undefined;
      },
      async markAllRead(userId, at) {
        const updated = await db
          .update(n)
          .set({ readAt: at })
          .where(and(eq(n.userId, userId), isNull(n.readAt)))
          .returning({ id: n.id });
        return updated.length;
      },
      async countUnread(userId) {
        const [row] = await db
          .select({ n: count() })
          .from(n)
          .where(and(eq(n.userId, userId), isNull(n.readAt)));
        return Number(row?.n ?? 0);
      },
    },
  };
}
