import { and, count, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { JobRecord, Repositories, UserStatus } from '@tradeplane/core';
import type { QueryDb, Tables } from './query-kit.js';

/** Background-job leases and business counts, written once for both databases (see `repositories.ts`). */
export function createOperationsRepositories(db: QueryDb, t: Tables): Pick<Repositories, 'jobs' | 'system' | 'rateLimits' | 'usedTokens'> {
  const j = t.jobs;
  return {
    jobs: {
      async acquire(name, holder, now, until) {
        // One statement: insert the row, or take it over when its lease has ended (or is ours).
        // A concurrent acquirer either conflicts on the key and finds the lease taken, or waits
        // for our row lock (PostgreSQL) and then sees our lease.
        const [row] = await db
          .insert(j)
          .values({ name, holder, leaseUntil: until })
          .onConflictDoUpdate({
            target: j.name,
            set: { holder, leaseUntil: until },
            setWhere: or(isNull(j.leaseUntil), lt(j.leaseUntil, now), eq(j.holder, holder)),
          })
          .returning();
        return row as JobRecord | undefined;
      },
      async finish(name, holder, result) {
        await db
          .update(j)
          .set({ lastTickAt: result.at, lastDurationMs: Math.round(result.durationMs), lastError: result.error, leaseUntil: null })
          .where(and(eq(j.name, name), eq(j.holder, holder)));
      },
      async list() {
        return (await db.select().from(j).orderBy(j.name)) as JobRecord[];
      },
    },
    rateLimits: {
      async hit(key, windowStart) {
        const r = t.rateLimits;
        // One statement, atomic on both databases: a new window starts over at 1.
        const [row] = await db
          .insert(r)
          .values({ key, windowStart, count: 1 })
          .onConflictDoUpdate({
            target: r.key,
            set: {
              count: sql`case when ${r.windowStart} = excluded.window_start then ${r.count} + 1 else 1 end`,
              windowStart: sql`excluded.window_start`,
            },
          })
          .returning({ count: r.count });
        return Number(row!.count);
      },
      async purge(before) {
        return (await db.delete(t.rateLimits).where(lt(t.rateLimits.windowStart, before)).returning({ key: t.rateLimits.key })).length;
      },
    },
    usedTokens: {
      async consume(id, expiresAt) {
        // The primary key decides: of any number of instances spending one token at once, one inserts.
        const inserted = await db.insert(t.usedTokens).values({ id, expiresAt }).onConflictDoNothing().returning({ id: t.usedTokens.id });
        return inserted.length === 1;
      },
      async purgeExpired(now) {
        return (await db.delete(t.usedTokens).where(lt(t.usedTokens.expiresAt, now)).returning({ id: t.usedTokens.id })).length;
      },
    },
    system: {
      async businessCounts() {
        const users = t.users;
        const [byStatus, admins, open, active] = await Promise.all([
          db.select({ status: users.status, n: count() }).from(users).groupBy(users.status),
          db
            .select({ n: count() })
            .from(users)
            .where(and(eq(users.role, 'admin'), eq(users.status, 'active'))),
          db.select({ n: count() }).from(t.trades).where(eq(t.trades.status, 'open')),
          db
            .select({ n: count() })
            .from(t.subscriptions)
            .where(inArray(t.subscriptions.status, ['active'])),
        ]);
        const counts: Record<UserStatus, number> = { active: 0, pending: 0, disabled: 0 };
        for (const row of byStatus) counts[row.status as UserStatus] = Number(row.n);
        return { users: counts, activeAdmins: Number(admins[0]?.n ?? 0), openTrades: Number(open[0]?.n ?? 0), activeSubscriptions: Number(active[0]?.n ?? 0) };
      },
    },
  };
}
