import { and, asc, desc, eq, gte, inArray, lt, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import {
  MAX_MINOR_UNITS,
  type AccountRecord,
  type HoldRecord,
  type JournalEntryRecord,
  type LedgerCheck,
  type PostingRecord,
  type PostingWithEntry,
  type Repositories,
} from '@tradeplane/core';
import type { QueryDb, Tables } from './repositories.js';

type LedgerRepositories = Pick<Repositories, 'accounts' | 'journal' | 'holds' | 'idempotency'>;

/** An aggregate arrives as bigint (SQLite, safe integers) or as a decimal string (PostgreSQL numeric). */
const toBigInt = (value: unknown): bigint => (value === null || value === undefined ? 0n : BigInt(value as string | number | bigint));

/**
 * The ledger's repositories, written once for both databases like the others (see
 * `repositories.ts`). Money columns are signed 64-bit integers in both schemas, so balance
 * arithmetic and the overdraft CHECK run in the database; amounts are bound through the column
 * (`sql.param(value, column)`) so each driver receives its own encoding.
 */
export function createLedgerRepositories(db: QueryDb, t: Tables): LedgerRepositories {
  const a = t.accounts;
  const money = (value: bigint) => sql.param(value, a.balance);
  const at = (value: Date) => sql.param(value, a.createdAt);

  return {
    accounts: {
      async insert(account) {
        await db.insert(a).values(account);
      },
      async ensureSystem(code, currency, now) {
        // Deterministic ids, so callers can remember them once the row is known to exist.
        const id = `sys_${code}_${currency}`;
        // A conflict means the row is committed: PostgreSQL waits for an in-flight insert of it to end.
        const inserted = await db
          .insert(a)
          .values({ id, userId: null, currency, kind: 'system', systemCode: code, isDefault: false, status: 'active', balance: 0n, held: 0n, createdAt: now })
          .onConflictDoNothing()
          .returning({ id: a.id });
        return { id, existed: inserted.length === 0 };
      },
      async findById(id) {
        const [row] = await db.select().from(a).where(eq(a.id, id)).limit(1);
        return row as AccountRecord | undefined;
      },
      async listForUser(userId) {
        const rows = await db.select().from(a).where(eq(a.userId, userId)).orderBy(asc(a.createdAt), asc(a.id));
        return rows as AccountRecord[];
      },
      async lockOwner(userId) {
        await db
          .update(t.users)
          .set({ updatedAt: sql`${t.users.updatedAt}` as unknown as Date })
          .where(eq(t.users.id, userId));
      },
      async setDefault(userId, id) {
        const [target] = await db
          .select({ id: a.id })
          .from(a)
          .where(and(eq(a.id, id), eq(a.userId, userId)))
          .limit(1);
        if (!target) return false;
        // Clear first: the partial unique index allows one default per user at every statement.
        await db
          .update(a)
          .set({ isDefault: false })
          .where(and(eq(a.userId, userId), eq(a.isDefault, true), ne(a.id, id)));
        await db.update(a).set({ isDefault: true }).where(eq(a.id, id));
        return true;
      },
      async applyDelta(id, delta, heldDelta = 0n) {
        const newHeld = sql`${a.held} + ${money(heldDelta)}`;
        // Bounds are written so that no intermediate value leaves the signed 64-bit range:
        // SQLite would turn an overflowing integer into a float instead of failing.
        const withinRange =
          delta > 0n ? sql`${a.balance} <= ${money(MAX_MINOR_UNITS - delta)}` : sql`${a.balance} >= ${money(-MAX_MINOR_UNITS - delta)}`;
        const covered = or(eq(a.kind, 'system'), sql`${a.balance} + ${money(delta)} >= ${newHeld} and ${newHeld} >= 0`);
        const rows = await db
          .update(a)
          .set({ balance: sql`${a.balance} + ${money(delta)}`, held: newHeld })
          .where(and(eq(a.id, id), withinRange, covered))
          .returning({ balance: a.balance, held: a.held });
        return rows[0];
      },
    },

    journal: {
      async insert(entry, postings) {
        await db.insert(t.journalEntries).values({ ...entry, metadata: entry.metadata ? JSON.stringify(entry.metadata) : null });
        await db.insert(t.postings).values(
          postings.map((p) => ({
            ...p,
            // The entry's balance updates ran first in this transaction, so this is the new balance.
            balanceAfter: sql`(select ${a.balance} from ${a} where ${a.id} = ${p.accountId})` as unknown as bigint,
          })),
        );
      },
      async findEntry(id) {
        const [entry] = await db.select().from(t.journalEntries).where(eq(t.journalEntries.id, id)).limit(1);
        if (!entry) return undefined;
        const postings = await db.select().from(t.postings).where(eq(t.postings.entryId, id)).orderBy(asc(t.postings.id));
        return { entry: toEntry(entry), postings: postings as PostingRecord[] };
      },
      async isReversed(entryId) {
        const [row] = await db
          .select({ id: t.journalEntries.id })
          .from(t.journalEntries)
          .where(eq(t.journalEntries.reversesEntryId, entryId))
          .limit(1);
        return row !== undefined;
      },
      async listPostings({ accountIds, kind, from, to, cursor, limit }) {
        if (accountIds.length === 0) return [];
        const p = t.postings;
        const e = t.journalEntries;
        const conditions: (SQL | undefined)[] = [
          inArray(p.accountId, accountIds),
          kind ? eq(e.kind, kind) : undefined,
          from ? gte(p.createdAt, from) : undefined,
          to ? lt(p.createdAt, to) : undefined,
          cursor ? lt(p.id, cursor) : undefined,
        ];
        const rows = await db
          .select({ posting: p, kind: e.kind, reference: e.reference, metadata: e.metadata, reversesEntryId: e.reversesEntryId })
          .from(p)
          .innerJoin(e, eq(e.id, p.entryId))
          .where(and(...conditions))
          .orderBy(desc(p.id))
          .limit(limit);
        return rows.map(
          (row): PostingWithEntry => ({
            ...(row.posting as PostingRecord),
            kind: row.kind,
            reference: row.reference,
            metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : null,
            reversesEntryId: row.reversesEntryId,
          }),
        );
      },
      async verify() {
        const p = t.postings;
        const sum = (column: typeof p.amount) => sql<unknown>`coalesce(sum(${column}), 0)`;
        const balances = await db
          .select({ id: a.id, kind: a.kind, balance: a.balance, held: a.held, computed: sum(p.amount) })
          .from(a)
          .leftJoin(p, eq(p.accountId, a.id))
          .groupBy(a.id, a.kind, a.balance, a.held);
        const pendingHolds = await db
          .select({ accountId: t.holds.accountId, total: sql<unknown>`sum(${t.holds.amount})` })
          .from(t.holds)
          .where(eq(t.holds.status, 'pending'))
          .groupBy(t.holds.accountId);
        const heldByAccount = new Map(pendingHolds.map((row) => [row.accountId, toBigInt(row.total)]));
        const unbalanced = await db
          .select({ entryId: p.entryId, currency: p.currency, total: sql<unknown>`sum(${p.amount})`, postings: sql<unknown>`count(*)` })
          .from(p)
          .groupBy(p.entryId, p.currency)
          .having(sql`sum(${p.amount}) <> 0`);
        const short = await db
          .select({ entryId: t.journalEntries.id, postings: sql<unknown>`count(${p.id})` })
          .from(t.journalEntries)
          .leftJoin(p, eq(p.entryId, t.journalEntries.id))
          .groupBy(t.journalEntries.id)
          .having(sql`count(${p.id}) < 2`);
        const currencies = await db
          .select({ currency: p.currency, total: sql<unknown>`sum(${p.amount})` })
          .from(p)
          .groupBy(p.currency)
          .having(sql`sum(${p.amount}) <> 0`);
        const [entries] = await db.select({ n: sql<unknown>`count(*)` }).from(t.journalEntries);

        const report: LedgerCheck = {
          accountsChecked: balances.length,
          entriesChecked: Number(toBigInt(entries?.n)),
          balanceMismatches: [],
          heldMismatches: [],
          unbalancedEntries: [
            ...unbalanced.map((row) => ({ entryId: row.entryId, currency: row.currency, sum: toBigInt(row.total), postings: Number(toBigInt(row.postings)) })),
            ...short.map((row) => ({ entryId: row.entryId, currency: '', sum: 0n, postings: Number(toBigInt(row.postings)) })),
          ],
          currencyImbalances: currencies.map((row) => ({ currency: row.currency, sum: toBigInt(row.total) })),
          negativeAccounts: [],
        };
        for (const row of balances) {
          const computed = toBigInt(row.computed);
          if (computed !== row.balance) report.balanceMismatches.push({ accountId: row.id, cached: row.balance, computed });
          const held = heldByAccount.get(row.id) ?? 0n;
          if (held !== row.held) report.heldMismatches.push({ accountId: row.id, cached: row.held, computed: held });
          if (row.kind !== 'system' && (row.balance < 0n || row.held < 0n || row.held > row.balance)) {
            report.negativeAccounts.push({ accountId: row.id, balance: row.balance, held: row.held });
          }
        }
        return report;
      },
    },

    holds: {
      async insert(hold) {
        await db.insert(t.holds).values(hold);
      },
      async findById(id) {
        const [row] = await db.select().from(t.holds).where(eq(t.holds.id, id)).limit(1);
        return row as HoldRecord | undefined;
      },
      async resolve(id, { status, at: resolvedAt, capturedAmount, entryId }) {
        const rows = await db
          .update(t.holds)
          .set({ status, resolvedAt, capturedAmount: capturedAmount ?? null, entryId: entryId ?? null })
          .where(and(eq(t.holds.id, id), eq(t.holds.status, 'pending')))
          .returning();
        return rows[0] as HoldRecord | undefined;
      },
      async listExpired(now, accountId, limit = 500) {
        const rows = await db
          .select()
          .from(t.holds)
          .where(and(eq(t.holds.status, 'pending'), lte(t.holds.expiresAt, now), accountId ? eq(t.holds.accountId, accountId) : undefined))
          .orderBy(asc(t.holds.expiresAt), asc(t.holds.id))
          .limit(limit);
        return rows as HoldRecord[];
      },
    },

    idempotency: {
      async find(userId, key) {
        const k = t.idempotencyKeys;
        const [row] = await db
          .select()
          .from(k)
          .where(and(eq(k.userId, userId), eq(k.key, key)))
          .limit(1);
        return row ? { ...row, outcome: JSON.parse(row.outcome) as unknown } : undefined;
      },
      async insert(record) {
        const k = t.idempotencyKeys;
        const values = { ...record, outcome: JSON.stringify(record.outcome) };
        // Replaces a record only once it has expired; a live one wins and nothing is returned.
        const rows = await db
          .insert(k)
          .values(values)
          .onConflictDoUpdate({
            target: [k.userId, k.key],
            set: { requestHash: values.requestHash, outcome: values.outcome, createdAt: values.createdAt, expiresAt: values.expiresAt },
            setWhere: sql`${k.expiresAt} <= ${at(record.createdAt)}`,
          })
          .returning({ key: k.key });
        return rows.length === 1;
      },
    },
  };
}

function toEntry(row: Tables['journalEntries']['$inferSelect']): JournalEntryRecord {
  return { ...row, metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : null };
}
