/**
 * Ledger bench: wallet deposits/s and transfers/s through the engine's service API, against a
 * baseline of the raw driver committing one single-row INSERT per transaction on the same
 * database, all measured in this one run so the ratios hold on any machine. The target is
 * ≥ 0.5× the raw figure. Not a test: nothing here passes or fails, except that the ledger must
 * verify clean at the end (otherwise the figures measured a broken ledger and the run exits 1).
 *
 * SQLite is measured twice, each on a fresh file: with `synchronous=NORMAL` (a commit is not
 * fsynced, so the raw baseline is bound by CPU alone) and with `synchronous=FULL` (the engine's
 * default: every commit fsynced, like a durable PostgreSQL), the baseline connection set up the
 * same way.
 *
 *   pnpm bench:ledger                                         # SQLite files in a temp dir
 *   TEST_DATABASE_URL=postgres://…/postgres pnpm bench:ledger # + PostgreSQL (a fresh database, dropped after)
 *   BENCH_SECONDS=5 pnpm bench:ledger                         # measure each figure for 5 s (default 2)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { record } from './report.mjs';

// The drivers are the engine's own dependencies (not the root's): resolve them from the engine
// package, so the baseline runs the very driver versions the engine runs on.
const requireFromEngine = createRequire(createRequire(import.meta.url).resolve('@tradeplane/engine'));
const Database = requireFromEngine('better-sqlite3');
const postgres = requireFromEngine('postgres');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
if (!(SECONDS > 0)) throw new Error(`BENCH_SECONDS must be a positive number, not ${process.env.BENCH_SECONDS}`);
const WARMUP_MS = Math.min(500, SECONDS * 250);
// Each figure is measured in ROUNDS slices, interleaved with the others, and the median slice is
// reported: a burst of machine noise then hits the baseline and the ledger alike.
const ROUNDS = 4;
const CLIENTS = 16;
// Sixteen currencies with two decimals: one per worker, so deposits need not share a system account.
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'SGD', 'HKD', 'MXN', 'ZAR'];

const engineOptions = (database, synchronous = 'normal') => ({
  database,
  sqlite: { synchronous },
  mode: 'test',
  logger: silentLogger,
  auth: { jwtSecret: 'bench-secret-bench-secret-bench-secret', passwordHashing: { memoryCost: 1024, timeCost: 1 } },
  wallets: { demo: false },
  // As many pooled connections as the raw baseline's clients (the default is 10).
  postgres: { max: CLIENTS },
});

/**
 * `workers` async loops each call `op(worker)` back to back for `ms`. Returns operations per
 * second and this process's CPU time per operation (user + system): on SQLite that is nearly
 * all of the cost; on PostgreSQL it is the client's share, the rest being waits on the server.
 */
async function run(workers, op, ms) {
  let n = 0;
  const end = performance.now() + ms;
  const loop = async (w) => {
    while (performance.now() < end) {
      await op(w);
      n++;
    }
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  const elapsed = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  return { perSecond: (n / elapsed) * 1000, cpuMicros: (user + system) / n };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Measures every case `{ name: [workers, op] }`: a warm-up each (not counted), then ROUNDS rounds
 * of SECONDS / ROUNDS per case, in turn. Returns the median per case.
 */
async function measure(cases) {
  const entries = Object.entries(cases);
  for (const [, [workers, op]] of entries) await run(workers, op, WARMUP_MS);
  const samples = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, [workers, op]] of entries) samples[name].push(await run(workers, op, (SECONDS * 1000) / ROUNDS));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, xs]) => [name, { perSecond: median(xs.map((x) => x.perSecond)), cpuMicros: median(xs.map((x) => x.cpuMicros)) }]),
  );
}

let keyCounter = 0;
const key = () => `bench-${++keyCounter}`;
const num = (x) => Math.round(x).toLocaleString('en');
const ratio = (x, base) => `(${(x.perSecond / base.perSecond).toFixed(2)}×)`;
const label = (dialect, text) => `${dialect.padEnd(13)} ${text.padEnd(48)}`;
/** One figure: `sqlite   deposits/s   1,234 (0.55×)   node CPU 800 µs/op`. */
function line(dialect, text, x, base) {
  const vs = base ? ratio(x, base) : '';
  console.log(`${label(dialect, text)}${num(x.perSecond).padStart(7)} ${vs.padEnd(9)}  node CPU ${num(x.cpuMicros).padStart(5)} µs/op`);
  record('ledger', `${dialect}: ${text}`, Math.round(x.perSecond), '/s', base ? { ratio: Number((x.perSecond / base.perSecond).toFixed(3)), baseline: 'raw insert transactions', target: text.startsWith('deposits') || text.startsWith('transfers') ? '≥ 0.5' : undefined } : {});
}
const summary = (dialect, text, raw, deposits, transfers) =>
  console.log(
    `${label(dialect, text)}raw insert tx/s ${num(raw.perSecond)}   deposits/s ${num(deposits.perSecond)} ${ratio(deposits, raw)}   transfers/s ${num(transfers.perSecond)} ${ratio(transfers, raw)}`,
  );

