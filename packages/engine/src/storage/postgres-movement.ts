import type postgres from 'postgres';
import type { AccountState, MovementStatement } from '@tradeplane/core';
import { balanceGuard, balanceRange, sqlText } from './balance-guard.js';

/**
 * `Storage.postMovement` on PostgreSQL: a two-posting movement — both balance updates, the
 * journal entry, its postings, the Idempotency-Key with its stored outcome, the notification —
 * as one data-modifying statement, so one round trip and one implicit transaction instead of
 * five round trips (BEGIN, read, updates, appends, COMMIT): a round trip costs the client far
 * more CPU than a statement inside one (see bench/ledger.mjs and bench/RESULTS.md). Movements
 * that arrive together share one statement (`movementBatcher`, `BATCH_SQL` below); this one is
 * for a movement alone, and for each movement of a shared statement that failed.
 *
 * How it stays correct:
 * - **Lock order.** The second update runs only after the first has (`exists (select from u0)`
 *   is a one-time filter, evaluated before its scan locks anything), and the service passes the
 *   lines in ascending account id order, as its general path locks them: no deadlock.
 * - **No overdraft, no overflow.** Each update carries the ledger's one rule (`balanceGuard`).
 * - **All or nothing.** A refused update returns no row; every posting's `balance_after` is a
 *   scalar subquery over both updates' rows, so it is then NULL and the NOT NULL constraint
 *   aborts the statement, taking the other update with it. A key already stored aborts it with
 *   a unique violation (waiting first, like the general path's insert, for a transaction that
 *   holds it uncommitted). Those refusals resolve to `undefined`; the service then runs its
 *   general path, which tells `insufficient_funds` from a replay from an expired key.
 * - **The resulting balances are stored as data.** The key's outcome gets them as `balances`
 *   (by account id, minor units), from which a replay renders its answer; the notification's
 *   data gets `balance`, formatted by exact numeric multiplication (`12345 × 0.01 = 123.45`),
 *   as `formatAmount` formats it.
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
    JSON.stringify(m.key.outcome),
    iso(m.key.createdAt),
    iso(m.key.expiresAt),
    n?.record.id ?? null,
    n?.record.userId ?? null,
    n?.record.type ?? null,
    n?.record.title ?? null,
    n?.record.body ?? null,
    n ? JSON.stringify(n.record.data ?? {}) : null,
    n ? iso(n.record.createdAt) : null,
    n?.balanceOf ?? null,
    n?.minorUnit ?? null,
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

/** A line's parameters: its delta and the range its balance must be in (`balanceRange`). */
function line(delta: bigint): string[] {
  const { low, high } = balanceRange(delta);
  return [String(delta), String(low), String(high)];
}

