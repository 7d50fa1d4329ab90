import { and, asc, count, desc, eq, gt, inArray, isNull, lt, lte, or } from 'drizzle-orm';
import { TradeplaneError, type MasterRecord, type Repositories, type SubscriptionRecord } from '@tradeplane/core';
import { isUniqueViolation, type QueryDb, type Tables } from './query-kit.js';

/** Copy-trading repositories, written once for both databases (see `repositories.ts`). */
export function createCopyRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'copy'> {
  const m = t.masters;
  const s = t.subscriptions;
  const sub = (row: Tables['subscriptions']['$inferSelect'] | undefined) => row as SubscriptionRecord | undefined;
  return {
    copy: {
      async insertMaster(master) {
        try {
          await db.insert(m).values(master);
        } catch (error) {
          if (isUniqueViolation(error)) throw new TradeplaneError('conflict', 'You are already a master');
          throw error;
        }
      },
      async findMaster(id) {
        const [row] = await db.select().from(m).where(eq(m.id, id)).limit(1);
        return row as MasterRecord | undefined;
      },
      async findMasterByUser(userId) {
        const [row] = await db.select().from(m).where(eq(m.userId, userId)).limit(1);
        return row as MasterRecord | undefined;
      },
      async listPublicMasters(filter) {
        const where = [eq(m.visibility, 'public')];
        if (filter.cursor) where.push(gt(m.id, filter.cursor));
        return (await db.select().from(m).where(and(...where)).orderBy(asc(m.id)).limit(filter.limit)) as MasterRecord[];
      },
      async countFollowers(masterId) {
        const a = t.accounts;
        // A subscription without an account copies onto the follower's default account.
        const copiedOnto = or(eq(a.id, s.accountId), and(isNull(s.accountId), eq(a.userId, s.followerId), eq(a.isDefault, true)));
        const rows = await db
          .select({ kind: a.kind, n: count() })
          .from(s)
          .innerJoin(a, copiedOnto)
          .where(and(eq(s.masterId, masterId), eq(s.status, 'active')))
          .groupBy(a.kind);
        const counted = { demo: 0, real: 0 };
        for (const row of rows) if (row.kind === 'demo' || row.kind === 'real') counted[row.kind] = Number(row.n);
        return counted;
      },
      async insertSubscription(subscription) {
        try {
          await db.insert(s).values(subscription);
        } catch (error) {
          if (isUniqueViolation(error)) throw new TradeplaneError('conflict', 'You already subscribe to this master');
          throw error;
        }
      },
      async findSubscription(id) {
        const [row] = await db.select().from(s).where(eq(s.id, id)).limit(1);
        return sub(row);
      },
      async findSubscriptionByTokenHash(tokenHash) {
        const [row] = await db.select().from(s).where(eq(s.tokenHash, tokenHash)).limit(1);
        return sub(row);
      },
      async findLiveSubscription(followerId, masterId) {
        const [row] = await db
          .select()
          .from(s)
          .where(and(eq(s.followerId, followerId), eq(s.masterId, masterId), inArray(s.status, ['active', 'paused'])))
          .limit(1);
        return sub(row);
      },
      async listSubscriptions(filter) {
        const where = [eq(s.followerId, filter.followerId)];
        if (filter.cursor) where.push(lt(s.id, filter.cursor));
        return (await db.select().from(s).where(and(...where)).orderBy(desc(s.id)).limit(filter.limit)) as SubscriptionRecord[];
      },
      async listActiveForMasterUser(masterUserId) {
        return (await db.select().from(s).where(and(eq(s.masterUserId, masterUserId), eq(s.status, 'active'))).orderBy(asc(s.id))) as SubscriptionRecord[];
      },
      async listDueToExpire(now, limit) {
        return (await db
          .select()
          .from(s)
          .where(and(inArray(s.status, ['active', 'paused']), lte(s.expiresAt, now)))
          .orderBy(asc(s.expiresAt), asc(s.id))
          .limit(limit)) as SubscriptionRecord[];
      },
      async updateSubscription(id, from, changes) {
        const [row] = await db
          .update(s)
          .set(changes)
          .where(and(eq(s.id, id), inArray(s.status, [...from])))
          .returning();
        return sub(row);
      },
    },
  };
}