/** A user with a default USD account (opened at sign-up) funded by one deposit, and a second, empty USD account. */
async function fundedUser(engine, name) {
  const user = await engine.auth.register({ email: `${name}-${randomBytes(4).toString('hex')}@example.com`, password: 'bench-long-passphrase' });
  const from = await engine.wallets.defaultAccount(user.id);
  const to = await engine.wallets.openAccount(user.id, { currency: 'USD' });
  await deposit(engine, from.id, 'USD', '1000000.00');
  return { userId: user.id, from: from.id, to: to.id };
}

/** Real money in: a funding source's confirmation credits the account from `external` (users cannot credit real accounts). */
const deposit = (engine, accountId, currency = 'USD', amount = '1.00') =>
  engine.wallets.funding.confirmDeposit('bench', { sourceReference: key(), accountId, amount, currency });
const transfer = (engine, u) =>
  engine.wallets.transfer(u.userId, { fromAccountId: u.from, toAccountId: u.to, amount: '0.01', currency: 'USD', idempotencyKey: key() });

/** Prints the ledger check and returns whether it was clean. */
async function verify(engine, dialect) {
  const report = await engine.wallets.verifyLedger();
  const problems = ['balanceMismatches', 'heldMismatches', 'unbalancedEntries', 'currencyImbalances', 'negativeAccounts']
    .map((k) => `${k} ${report[k].length}`)
    .join(', ');
  console.log(`${label(dialect, 'verifyLedger()')}ok: ${report.ok}   ${report.accountsChecked} accounts, ${report.entriesChecked.toLocaleString('en')} entries   (${problems})\n`);
  return report.ok;
}

