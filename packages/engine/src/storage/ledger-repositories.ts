import { and, asc, desc, eq, gte, inArray, lt, lte, ne, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import {
  type AccountRecord,
  type HoldRecord,
  type JournalEntryRecord,
  type LedgerCheck,
  type PostingRecord,
  type PostingWithEntry,
  type Repositories,
} from '@tradeplane/core';
import { balanceGuard, balanceRange } from './balance-guard.js';
import { placeholders, slot, type QueryDb, type Statements, type Tables } from './query-kit.js';

type LedgerRepositories = Pick<Repositories, 'accounts' | 'journal' | 'holds' | 'idempotency'>;

/** An aggregate arrives as bigint (SQLite, safe integers) or as a decimal string (PostgreSQL numeric). */
/** An aggregate (sum, count) as a bigint: SQLite returns bigint, PostgreSQL a numeric string, an empty set null. */
export const toBigInt = (value: unknown): bigint => (value === null || value === undefined ? 0n : BigInt(value as string | number | bigint));

/**
 * The ledger's repositories, written once for both databases like the others (see
 * `repositories.ts`). Money columns are signed 64-bit integers in both schemas, so balance
 * arithmetic and the overdraft CHECK run in the database; amounts are bound through the column
 * (`sql.param(value, column)`) so each driver receives its own encoding.
 *
 * Every statement of a money movement (deposit, withdrawal, transfer, holds, the idempotency
 * key) is prepared once (`statements.prepared`) with `sql.placeholder`s: building and preparing
 * them cost more than running them.
 */
export function createLedgerRepositories(db: QueryDb, t: Tables, statements: Statements): LedgerRepositories {
  const a = t.accounts;
  const k = t.idempotencyKeys;
  const rows = async <T>(query: { execute(values?: Record<string, unknown>): PromiseLike<unknown> }, values: Record<string, unknown>) =>
    (await query.execute(values)) as T[];

  const ensureSystemQuery = statements.prepared('tp_account_ensure_system', (db) =>
    db
      .insert(a)
      .values({
        id: sql.placeholder('id'),
        userId: null,
        currency: sql.placeholder('currency'),
        kind: 'system',
        systemCode: sql.placeholder('code'),
        isDefault: false,
        status: 'active',
        balance: 0n,
        held: 0n,
        createdAt: sql.placeholder('now'),
      })
      .onConflictDoNothing()
      .returning({ id: a.id }),
  );
  const accountByIdQuery = statements.prepared('tp_account_by_id', (db) => db.select().from(a).where(eq(a.id, sql.placeholder('id'))).limit(1));
  // `is_default` as a literal, in the very form of the partial unique index's predicate: a bound
  // value makes SQLite recompile the statement at every call (the plan may use the index only if
  // the value is 1), which tripled the cost of the read behind `GET /wallet`.
  const isDefault = statements.dialect === 'sqlite' ? sql`${a.isDefault} = 1` : sql`${a.isDefault}`;
  const defaultAccountQuery = statements.prepared('tp_account_default', (db) =>
    db
      .select()
      .from(a)
      .where(and(eq(a.userId, sql.placeholder('userId')), isDefault))
      .limit(1),
  );
  const applyDeltaQuery = statements.prepared('tp_account_apply', (db) => {
    const heldDelta = slot('heldDelta', a.held);
    const guard = balanceGuard<SQLWrapper, SQL>(sql, { balance: a.balance, held: a.held, kind: a.kind, delta: slot('delta', a.balance), heldDelta, low: slot('low', a.balance), high: slot('high', a.balance) });
    return db
      .update(a)
      .set({ balance: sql`${a.balance} + ${slot('delta', a.balance)}`, held: sql`${a.held} + ${heldDelta}` })
      .where(and(eq(a.id, sql.placeholder('id')), guard))
      .returning({ balance: a.balance, held: a.held });
  });

  const e = t.journalEntries;
  const insertEntryQuery = statements.prepared('tp_journal_entry_insert', (db) =>
    db.insert(e).values(placeholders('id', 'kind', 'reference', 'metadata', 'reversesEntryId', 'actorId', 'createdAt')),
  );
  /** One multi-row INSERT per number of postings (two, nearly always). */
  const insertPostingsQueries = new Map<number, ReturnType<Statements['prepared']>>();
  const insertPostingsQuery = (n: number) => {
    let query = insertPostingsQueries.get(n);
    if (query === undefined) {
      query = statements.prepared(`tp_postings_insert_${n}`, (db) =>
        db.insert(t.postings).values(
          Array.from({ length: n }, (_, i) => ({
            id: sql.placeholder(`id${i}`),
            entryId: sql.placeholder(`entryId${i}`),
            accountId: sql.placeholder(`accountId${i}`),
            currency: sql.placeholder(`currency${i}`),
            amount: sql.placeholder(`amount${i}`),
            // The entry's balance updates ran first in this transaction, so this is the new balance.
            balanceAfter: sql`(select ${a.balance} from ${a} where ${a.id} = ${slot(`accountId${i}`, a.id)})` as unknown as bigint,
            createdAt: sql.placeholder(`createdAt${i}`),
          })),
        ),
      );
      insertPostingsQueries.set(n, query);
    }
    return query;
  };

  const h = t.holds;
  const insertHoldQuery = statements.prepared('tp_hold_insert', (db) =>
    db.insert(h).values({
      ...placeholders('id', 'accountId', 'amount', 'status', 'reference', 'createdAt', 'entryId'),
      expiresAt: slot('expiresAt', h.expiresAt) as unknown as Date,
      resolvedAt: slot('resolvedAt', h.resolvedAt) as unknown as Date,
      capturedAmount: slot('capturedAmount', h.capturedAmount) as unknown as bigint,
    }),
  );
  const holdByIdQuery = statements.prepared('tp_hold_by_id', (db) => db.select().from(h).where(eq(h.id, sql.placeholder('id'))).limit(1));
  const resolveHoldQuery = statements.prepared('tp_hold_resolve', (db) =>
    db
      .update(h)
      .set({
        status: slot('status', h.status),
        resolvedAt: slot('resolvedAt', h.resolvedAt),
        capturedAmount: slot('capturedAmount', h.capturedAmount),
        entryId: slot('entryId', h.entryId),
      })
      .where(and(eq(h.id, sql.placeholder('id')), eq(h.status, 'pending')))
      .returning(),
  );
  const expiredHoldsOfAccountQuery = statements.prepared('tp_holds_expired_of_account', (db) =>
    db
      .select()
      .from(h)
      .where(and(eq(h.status, 'pending'), lte(h.expiresAt, slot('now', h.expiresAt)), eq(h.accountId, sql.placeholder('accountId'))))
      .orderBy(asc(h.expiresAt), asc(h.id))
      .limit(sql.placeholder('limit')),
  );

  const findKeyQuery = statements.prepared('tp_idempotency_find', (db) =>
    db
      .select()
      .from(k)
      .where(and(eq(k.userId, sql.placeholder('userId')), eq(k.key, sql.placeholder('key'))))
      .limit(1),
  );
  const insertKeyQuery = statements.prepared('tp_idempotency_insert', (db) =>
    db
      .insert(k)
      .values(placeholders('userId', 'key', 'requestHash', 'outcome', 'createdAt', 'expiresAt'))
      // Replaces a record only once it has expired; a live one wins and nothing is returned.
      .onConflictDoUpdate({
        target: [k.userId, k.key],
        set: {
          requestHash: sql`excluded.request_hash`,
          outcome: sql`excluded.outcome`,
          createdAt: sql`excluded.created_at`,
          expiresAt: sql`excluded.expires_at`,
        },
        setWhere: sql`${k.expiresAt} <= excluded.created_at`,
      })
      .returning({ key: k.key }),
  );

  return {
    accounts: {
      async insert(account) {
        await db.insert(a).values(account);
      },
      async ensureSystem(code, currency, now) {
        // Deterministic ids, so callers can remember them once the row is known to exist.
        const id = `sys_${code}_${currency}`;
        // A conflict means the row is committed: PostgreSQL waits for an in-flight insert of it to end.
        const inserted = await rows(ensureSystemQuery, { id, currency, code, now });
        return { id, existed: inserted.length === 0 };
      },
      async findById(id) {
        const [row] = await rows<AccountRecord>(accountByIdQuery, { id });
        return row;
      },
      async findDefault(userId) {
        const [row] = await rows<AccountRecord>(defaultAccountQuery, { userId });
        return row;
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
        const { low, high } = balanceRange(delta);
        const [row] = await rows<{ balance: bigint; held: bigint }>(applyDeltaQuery, { id, delta, heldDelta, low, high });
        return row;
      },
    },

    journal: {
      async insert(entry, postings) {
        const entryInserted = insertEntryQuery.execute({
          id: entry.id,
          kind: entry.kind,
          reference: entry.reference,
          metadata: entry.metadata ? JSON.stringify(entry.metadata) : null,
          reversesEntryId: entry.reversesEntryId,
          actorId: entry.actorId,
          createdAt: entry.createdAt,
        });
        const values: Record<string, unknown> = {};
        postings.forEach((p, i) => {
          values[`id${i}`] = p.id;
          values[`entryId${i}`] = p.entryId;
          values[`accountId${i}`] = p.accountId;
          values[`currency${i}`] = p.currency;
          values[`amount${i}`] = p.amount;
          values[`createdAt${i}`] = p.createdAt;
        });
        // Sent together (on PostgreSQL one round trip); the connection runs them in this order, so
        // the entry exists when its postings reference it. Both settle before anything else runs.
        const [entry_, postings_] = await Promise.allSettled([entryInserted, insertPostingsQuery(postings.length).execute(values)]);
        if (entry_.status === 'rejected') throw entry_.reason;
        if (postings_.status === 'rejected') throw postings_.reason;
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
        await insertHoldQuery.execute({ ...hold });
      },
      async findById(id) {
        const [row] = await rows<HoldRecord>(holdByIdQuery, { id });
        return row;
      },
      async resolve(id, { status, at: resolvedAt, capturedAmount, entryId }) {
        const [row] = await rows<HoldRecord>(resolveHoldQuery, { id, status, resolvedAt, capturedAmount: capturedAmount ?? null, entryId: entryId ?? null });
        return row;
      },
      async listExpired(now, accountId, limit = 500) {
        // The per-account sweep runs inside money movements (a refused debit): prepared.
        if (accountId !== undefined) return rows<HoldRecord>(expiredHoldsOfAccountQuery, { now, accountId, limit });
        const found = await db
          .select()
          .from(h)
          .where(and(eq(h.status, 'pending'), lte(h.expiresAt, now)))
          .orderBy(asc(h.expiresAt), asc(h.id))
          .limit(limit);
        return found as HoldRecord[];
      },
    },

    idempotency: {
      async find(userId, key) {
        const [row] = await rows<Tables['idempotencyKeys']['$inferSelect']>(findKeyQuery, { userId, key });
        return row ? { ...row, outcome: JSON.parse(row.outcome) as unknown } : undefined;
      },
      async insert(record) {
        const inserted = await rows(insertKeyQuery, { ...record, outcome: JSON.stringify(record.outcome) });
        return inserted.length === 1;
      },
      async purgeExpired(now) {
        const k = t.idempotencyKeys;
        return (await db.delete(k).where(lt(k.expiresAt, now)).returning({ key: k.key })).length;
      },
    },
  };
}

function toEntry(row: Tables['journalEntries']['$inferSelect']): JournalEntryRecord {
  return { ...row, metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : null };
}
