import type postgres from 'postgres';
import { MAX_MINOR_UNITS, type AccountState, type MovementStatement, type TextTemplate } from '@tradeplane/core';

/**
 * `Storage.postMovement` on PostgreSQL: a two-posting movement — both balance updates, the
 * journal entry, its postings, the Idempotency-Key with its stored outcome, the notification —
 * as one data-modifying statement, so one round trip and one implicit transaction instead of
 * five round trips (BEGIN, read, updates, appends, COMMIT). On this 2-core box a round trip
 * costs the client ~130 µs of CPU and a statement inside one ~20 µs, so this is what lets a
 * deposit approach a single-row INSERT transaction (see bench/ledger.mjs).
 *
 * How it stays correct:
 * - **Lock order.** The second update runs only after the first has (`exists (select from u0)`
 *   is a one-time filter, evaluated before its scan locks anything), and the service passes the
 *   lines in ascending account id order, as its general path locks them: no deadlock.
 * - **No overdraft, no overflow.** Each update carries the general path's conditions (see
 *   `applyDelta`), written so that nothing overflows before the row is chosen.
 * - **All or nothing.** A refused update returns no row; every posting's `balance_after` is a
 *   scalar subquery over both updates' rows, so it is then NULL and the NOT NULL constraint
 *   aborts the statement, taking the other update with it. A key already stored aborts it with
 *   a unique violation (waiting first, like the general path's insert, for a transaction that
 *   holds it uncommitted). Those refusals resolve to `undefined`; the service then runs its
 *   general path, which tells `insufficient_funds` from a replay from an expired key.
 * - **The stored outcome is the answer.** The outcome and the notification's data are text
 *   templates (`TextTemplate`) whose holes are filled here with the balances the updates
 *   return, formatted by exact numeric multiplication (`12345 × 0.01 = 123.45`), as
 *   `formatAmount` formats them.
 */
export async function postMovement(client: postgres.Sql, m: MovementStatement): Promise<[AccountState, AccountState] | undefined> {
  const [l0, l1] = m.lines;
  const [p0, p1] = m.postings;
  const n = m.notification;
  const iso = (d: Date) => d.toISOString();
  const params = [
    l0.accountId,
    ...line(l0.delta),
    l1.accountId,
    ...line(l1.delta),
    expected(l0),
    expected(l1),
    m.minorUnit,
    m.entry.id,
    m.entry.kind,
    m.entry.reference,
    m.entry.metadata ? JSON.stringify(m.entry.metadata) : null,
    m.entry.actorId,
    iso(m.entry.createdAt),
    p0.id,
    p0.accountId,
    p0.currency,
    String(p0.amount),
    p1.id,
    p1.accountId,
    String(p1.amount),
    m.key.userId,
    m.key.key,
    m.key.requestHash,
    formatString(m.key.outcome),
    iso(m.key.createdAt),
    iso(m.key.expiresAt),
    n?.id ?? null,
    n?.userId ?? null,
    n?.type ?? null,
    n?.title ?? null,
    n?.body ?? null,
    n ? formatString(n.data) : null,
    n ? iso(n.createdAt) : null,
  ];
  try {
    const [row] = await client.unsafe<{ b0: string; h0: string; b1: string; h1: string }[]>(MOVEMENT_SQL, params as string[], { prepare: true });
    if (!row) return undefined;
    return [
      { balance: BigInt(row.b0), held: BigInt(row.h0) },
      { balance: BigInt(row.b1), held: BigInt(row.h1) },
    ];
  } catch (error) {
    if (isRefusal(error)) return undefined;
    throw error;
  }
}

/** The update's parameters for one line: delta, −delta, and the range its balance must be in for the result to stay within ±(2^63 − 1). */
function line(delta: bigint): string[] {
  const [low, high] = delta > 0n ? [-MAX_MINOR_UNITS, MAX_MINOR_UNITS - delta] : [-MAX_MINOR_UNITS - delta, MAX_MINOR_UNITS];
  return [String(delta), String(-delta), String(low), String(high)];
}

