import type Database from 'better-sqlite3';
import { formatAmount, type AccountState, type MovementBalances, type MovementLine, type MovementStatement } from '@tradeplane/core';
import { balanceGuard, balanceRange, sqlText } from './balance-guard.js';

interface UpdatedAccount {
  balance: bigint;
  held: bigint;
  user_id: string | null;
  currency: string;
  kind: string;
  status: string;
  is_default: bigint;
}

/**
 * `Storage.postMovement` on SQLite: the same all-or-nothing movement as on PostgreSQL (see
 * `postgres-movement.ts`), as five statements compiled once and run synchronously, back to
 * back, inside the caller's SAVEPOINT. SQLite is in the process, so round trips cost nothing
 * here; what this saves is the general path's work in JavaScript around each statement
 * (building it through drizzle, the repositories, a promise per step), which measured as much
 * as the statements themselves.
 *
 * Returns `undefined` — the caller then rolls the savepoint back, so nothing is written — when
 * a balance update is refused (`balanceGuard`, or an account whose facts differ from
 * `expected`) or the Idempotency-Key is already stored. The writer holds SQLite's write lock
 * throughout, so reading an updated row's facts back and comparing them is as good as comparing
 * them in the statement.
 */
export function sqliteMovements(sqlite: Database.Database): (movement: MovementStatement) => [AccountState, AccountState] | undefined {
  const guard = balanceGuard(sqlText, { balance: 'balance', held: 'held', kind: 'kind', delta: '@delta', heldDelta: '0', low: '@low', high: '@high' });
  const update = sqlite.prepare<[{ id: string; delta: bigint; low: bigint; high: bigint }], UpdatedAccount>(
    `update accounts set balance = balance + @delta where id = @id and ${guard} returning balance, held, user_id, currency, kind, status, is_default`,
  );
  const insertEntry = sqlite.prepare(
    'insert into journal_entries (id, kind, reference, metadata, reverses_entry_id, actor_id, created_at) values (?, ?, ?, ?, null, ?, ?)',
  );
  const insertPostings = sqlite.prepare(
    'insert into postings (id, entry_id, account_id, currency, amount, balance_after, created_at) values (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertKey = sqlite.prepare('insert into idempotency_keys (user_id, key, request_hash, outcome, created_at, expires_at) values (?, ?, ?, ?, ?, ?)');
  const insertNotification = sqlite.prepare(
    'insert into notifications (id, user_id, type, title, body, data, read_at, created_at) values (?, ?, ?, ?, ?, ?, null, ?)',
  );

  const apply = (line: MovementLine): UpdatedAccount | undefined => {
    const row = update.get({ id: line.accountId, delta: line.delta, ...balanceRange(line.delta) });
    const e = line.expected;
    if (!row || !e) return row;
    const same = row.user_id === e.userId && row.currency === e.currency && row.kind === e.kind && row.status === e.status && row.is_default === (e.isDefault ? 1n : 0n);
    return same ? row : undefined;
  };

  return (m) => {
    const first = apply(m.lines[0]);
    const second = first && apply(m.lines[1]);
    if (!first || !second) return undefined;
    const states: [AccountState, AccountState] = [
      { balance: first.balance, held: first.held },
      { balance: second.balance, held: second.held },
    ];
    const stateOf = (accountId: string) => states[accountId === m.lines[0].accountId ? 0 : 1];
    const balances: MovementBalances = {};
    m.lines.forEach((line, i) => (balances[line.accountId] = { balance: String(states[i]!.balance), held: String(states[i]!.held) }));

    const { entry, postings, key, notification } = m;
    const at = entry.createdAt.getTime();
    insertEntry.run(entry.id, entry.kind, entry.reference, entry.metadata ? JSON.stringify(entry.metadata) : null, entry.actorId, at);
    insertPostings.run(...postings.flatMap((p) => [p.id, p.entryId, p.accountId, p.currency, p.amount, stateOf(p.accountId).balance, p.createdAt.getTime()]));
    try {
      insertKey.run(key.userId, key.key, key.requestHash, JSON.stringify({ ...key.outcome, balances }), key.createdAt.getTime(), key.expiresAt.getTime());
    } catch (error) {
      // Stored already (perhaps expired): the general path replays, or replaces an expired record.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return undefined;
      throw error;
    }
    if (notification) {
      const n = notification.record;
      // `minorUnit` is "1" or "0.0…01": its decimals are the currency's exponent.
      const exponent = notification.minorUnit === '1' ? 0 : notification.minorUnit.length - 2;
      const balance = formatAmount(stateOf(notification.balanceOf).balance, { code: m.postings[0].currency, exponent });
      insertNotification.run(n.id, n.userId, n.type, n.title, n.body, JSON.stringify({ ...n.data, balance }), n.createdAt.getTime());
    }
    return states;
  };
}