/** `synchronous`: the engine's `sqlite.synchronous` option, applied to the raw baseline's connection too. */
async function benchSqlite(synchronous) {
  const dialect = `sqlite/${synchronous.toUpperCase()}`;
  const dir = mkdtempSync(join(tmpdir(), 'tp-bench-ledger-'));
  const file = join(dir, 'bench.db');
  const engine = await createEngine(engineOptions(file, synchronous));
  // A second connection to the engine's file, set up as the engine sets up its own
  // (packages/engine/src/storage/sqlite.ts). Everything below runs one thing at a time,
  // so the two connections never wait on each other's locks.
  const raw = new Database(file);
  try {
    raw.pragma('journal_mode = WAL');
    raw.pragma(`synchronous = ${synchronous.toUpperCase()}`);
    raw.pragma('busy_timeout = 5000');
    raw.pragma('wal_autocheckpoint = 4000');
    raw.pragma('temp_store = MEMORY');
    const mode = `journal_mode=${raw.pragma('journal_mode', { simple: true })}, synchronous=${['OFF', 'NORMAL', 'FULL', 'EXTRA'][raw.pragma('synchronous', { simple: true })]}`;
    console.log(`${dialect.padEnd(13)} ${file} (${mode}); one connection, one writer: measured with 1 client, then ${CLIENTS}\n`);

    raw.exec('create table bench_raw (id integer primary key, k text not null, amount integer not null, created_at integer not null)');
    const insert = raw.prepare('insert into bench_raw (k, amount, created_at) values (?, ?, ?)');
    const insertTx = raw.transaction((k) => insert.run(k, 100, Date.now())).immediate;
    const depositor = await fundedUser(engine, 'depositor');
    const mover = await fundedUser(engine, 'mover');

    const r = await measure({
      // Baseline: one single-row INSERT per transaction (BEGIN IMMEDIATE … COMMIT), raw better-sqlite3.
      raw: [1, () => insertTx(key())],
      // Deposits: one user's default account credited from the `external` system account.
      deposits: [1, () => deposit(engine, depositor.from)],
      // Transfers: 0.01 between a user's two accounts.
      transfers: [1, () => transfer(engine, mover)],
    });

    line(dialect, 'raw insert tx/s (1 INSERT per transaction)', r.raw);
    line(dialect, 'deposits/s', r.deposits, r.raw);
    line(dialect, 'transfers/s', r.transfers, r.raw);
    summary(dialect, 'summary', r.raw, r.deposits, r.transfers);

    // 16 clients, each its own user: the driver is synchronous, so the raw baseline is the same
    // one-transaction-at-a-time loop; the engine queues the clients' transactions and commits
    // those that queue together at once (group commit, see packages/engine/src/storage/sqlite.ts).
    const workers = [];
    for (let w = 0; w < CLIENTS; w++) workers.push(await fundedUser(engine, `client${w}`));
    const c = await measure({
      raw: [CLIENTS, () => insertTx(key())],
      deposits: [CLIENTS, (w) => deposit(engine, workers[w].from)],
      transfers: [CLIENTS, (w) => transfer(engine, workers[w])],
    });
    line(dialect, `raw insert tx/s, ${CLIENTS} clients`, c.raw);
    line(dialect, `deposits/s, ${CLIENTS} clients, own user each`, c.deposits, c.raw);
    line(dialect, `transfers/s, ${CLIENTS} clients, own user each`, c.transfers, c.raw);
    summary(dialect, `summary, ${CLIENTS} clients`, c.raw, c.deposits, c.transfers);
    return await verify(engine, dialect);
  } finally {
    raw.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(adminUrl) {
  // A fresh database on the server, as packages/engine/src/testing/databases.ts makes them.
  const name = `tp_bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let engine;
  let sql;
  try {
    engine = await createEngine(engineOptions(url.toString()));
    sql = postgres(url.toString(), { max: CLIENTS, onnotice: () => {} });
    const [settings] = await sql`select current_setting('server_version') as version, current_setting('synchronous_commit') as sync, current_setting('fsync') as fsync`;
    console.log(`postgres database ${name} (server ${settings.version}, synchronous_commit=${settings.sync}, fsync=${settings.fsync}); pools of ${CLIENTS} connections\n`);

    await sql`create table bench_raw (id bigserial primary key, k text not null, amount bigint not null, created_at timestamptz not null default now())`;
    const rawInsert = () => sql.begin((tx) => tx`insert into bench_raw (k, amount) values (${key()}, 100)`);

    // Worker w uses users[w] (its own two accounts, no row shared with another worker) and, for
    // spread deposits, its own account in its own currency.
    const users = [];
    for (let w = 0; w < CLIENTS; w++) users.push(await fundedUser(engine, `worker${w}`));
    const spread = [];
    for (let w = 0; w < CLIENTS; w++) {
      const code = CURRENCIES[w];
      const account = code === 'USD' ? { id: users[w].from } : await engine.wallets.openAccount(users[w].userId, { currency: code });
      spread.push({ userId: users[w].userId, code, accountId: account.id });
    }

    const r = await measure({
      // Baseline: one single-row INSERT per transaction (BEGIN; INSERT; COMMIT), raw postgres.js,
      // from 1 client and from 16 concurrent clients.
      raw1: [1, rawInsert],
      raw16: [CLIENTS, rawInsert],
      // Deposits. Every deposit also credits the currency's `external` system account, so 16
      // workers depositing USD all update that one row (a hot row: they queue on its lock even
      // though each has its own user). With a currency each, no two workers touch a common row:
      // the contention-free figure.
      dep1: [1, () => deposit(engine, users[0].from)],
      dep16hot: [CLIENTS, (w) => deposit(engine, users[w].from)],
      dep16: [CLIENTS, (w) => deposit(engine, spread[w].accountId, spread[w].code)],
      // Transfers between a user's two accounts touch no system account: 16 workers on 16 users
      // share no row (contention-free); 16 workers on one user all lock the same two rows.
      tr1: [1, () => transfer(engine, users[0])],
      tr16: [CLIENTS, (w) => transfer(engine, users[w])],
      tr16hot: [CLIENTS, () => transfer(engine, users[0])],
    });

    line('postgres', 'raw insert tx/s, 1 client', r.raw1);
    line('postgres', `raw insert tx/s, ${CLIENTS} clients`, r.raw16);
    line('postgres', 'deposits/s, 1 client', r.dep1, r.raw1);
    line('postgres', `deposits/s, ${CLIENTS} clients, own currency each`, r.dep16, r.raw16);
    line('postgres', `deposits/s, ${CLIENTS} clients, one currency (hot row)`, r.dep16hot, r.raw16);
    line('postgres', 'transfers/s, 1 client', r.tr1, r.raw1);
    line('postgres', `transfers/s, ${CLIENTS} clients, own user each`, r.tr16, r.raw16);
    line('postgres', `transfers/s, ${CLIENTS} clients, one user (hot rows)`, r.tr16hot, r.raw16);
    summary('postgres', 'summary, 1 client', r.raw1, r.dep1, r.tr1);
    summary('postgres', `summary, ${CLIENTS} clients, no shared rows`, r.raw16, r.dep16, r.tr16);
    return await verify(engine, 'postgres');
  } finally {
    await sql?.end({ timeout: 5 });
    await engine?.close();
    try {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await admin.end({ timeout: 5 });
    }
  }
}

console.log(`tradeplane ledger bench — node ${process.version}; per figure: ${WARMUP_MS} ms warm-up, then ${SECONDS} s in ${ROUNDS} interleaved rounds (median)\n`);
let ok = await benchSqlite('normal');
ok = (await benchSqlite('full')) && ok;
if (process.env.TEST_DATABASE_URL) ok = (await benchPostgres(process.env.TEST_DATABASE_URL)) && ok;
else console.log('postgres skipped: set TEST_DATABASE_URL (a server the bench may create and drop databases on)');
if (!ok) {
  console.error('ledger verification FAILED: the figures above measured a broken ledger');
  process.exitCode = 1;
}
