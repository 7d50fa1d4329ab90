/**
 * Ledger bench: wallet deposits/s and transfers/s through the engine's service API, against a
 * baseline of the raw driver committing one single-row INSERT per transaction on the same
 * database, all measured in this one run so the ratios hold on any machine. The target is
 * ≥ 0.5× the raw figure. Not a test: nothing here passes or fails, except that the ledger must
 * verify clean at the end (otherwise the figures measured a broken ledger and the run exits 1).
 *
 *   pnpm bench:ledger                                        # SQLite file in a temp dir
 *   TEST_DATABASE_URL=postgres://…/postgres pnpm bench:ledger # + PostgreSQL (a fresh database, dropped after)
 *   BENCH_SECONDS=5 pnpm bench:ledger                        # measure each figure for 5 s (default 2)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';

// The drivers are the engine's own dependencies (not the root's): resolve them from the engine
// package, so the baseline runs the very driver versions the engine runs on.
const requireFromEngine = createRequire(import.meta.resolve('@tradeplane/engine'));
const Database = requireFromEngine('better-sqlite3');
const postgres = requireFromEngine('postgres');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
if (!(SECONDS > 0)) throw new Error(`BENCH_SECONDS must be a positive number, not ${process.env.BENCH_SECONDS}`);
const WARMUP_MS = Math.min(500, SECONDS * 250);
const CLIENTS = 16;
// Sixteen currencies with two decimals: one per worker, so deposits need not share a system account.
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'SGD', 'HKD', 'MXN', 'ZAR'];

const engineOptions = (database) => ({
  database,
  mode: 'test',
  logger: silentLogger,
  auth: { jwtSecret: 'bench-secret-bench-secret-bench-secret', passwordHashing: { memoryCost: 1024, timeCost: 1 } },
  wallets: { demo: false },
  // As many pooled connections as the raw baseline's clients (the default is 10).
  postgres: { max: CLIENTS },
});

/**
 * Operations per second: `workers` async loops each call `op(worker)` back to back for
 * `SECONDS`, after a short warm-up whose operations are not counted.
 */