/** What the account's facts must still be, in the form `update` compares them, or NULL. */
function expected(line: MovementStatement['lines'][number]): string | null {
  const e = line.expected;
  return e ? [e.userId ?? '', e.currency, e.kind, e.status, e.isDefault ? 1 : 0].join('|') : null;
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

/** A JSON object's text with one more member, last: `{…, "name": value}` (`value` JSON text). */
const withMember = (object: string, name: string, value: string) =>
  `left(${object}, -1) || case when ${object} = '{}' then '' else ',' end || '"${name}":' || ${value} || '}'`;

/** A balance (bigint) as a decimal amount's JSON string, one minor unit being worth `minorUnit`. */
const amountJson = (minor: string, minorUnit: string) => `to_json((${minor} * ${minorUnit}::numeric)::text)::text`;

/** A movement's resulting balances as its stored outcome keeps them (`MovementBalances`). */
const balancesJson = (lines: [string, string, string][]) =>
  `json_build_object(${lines.map(([id, balance, held]) => `${id}::text, json_build_object('balance', ${balance}::text, 'held', ${held}::text)`).join(', ')})::text`;

/** A line's update: refused (no row) when the ledger's rule or the remembered facts say no. */
const update = (name: string, id: string, delta: string, low: string, high: string, expected: string, after = '') => `${name} as (
    update accounts set balance = balance + ${delta}::bigint
    where id = ${id} and ${balanceGuard(sqlText, { balance: 'balance', held: 'held', kind: 'kind', delta: `${delta}::bigint`, heldDelta: '0', low: `${low}::bigint`, high: `${high}::bigint` })}
      and (${expected}::text is null or concat_ws('|', coalesce(user_id, ''), currency, kind, status, is_default::int) = ${expected})${after}
    returning balance, held)`;

const MOVEMENT_SQL = `with
  ${update('u0', '$1', '$2', '$3', '$4', '$9')},
  ${update('u1', '$5', '$6', '$7', '$8', '$10', '\n      and exists (select from u0)')},
  v as (select u0.balance as b0, u0.held as h0, u1.balance as b1, u1.held as h1 from u0, u1),
  e as (
    insert into journal_entries (id, kind, reference, metadata, reverses_entry_id, actor_id, created_at)
    values ($11, $12, $13, $14, null, $15, $16::timestamptz)),
  p as (
    insert into postings (id, entry_id, account_id, currency, amount, balance_after, created_at) values
      ($17, $11, $18, $19, $20::bigint, (select case when $18 = $1 then b0 else b1 end from v), $16::timestamptz),
      ($21, $11, $22, $19, $23::bigint, (select case when $22 = $1 then b0 else b1 end from v), $16::timestamptz)),
  k as (
    insert into idempotency_keys (user_id, key, request_hash, outcome, created_at, expires_at)
    values ($24, $25, $26, (select ${withMember('$27::text', 'balances', balancesJson([['$1', 'b0', 'h0'], ['$5', 'b1', 'h1']]))} from v), $28::timestamptz, $29::timestamptz)),
  n as (
    insert into notifications (id, user_id, type, title, body, data, read_at, created_at)
    select $30, $31, $32, $33, $34, ${withMember('$35::text', 'balance', amountJson('case when $37::text = $1 then b0 else b1 end', '$38'))}, null, $36::timestamptz
    from v where $30::text is not null)
select b0::text as b0, h0::text as h0, b1::text as b1, h1::text as h1 from v`;

/**
 * Several movements as one statement (see `movementBatcher`), their keys all different. Every
 * account is locked first, in ascending id order (the order every other writer locks in). Then
 * each line is checked by the ledger's rule (`balanceGuard`) against the balance it would apply
 * to: the locked balance plus the lines before it on that account in the statement (movement
 * order). The movements whose lines all pass are written whole, an account's lines applied in
 * order with running balances; the others write nothing and get no row back. Two cases abort
 * the whole statement, writing nothing (the caller then posts each movement alone): a refused
 * movement on a user account that another movement here also uses (the balances checked after
 * it counted its line), and a balance that would leave the 64-bit range (the bigint casts).
 */
const BATCH_SQL = `with
  l as (select * from unnest($1::int[], $2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[]) as l(i, j, account_id, delta, low, high, expected)),
  locked as materialized (
    select id, balance, held, kind, concat_ws('|', coalesce(user_id, ''), currency, kind, status, is_default::int) as facts
    from accounts where id = any($3::text[]) order by id for no key update),
  s as (
    select l.*, k.balance, k.held, k.kind, k.facts,
      k.balance + sum(l.delta) over (partition by l.account_id order by l.i) as running,
      count(*) over (partition by l.account_id) as uses
    from l join locked k on k.id = l.account_id),
  c as (
    select s.*,
      ${balanceGuard(sqlText, { balance: '(running - delta)', held: 'held', kind: 'kind', delta: 'delta', heldDelta: '0', low: 'low', high: 'high' })}
        and (expected is null or facts = expected) as fits
    from s),
  ok as (select i from c group by i having bool_and(fits) and count(*) = 2),
  r as (
    select c.i, c.j, c.account_id, c.held,
      (c.balance + sum(c.delta) over (partition by c.account_id order by c.i))::bigint
        -- Aborts (division by zero) when a refused movement shares a user account with another.
        + 0 / (select case when exists (select from c where kind <> 'system' and uses > 1 and i not in (select i from ok)) then 0 else 1 end) as after
    from c join ok using (i)),
  u as (
    update accounts a set balance = t.after
    from (select distinct on (account_id) account_id, after from r order by account_id, i desc) t
    where a.id = t.account_id),
  v as (
    select r.i, json_object_agg(r.account_id, json_build_object('balance', r.after::text, 'held', r.held::text) order by r.j)::text as balances
    from r group by r.i),
  e as (
    insert into journal_entries (id, kind, reference, metadata, reverses_entry_id, actor_id, created_at)
    select x.id, x.kind, x.reference, x.metadata, null, x.actor_id, x.created_at
    from unnest($8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[]) as x(i, id, kind, reference, metadata, actor_id, created_at)
    join ok using (i)),
  p as (
    insert into postings (id, entry_id, account_id, currency, amount, balance_after, created_at)
    select x.id, x.entry_id, x.account_id, x.currency, x.amount, r.after, x.created_at
    from unnest($15::int[], $16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::timestamptz[]) as x(i, id, entry_id, account_id, currency, amount, created_at)
    join r on r.i = x.i and r.account_id = x.account_id),
  k as (
    insert into idempotency_keys (user_id, key, request_hash, outcome, created_at, expires_at)
    select x.user_id, x.key, x.request_hash, ${withMember('x.outcome', 'balances', 'v.balances')}, x.created_at, x.expires_at
    from unnest($22::int[], $23::text[], $24::text[], $25::text[], $26::text[], $27::timestamptz[], $28::timestamptz[]) as x(i, user_id, key, request_hash, outcome, created_at, expires_at)
    join v using (i)),
  n as (
    insert into notifications (id, user_id, type, title, body, data, read_at, created_at)
    select x.id, x.user_id, x.type, x.title, x.body, ${withMember('x.data', 'balance', amountJson('r.after', 'x.minor_unit'))}, null, x.created_at
    from unnest($29::int[], $30::text[], $31::text[], $32::text[], $33::text[], $34::text[], $35::text[], $36::timestamptz[], $37::text[], $38::text[])
      as x(i, id, user_id, type, title, body, data, created_at, balance_of, minor_unit)
    join r on r.i = x.i and r.account_id = x.balance_of)
select i, j, after::text as balance, held::text as held from r`;

/** What `movementBatcher` needs of a movement's caller. */
interface Waiting {
  movement: MovementStatement;
  resolve(states: [AccountState, AccountState] | undefined): void;
  reject(error: unknown): void;
}

export interface MovementBatcherOptions {
  /** Statements in flight at once; movements that arrive meanwhile wait and go together. */
  inFlight: number;
  /** The most movements in one statement. */
  maxBatch: number;
}

/**
 * `Storage.postMovement` with group commit: movements that arrive while statements are running
 * wait for their turn (at most `inFlight` statements at once), and then go together as one
 * statement (`BATCH_SQL`) — one round trip, one plan start, one commit and WAL flush for all of
 * them. On a 2-core box under concurrent load those per-statement costs are most of a
 * movement's CPU, on the server and in the client (measured with 16 clients: ~550 µs server +
 * ~390 µs client per deposit alone, ~210 + ~170 in statements of up to 8). A full statement's
 * worth goes at once, so the next statement is being built while the last one runs; a movement
 * that finds nothing running goes at once, alone, as the single statement: a lone caller waits
 * for nothing.
 *
 * A statement's movements have different keys (a repeated key waits for the next); a refused
 * movement writes nothing and resolves to `undefined`, as alone. If the whole statement fails —
 * a key stored meanwhile by another statement (a unique violation), a refused movement on an
 * account another one in it also uses, a balance out of range, a lost connection — nothing of
 * it was written, and each movement is posted alone, which tells those cases apart.
 */
export function movementBatcher(client: postgres.Sql, options: MovementBatcherOptions): (movement: MovementStatement) => Promise<[AccountState, AccountState] | undefined> {
  let queue: Waiting[] = [];
  let running = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || running >= options.inFlight || queue.length === 0) return;
    scheduled = true;
    // After this turn's I/O callbacks: movements that arrive together go together.
    setImmediate(flush);
  };

  function flush(): void {
    scheduled = false;
    while (running < options.inFlight && queue.length > 0) {
      const batch = take();
      running++;
      void send(batch).finally(() => {
        running--;
        schedule();
      });
    }
  }

  /** The next statement's movements: from the front of the queue, skipping any whose key is already in it. */
  function take(): Waiting[] {
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const keys = new Set<string>();
    for (const waiting of queue) {
      const { key } = waiting.movement;
      const keyId = `${key.userId}\u0000${key.key}`;
      if (batch.length >= options.maxBatch || keys.has(keyId)) rest.push(waiting);
      else {
        batch.push(waiting);
        keys.add(keyId);
      }
    }
    queue = rest;
    return batch;
  }

  async function send(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Waiting];
      await postMovement(client, only.movement).then(only.resolve, only.reject);
      return;
    }
    let rows: { i: number; j: number; balance: string; held: string }[];
    try {
      rows = await client.unsafe(BATCH_SQL, batchParams(batch.map((w) => w.movement)), { prepare: true });
    } catch {
      // Nothing was written (or, had the connection dropped after the commit, every key was, and
      // each is replayed): each alone, which refuses, replays or reports properly.
      await Promise.all(batch.map((w) => postMovement(client, w.movement).then(w.resolve, w.reject)));
      return;
    }
    const states = batch.map(() => [] as AccountState[]);
    for (const row of rows) states[Number(row.i)]![Number(row.j)] = { balance: BigInt(row.balance), held: BigInt(row.held) };
    batch.forEach((w, i) => w.resolve(states[i]!.length === 2 ? (states[i] as [AccountState, AccountState]) : undefined));
  }

  return (movement) =>
    new Promise((resolve, reject) => {
      queue.push({ movement, resolve, reject });
      // A full statement's worth goes now, while the callers behind it are still being served;
      // so does a movement that finds nothing running (a lone caller waits for no turn).
      if ((queue.length >= options.maxBatch || running === 0) && running < options.inFlight) flush();
      else schedule();
    });
}

