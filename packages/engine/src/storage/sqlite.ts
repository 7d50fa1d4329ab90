import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { MovementStatement, Storage } from '@tradeplane/core';
import * as schema from './schema.sqlite.js';
import { createRepositories } from './repositories.js';
import { statementCache, wrapMethods } from './query-kit.js';
import { sqliteMovements } from './sqlite-movement.js';
import { migrationsFolder } from '../migrations.js';

export interface SqliteStorage extends Storage {
  readonly dialect: 'sqlite';
  migrate(): Promise<void>;
  /** The `when` of each applied migration (empty before the first migration). */
  appliedMigrations(): Promise<number[]>;
}

/**
 * SQLite storage on better-sqlite3.
 *
 * better-sqlite3 is synchronous and one connection serves the process, so an async
 * transaction must not interleave with other statements on that connection. Every
 * transaction and every standalone statement therefore runs through one in-process queue:
 * SQLite allows one writer anyway, and statements take microseconds. Files run in WAL mode with
 * `synchronous=FULL` by default (a commit is on disk before it is acknowledged, power loss
 * included; `normal` trades the last commits before a power loss for cheaper commits) and
 * `busy_timeout` so a second process waits instead of failing.
 *
 * Open one engine per database file per process: `busy_timeout` waits synchronously, so a
 * second connection in the same process would block the event loop the first one needs to
 * commit. Several processes on one file are fine.
 */
export interface SqliteStorageOptions {
  /**
   * `full` (default): every commit is fsynced before it is acknowledged, so it survives power loss
   * and OS crashes too — what a ledger owes an acknowledged deposit. Group commit (see
   * `transaction`) shares one fsync among the transactions queued together, so under concurrent
   * load this costs little; one caller at a time pays an fsync per commit.
   * `normal`: in WAL mode a commit survives the process crashing (the durability test SIGKILLs a
   * depositing process) but the last commits may be lost on power loss or an OS crash.
   */
  synchronous?: 'normal' | 'full';
}

/** A movement `postMovement` refused: its savepoint is rolled back like a failed transaction's, and the caller gets `undefined`. */
const REFUSED = Symbol('refused');

/** Most transactions one COMMIT makes durable (bounds how long the first of a group waits). */
const GROUP_COMMIT_LIMIT = 64;

/** Compiled statements kept per connection: enough for every query shape the repositories build. */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * drizzle compiles every statement it runs (`prepare`), and on a one-row query compiling costs
 * more than running. This hands drizzle a view of the connection whose `prepare` reuses the
 * compiled statement for SQL it has seen (least recently used dropped past the cap). A reused
 * statement is switched back out of raw mode first: drizzle turns raw mode on when it wants it.
 *
 * drizzle also binds every `.limit(n)` as a parameter (`… limit ?`), and SQLite recompiles a
 * statement whose LIMIT is a bound parameter each time it is bound — measured at 8–9 µs on a
 * 4 µs lookup, the larger part of every authenticated request's database time. A select ending
 * in `limit ?` therefore runs as the statement with that integer written into its text,
 * compiled once per distinct value (page sizes are few; each statement keeps at most 32).
 */