/** What the account's facts must still be, in the form `update` compares them, or NULL. */
function expected(line: MovementStatement['lines'][number]): string | null {
  const e = line.expected;
  return e ? [e.userId ?? '', e.currency, e.kind, e.status, e.isDefault ? 1 : 0].join('|') : null;
}

/**
 * A template as a `format()` string: its text with `%` doubled, and each hole `%n$s`, `n` the
 * 1-based index into the statement's six formatted amounts. One call of a built-in fills it.
 */
function formatString(t: TextTemplate): string {
  const index = { balance: 1, held: 2, available: 3 } as const;
  const escape = (part: string) => part.replaceAll('%', '%%');
  return t.holes.reduce((text, hole, i) => `${text}%${hole.line * 3 + index[hole.value]}$s${escape(t.parts[i + 1]!)}`, escape(t.parts[0]!));
}

/** The statement refused the movement and wrote nothing (see above); anything else is a real failure. */
function isRefusal(error: unknown): boolean {
  const e = error as { code?: string; table_name?: string };
  // A refused update leaves the postings' balance_after (and the key's outcome) NULL.
  if (e.code === '23502') return e.table_name === 'postings' || e.table_name === 'idempotency_keys';
  if (e.code === '23505') return e.table_name === 'idempotency_keys';
  // An arithmetic overflow the bounds should have ruled out: the general path reports it properly.
  return e.code === '22003';
}

/** A template's text filled with `texts` (the six amounts); NULL without a row in `v`. */
const filled = (template: string) => `(select format(${template}, variadic v.texts) from v)`;

/** A line's update: refused (no row) when it would overdraw a user account or leave the 64-bit range. */
const update = (name: string, id: string, delta: string, negated: string, low: string, high: string, expected: string, after = '') => `${name} as (
    update accounts set balance = balance + ${delta}::bigint
    where id = ${id} and balance between ${low}::bigint and ${high}::bigint and (kind = 'system' or balance - held >= ${negated}::bigint)
      and (${expected}::text is null or concat_ws('|', coalesce(user_id, ''), currency, kind, status, is_default::int) = ${expected})${after}
    returning balance, held)`;

const MOVEMENT_SQL = `with
  ${update('u0', '$1', '$2', '$3', '$4', '$5', '$11')},
  ${update('u1', '$6', '$7', '$8', '$9', '$10', '$12', '\n      and exists (select from u0)')},
  v as (
    select u0.balance as b0, u0.held as h0, u1.balance as b1, u1.held as h1,
      array[(u0.balance * $13::numeric)::text, (u0.held * $13::numeric)::text, ((u0.balance - u0.held) * $13::numeric)::text,
            (u1.balance * $13::numeric)::text, (u1.held * $13::numeric)::text, ((u1.balance - u1.held) * $13::numeric)::text] as texts
    from u0, u1),
  e as (
    insert into journal_entries (id, kind, reference, metadata, reverses_entry_id, actor_id, created_at)
    values ($14, $15, $16, $17, null, $18, $19::timestamptz)),
  p as (
    insert into postings (id, entry_id, account_id, currency, amount, balance_after, created_at) values
      ($20, $14, $21, $22, $23::bigint, (select case when $21 = $1 then b0 else b1 end from v), $19::timestamptz),
      ($24, $14, $25, $22, $26::bigint, (select case when $25 = $1 then b0 else b1 end from v), $19::timestamptz)),
  k as (
    insert into idempotency_keys (user_id, key, request_hash, outcome, created_at, expires_at)
    values ($27, $28, $29, ${filled('$30::text')}, $31::timestamptz, $32::timestamptz)),
  n as (
    insert into notifications (id, user_id, type, title, body, data, read_at, created_at)
    select $33, $34, $35, $36, $37, ${filled('$38::text')}, null, $39::timestamptz
    where $33::text is not null)
select b0::text as b0, h0::text as h0, b1::text as b1, h1::text as h1 from v`;