/** `BATCH_SQL`'s parameters: an array literal per field, rows tied to their movement by index `i`. */
function batchParams(movements: MovementStatement[]): string[] {
  const columns = Array.from({ length: 38 }, () => [] as (string | number | null)[]);
  const push = (from: number, ...values: (string | number | null)[]) => values.forEach((v, n) => columns[from + n]!.push(v));
  const iso = (d: Date) => d.toISOString();
  movements.forEach((m, i) => {
    m.lines.forEach((l, j) => push(0, i, j, l.accountId, ...line(l.delta), expected(l)));
    const e = m.entry;
    push(7, i, e.id, e.kind, e.reference, e.metadata ? JSON.stringify(e.metadata) : null, e.actorId, iso(e.createdAt));
    for (const p of m.postings) push(14, i, p.id, e.id, p.accountId, p.currency, String(p.amount), iso(e.createdAt));
    const k = m.key;
    push(21, i, k.userId, k.key, k.requestHash, JSON.stringify(k.outcome), iso(k.createdAt), iso(k.expiresAt));
    const n = m.notification;
    if (n) {
      const r = n.record;
      push(28, i, r.id, r.userId, r.type, r.title, r.body, JSON.stringify(r.data ?? {}), iso(r.createdAt), n.balanceOf, n.minorUnit);
    }
  });
  return columns.map(arrayLiteral);
}

/** A PostgreSQL array literal (text form): each element quoted, backslash and `"` escaped, null as NULL. */
function arrayLiteral(values: (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}
