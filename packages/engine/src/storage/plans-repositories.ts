import { and, count, desc, eq, gte, inArray, isNull, lt } from 'drizzle-orm';
import type { PlanSubscriptionRecord, Repositories } from '@tradeplane/core';
import type { QueryDb, Tables } from './query-kit.js';

/** Users' plan subscriptions, and what each user holds of what a plan counts; written once for both databases (see `repositories.ts`). */
export function createPlansRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'plans'> {
  const p = t.planSubscriptions;
  const counted = async (query: Promise<{ n: number }[]>) => Number((await query)[0]?.n ?? 0);
  return {
    plans: {
      async find(userId) {
        const [row] = await db.select().from(p).where(eq(p.userId, userId)).limit(1);
        return row as PlanSubscriptionRecord | undefined;
      },
      async findByCustomer(provider, customerReference) {
        const [row] = await db
          .select()
          .from(p)
          .where(and(eq(p.provider, provider), eq(p.customerReference, customerReference)))
          .orderBy(desc(p.stateAt))
          .limit(1);
        return row as PlanSubscriptionRecord | undefined;
      },
      async put(record) {
        const { userId: _, ...rest } = record;
        await db.insert(p).values(record).onConflictDoUpdate({ target: p.userId, set: rest });
      },
      async list({ cursor, limit }) {
        const rows = await db
          .select()
          .from(p)
          .where(cursor === undefined ? undefined : lt(p.userId, cursor))
          .orderBy(desc(p.userId))
          .limit(limit);
        return rows as PlanSubscriptionRecord[];
      },
      async usage(userId, since) {
        // Each count reads one user's rows through an index that starts with the user's id.
        const maxBots = await counted(db.select({ n: count() }).from(t.strategies).where(eq(t.strategies.userId, userId)));
        const backtestsPerDay = await counted(db.select({ n: count() }).from(t.backtests).where(and(eq(t.backtests.userId, userId), gte(t.backtests.createdAt, since))));
        const maxApiKeys = await counted(db.select({ n: count() }).from(t.apiKeys).where(and(eq(t.apiKeys.userId, userId), isNull(t.apiKeys.revokedAt))));
        const maxCopySubscriptions = await counted(
          db
            .select({ n: count() })
            .from(t.subscriptions)
            .where(and(eq(t.subscriptions.followerId, userId), inArray(t.subscriptions.status, ['active', 'paused']))),
        );
        return { maxBots, backtestsPerDay, maxApiKeys, maxCopySubscriptions };
      },
    },
  };
}