async function rate(workers, op) {
  const run = async (ms) => {
    let n = 0;
    const end = performance.now() + ms;
    const loop = async (w) => {
      while (performance.now() < end) {
        await op(w);
        n++;
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
    return (n / (performance.now() - start)) * 1000;
  };
  await run(WARMUP_MS);
  return run(SECONDS * 1000);
}

let keyCounter = 0;
const key = () => `bench-${++keyCounter}`;
const num = (x) => Math.round(x).toLocaleString('en').padStart(7);
const ratio = (x, base) => `(${(x / base).toFixed(2)}×)`;
const label = (dialect, text) => `${dialect.padEnd(8)} ${text.padEnd(44)}`;

/** A user with a default USD account (opened at sign-up) funded by one deposit, and a second, empty USD account. */
async function fundedUser(engine, name) {
  const user = await engine.auth.register({ email: `${name}-${randomBytes(4).toString('hex')}@example.com`, password: 'bench-long-passphrase' });
  const from = await engine.wallets.defaultAccount(user.id);
  const to = await engine.wallets.openAccount(user.id, { currency: 'USD' });
  await engine.wallets.deposit(user.id, { amount: '1000000.00', currency: 'USD', idempotencyKey: key() });
  return { userId: user.id, from: from.id, to: to.id };
}

const deposit = (engine, userId, currency = 'USD', accountId = undefined) =>
  engine.wallets.deposit(userId, { amount: '1.00', currency, accountId, idempotencyKey: key() });
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

async function benchSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'tp-bench-ledger-'));
  const file = join(dir, 'bench.db');
  const engine = await createEngine(engineOptions(file));
  // A second connection to the engine's file, set up as the engine sets up its own
  // (packages/engine/src/storage/sqlite.ts). Everything below runs one thing at a time,
  // so the two connections never wait on each other's locks.
  const raw = new Database(file);
  try {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 5000');
    const mode = `journal_mode=${raw.pragma('journal_mode', { simple: true })}, synchronous=${['OFF', 'NORMAL', 'FULL', 'EXTRA'][raw.pragma('synchronous', { simple: true })]}`;
    console.log(`sqlite   ${file} (${mode}); one connection, one writer: measured with 1 client\n`);

    // 1. Baseline: one single-row INSERT per transaction (BEGIN IMMEDIATE … COMMIT), raw better-sqlite3.
    raw.exec('create table bench_raw (id integer primary key, k text not null, amount integer not null, created_at integer not null)');
    const insert = raw.prepare('insert into bench_raw (k, amount, created_at) values (?, ?, ?)');
    const insertTx = raw.transaction((k) => insert.run(k, 100, Date.now())).immediate;
    const rawRate = await rate(1, () => insertTx(key()));

    // 2. Deposits: one user's default account credited from the `external` system account.
    const depositor = await fundedUser(engine, 'depositor');
    const depositRate = await rate(1, () => deposit(engine, depositor.userId));

    // 3. Transfers: 0.01 between a user's two accounts.
    const mover = await fundedUser(engine, 'mover');
    const transferRate = await rate(1, () => transfer(engine, mover));

    console.log(`${label('sqlite', 'raw insert tx/s (1 INSERT per transaction)')}${num(rawRate)}`);
    console.log(`${label('sqlite', 'deposits/s')}${num(depositRate)} ${ratio(depositRate, rawRate)}`);
    console.log(`${label('sqlite', 'transfers/s')}${num(transferRate)} ${ratio(transferRate, rawRate)}`);
    console.log(`${label('sqlite', 'summary')}raw insert tx/s ${num(rawRate).trim()}   deposits/s ${num(depositRate).trim()} ${ratio(depositRate, rawRate)}   transfers/s ${num(transferRate).trim()} ${ratio(transferRate, rawRate)}`);
    return await verify(engine, 'sqlite');
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

    // 1. Baseline: one single-row INSERT per transaction (BEGIN; INSERT; COMMIT), raw postgres.js,
    //    from 1 client and from 16 concurrent clients.
    await sql`create table bench_raw (id bigserial primary key, k text not null, amount bigint not null, created_at timestamptz not null default now())`;
    const rawInsert = () => sql.begin((tx) => tx`insert into bench_raw (k, amount) values (${key()}, 100)`);
    const raw1 = await rate(1, rawInsert);
    const raw16 = await rate(CLIENTS, rawInsert);

    // Users for the ledger runs: worker w uses users[w] (its own two accounts, no row shared
    // with another worker) and, for spread deposits, its own currency's account.
    const users = [];
    for (let w = 0; w < CLIENTS; w++) users.push(await fundedUser(engine, `worker${w}`));
    const spread = [];
    for (let w = 0; w < CLIENTS; w++) {
      const code = CURRENCIES[w];
      const account = code === 'USD' ? { id: users[w].from } : await engine.wallets.openAccount(users[w].userId, { currency: code });
      spread.push({ userId: users[w].userId, code, accountId: account.id });
    }

    // 2. Deposits. Every deposit also credits the currency's `external` system account, so 16
    //    workers depositing USD all update that one row (a hot row: they queue on its lock even
    //    though each has its own user). "spread": each worker deposits its own currency, so no
    //    two workers touch a common row — the contention-free figure.
    const dep1 = await rate(1, () => deposit(engine, users[0].userId));
    const dep16 = await rate(CLIENTS, (w) => deposit(engine, users[w].userId));
    const dep16spread = await rate(CLIENTS, (w) => deposit(engine, spread[w].userId, spread[w].code, spread[w].accountId));

    // 3. Transfers between a user's two accounts: touches no system account. 16 workers on 16
    //    users share no row (contention-free); 16 workers on one user all lock the same two rows.
    const tr1 = await rate(1, () => transfer(engine, users[0]));
    const tr16 = await rate(CLIENTS, (w) => transfer(engine, users[w]));
    const tr16hot = await rate(CLIENTS, () => transfer(engine, users[0]));

    const line = (text, x, base) => console.log(`${label('postgres', text)}${num(x)}${base ? ` ${ratio(x, base)}` : ''}`);
    line('raw insert tx/s, 1 client', raw1);
    line(`raw insert tx/s, ${CLIENTS} clients`, raw16);
    line('deposits/s, 1 client', dep1, raw1);
    line(`deposits/s, ${CLIENTS} clients, one currency (hot row)`, dep16, raw16);
    line(`deposits/s, ${CLIENTS} clients, own currency each`, dep16spread, raw16);
    line('transfers/s, 1 client', tr1, raw1);
    line(`transfers/s, ${CLIENTS} clients, own user each`, tr16, raw16);
    line(`transfers/s, ${CLIENTS} clients, one user (hot rows)`, tr16hot, raw16);
    console.log(`${label('postgres', 'summary, 1 client')}raw insert tx/s ${num(raw1).trim()}   deposits/s ${num(dep1).trim()} ${ratio(dep1, raw1)}   transfers/s ${num(tr1).trim()} ${ratio(tr1, raw1)}`);
    console.log(`${label('postgres', `summary, ${CLIENTS} clients, no shared rows`)}raw insert tx/s ${num(raw16).trim()}   deposits/s ${num(dep16spread).trim()} ${ratio(dep16spread, raw16)}   transfers/s ${num(tr16).trim()} ${ratio(tr16, raw16)}`);
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

console.log(`tradeplane ledger bench — node ${process.version}, ${SECONDS} s per figure after a ${WARMUP_MS} ms warm-up\n`);
let ok = await benchSqlite();
if (process.env.TEST_DATABASE_URL) ok = (await benchPostgres(process.env.TEST_DATABASE_URL)) && ok;
else console.log('postgres skipped: set TEST_DATABASE_URL (a server the bench may create and drop databases on)');
if (!ok) {
  console.error('ledger verification FAILED: the figures above measured a broken ledger');
  process.exitCode = 1;
}