function withStatementCache(sqlite: Database.Database): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const compiled = (source: string): Database.Statement => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source);
    } else {
      statement = sqlite.prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  };
  const prepare = (source: string): Database.Statement => {
    if (source.endsWith(TRAILING_LIMIT)) return limitInlined(source.slice(0, -TRAILING_LIMIT.length), compiled) as unknown as Database.Statement;
    const statement = compiled(source);
    if (statement.reader) statement.raw(false);
    return statement;
  };
  return new Proxy(sqlite, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A bound LIMIT closing the statement text, as drizzle writes it (the repositories use no OFFSET). */
const TRAILING_LIMIT = ' limit ?';

/** Distinct LIMIT values compiled per statement. */
const INLINED_LIMITS_PER_STATEMENT = 32;

const isCount = (value: unknown): value is number | bigint =>
  (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint';

/**
 * The part of a statement drizzle uses (`run`, `all`, `get`, `raw`, `reader`), choosing per call
 * the compiled statement with the LIMIT value (the last parameter) written in. A value that is not
 * an integer (never from drizzle's builders) keeps the parameterised form.
 */
function limitInlined(head: string, compiled: (source: string) => Database.Statement) {
  let rawMode = false;
  const parameterised = compiled(head + TRAILING_LIMIT);
  const byLimit = new Map<number | bigint, Database.Statement>();
  const pick = (params: unknown[]): [Database.Statement, unknown[]] => {
    const limit = params.at(-1);
    let statement: Database.Statement | undefined;
    if (isCount(limit)) {
      statement = byLimit.get(limit);
      if (statement === undefined && byLimit.size < INLINED_LIMITS_PER_STATEMENT) {
        statement = compiled(`${head} limit ${limit}`);
        byLimit.set(limit, statement);
      }
    }
    const chosen = statement ?? parameterised;
    if (chosen.reader) chosen.raw(rawMode);
    return [chosen, statement ? params.slice(0, -1) : params];
  };
  const view = {
    reader: parameterised.reader,
    raw(toggle = true) {
      rawMode = toggle;
      return view;
    },
    run: (...params: unknown[]) => {
      const [statement, rest] = pick(params);
      return statement.run(...rest);
    },
    all: (...params: unknown[]) => {
      const [statement, rest] = pick(params);
      return statement.all(...rest);
    },
    get: (...params: unknown[]) => {
      const [statement, rest] = pick(params);
      return statement.get(...rest);
    },
  };
  return view;
}

export function openSqliteStorage(target: string | Database.Database, options: SqliteStorageOptions = {}): SqliteStorage {
  // A caller-supplied handle stays the caller's: close() leaves it open.
  const owned = typeof target === 'string';
  let sqlite: Database.Database;
  if (typeof target === 'string') {
    if (target !== ':memory:') mkdirSync(dirname(target), { recursive: true });
    sqlite = new Database(target);
  } else {
    sqlite = target;
  }
  if (sqlite.name !== ':memory:' && sqlite.name !== '') {
    sqlite.pragma('journal_mode = WAL');
    // SQLite's default (1,000 pages) suits transactions of a page or two. A ledger movement
    // writes ~19, so that default checkpoints every ~50 movements, each time with two fsyncs on
    // this, the only, thread. 4,000 pages (a WAL of at most 16 MiB at 4 KiB pages) checkpoints
    // every ~200: measured 12% more deposits/s with one client on this box.
    sqlite.pragma('wal_autocheckpoint = 4000');
  }
  sqlite.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Every transaction runs in a SAVEPOINT (see group commit below), whose undo journal SQLite
  // otherwise spills to a temporary file once it passes 64 KiB — 16 pages of 4 KiB, fewer than a
  // deposit changes — so each deposit created, wrote and deleted a file (measured on this box with
  // checkpoints off: 435 µs a deposit before, 308 µs after). In memory it is a few dozen KiB per
  // transaction. Sorts and temporary tables also stay in memory; the engine's queries are paged.
  sqlite.pragma('temp_store = MEMORY');
  // Integers arrive as bigint, so amounts beyond 2^53 stay exact (see schema/columns.ts).
  sqlite.defaultSafeIntegers(true);
  const db = drizzle(withStatementCache(sqlite), { schema });
  // One connection: statements prepared once serve every transaction.
  const raw = createRepositories(db, schema, statementCache(db, 'sqlite').on());

  /**
   * Group commit. Work runs one task at a time (`exclusive`), and a transaction that finds others
   * queued behind it leaves its write transaction open for them: each runs in its own SAVEPOINT
   * (a failure rolls back only its own work), and the last of the group COMMITs for all. Nothing
   * is acknowledged before that COMMIT: every task of the group — transactions and standalone
   * statements alike — settles after it, so an acknowledged write is a committed one, and a read
   * never reports data that a failed commit then loses. Alone, a transaction commits at once, as
   * before. A commit is most of a small transaction's cost (a WAL frame per changed page; an
   * fsync with `synchronous=full`), so under concurrent load this is where throughput comes from.
   */
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  let group: { members: number; settle: ((error?: unknown) => void)[] } | undefined;

  /** Ends the open group: commits it, or (`lost`) reports that SQLite already rolled it back; then settles its members. */
  function endGroup(lost?: unknown): void {
    const open = group!;
    group = undefined;
    let failure = lost;
    if (failure === undefined) {
      try {
        sqlite.exec('COMMIT');
      } catch (error) {
        failure = error;
        try {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        } catch {
          // The connection reports the original failure.
        }
      }
    }
    for (const settle of open.settle) settle(failure);
  }

  function exclusive<T>(fn: () => Promise<T>, options: { alone?: boolean } = {}): Promise<T> {
    queued++;
    return new Promise<T>((resolve, reject) => {
      tail = tail.then(async () => {
        // Migrations and closing run outside any group.
        if (options.alone && group) endGroup();
        let outcome: { ok: true; value: T } | { ok: false; error: unknown };
        try {
          outcome = { ok: true, value: await fn() };
        } catch (error) {
          outcome = { ok: false, error };
        }
        queued--;
        // SQLite rolled the whole transaction back (I/O error, full disk): the group's work is gone.
        if (group && !sqlite.inTransaction) endGroup((outcome.ok ? undefined : outcome.error) ?? new Error('SQLite rolled back the transaction'));
        const open = group;
        if (open && outcome.ok) {
          const { value } = outcome;
          open.settle.push((error) => (error === undefined ? resolve(value) : reject(error)));
        } else if (outcome.ok) {
          resolve(outcome.value);
        } else {
          reject(outcome.error);
        }
        if (open && (queued === 0 || open.members >= GROUP_COMMIT_LIMIT)) endGroup();
      });
    });
  }

  /** Runs `fn` as a member of the open group (opening one if need be), in its own SAVEPOINT: a failure undoes only its own work. */
  async function member<T>(fn: () => Promise<T>): Promise<T> {
    if (!group) {
      sqlite.exec('BEGIN IMMEDIATE');
      group = { members: 0, settle: [] };
    }
    group.members++;
    sqlite.exec('SAVEPOINT tp_transaction');
    try {
      const result = await fn();
      sqlite.exec('RELEASE tp_transaction');
      return result;
    } catch (error) {
      if (sqlite.inTransaction) {
        sqlite.exec('ROLLBACK TO tp_transaction');
        sqlite.exec('RELEASE tp_transaction');
      }
      throw error;
    }
  }
  // Compiled on first use: on a fresh file the tables exist only once migrate() has run.
  let movements: ReturnType<typeof sqliteMovements> | undefined;
  const postMovement = (movement: MovementStatement) => (movements ??= sqliteMovements(sqlite))(movement);

  return {
    dialect: 'sqlite',
    // Standalone calls queue behind open transactions.
    repos: wrapMethods(raw, (_operation, call) => exclusive(call)),
    transaction(fn) {
      return exclusive(() => member(() => fn(raw)));
    },
    postMovement(movement) {
      // Synchronous from the savepoint to its release; `undefined` (refused) rolls it back.
      return exclusive(() => member(async () => postMovement(movement) ?? Promise.reject(REFUSED))).catch((error: unknown) =>
        error === REFUSED ? undefined : Promise.reject(error),
      );
    },
    async ping() {
      await exclusive(async () => sqlite.prepare('select 1').get());
    },
    async migrate() {
      await exclusive(async () => migrate(db, { migrationsFolder: migrationsFolder('sqlite') }), { alone: true });
    },
    async appliedMigrations() {
      return exclusive(async () => {
        const table = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
        if (!table) return [];
        return (sqlite.prepare('select created_at from __drizzle_migrations').all() as { created_at: number | bigint }[]).map((r) => Number(r.created_at));
      });
    },
    async close() {
      await exclusive(
        async () => {
          if (owned && sqlite.open) sqlite.close();
        },
        { alone: true },
      );
    },
  };
}
