#!/usr/bin/env node
/**
 * `tradeplane` — what an operator runs against a deployment's database.
 *
 *   tradeplane admin promote <email|user id> [--database <url>]
 *   tradeplane migrate [--database <url>]
 *
 * The database is `--database`, else `DATABASE_URL`, else `./data/tradeplane.db` (the example
 * server's default, from the repository root). Each command prints what it did and exits 0; a
 * refusal (no such user, bad arguments, a database error) is printed on stderr with exit 1 (2
 * for usage). Environment variables are read here, never by the engine.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createEngine, openStorage } from './engine.js';
import { parseDatabase } from './options.js';

const USAGE = `Usage:
  tradeplane admin promote <email|user id> [--database <url>]
      Makes the account an admin (approving or re-enabling it if needed); its sessions end, so
      its next sign-in carries the role. Recorded in the audit log with no actor (the operator).
  tradeplane migrate [--database <url>]
      Applies the shipped migrations the database does not have yet.

The database is --database, else DATABASE_URL, else ./data/tradeplane.db.`;

class UsageError extends Error {}

function parse(argv: string[]): { args: string[]; database: string } {
  const args: string[] = [];
  let database = process.env.DATABASE_URL || './data/tradeplane.db';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--database' || arg === '-d') {
      const value = argv[++i];
      if (!value) throw new UsageError('--database needs a value');
      database = value;
    } else if (arg.startsWith('--database=')) {
      database = arg.slice('--database='.length);
    } else if (arg === '--help' || arg === '-h') {
      throw new UsageError('');
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      args.push(arg);
    }
  }
  return { args, database };
}

/** Where the database is, without its password, for messages. */
const describe = (database: string) => database.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');

/** A SQLite path that does not exist would be created empty: a typo is refused instead. */
function assertExists(database: string): void {
  const target = parseDatabase(database);
  if (target.dialect === 'sqlite' && 'path' in target && target.path !== ':memory:' && !existsSync(target.path)) {
    throw new Error(`no database at ${target.path}: start the server once (it creates and migrates it), or pass --database`);
  }
}

async function promote(database: string, who: string): Promise<string> {
  assertExists(database);
  const engine = await createEngine({
    database,
    // The schema is the server's business: a database behind it is reported, not changed.
    migrate: false,
    // Nothing is signed here; a throwaway secret keeps the engine from writing one beside the database.
    auth: { jwtSecret: randomBytes(32).toString('base64url') },
    jobs: { enabled: false },
    rateLimits: { enabled: false },
    metrics: { enabled: false },
    log: { level: 'silent', requests: false },
  });
  try {
    const wanted = who.trim();
    const user = wanted.includes('@')
      ? (await engine.admin.listUsers({ search: wanted, limit: 100 })).find((u) => u.email === wanted.toLowerCase())
      : await engine.auth.getUser(wanted).catch(() => undefined);
    if (!user) throw new Error(`no user with ${wanted.includes('@') ? 'email' : 'id'} '${wanted}' in ${describe(database)}: register the account first`);
    const done: string[] = [];
    if (user.status === 'pending') {
      await engine.admin.approve(null, user.id);
      done.push('approved');
    } else if (user.status === 'disabled') {
      await engine.admin.enable(null, user.id);
      done.push('enabled');
    }
    const head =
      user.role === 'admin'
        ? `${user.email} (id ${user.id}) is already an admin`
        : (await engine.admin.setRole(null, user.id, 'admin'), `promoted ${user.email} (id ${user.id}) to admin`);
    return done.length > 0 ? `${head}; ${done.join(', ')}` : user.role === 'admin' ? `${head}; nothing to do` : head;
  } finally {
    await engine.close();
  }
}

async function migrate(database: string): Promise<string> {
  const storage = openStorage(database);
  try {
    const before = (await storage.appliedMigrations().catch(() => [])).length;
    await storage.migrate();
    const after = (await storage.appliedMigrations()).length;
    return after > before ? `applied ${after - before} migration(s) to ${describe(database)}; ${after} in all` : `${describe(database)} is up to date (${after} migrations)`;
  } finally {
    await storage.close();
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    const { args, database } = parse(argv);
    const [command, sub, target, ...rest] = args;
    if (command === 'admin' && sub === 'promote') {
      if (!target || rest.length > 0) throw new UsageError('admin promote takes one email or user id');
      console.log(await promote(database, target));
      return 0;
    }
    if (command === 'migrate' && sub === undefined) {
      console.log(await migrate(database));
      return 0;
    }
    throw new UsageError(command ? `unknown command '${args.join(' ')}'` : '');
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) console.error(`tradeplane: ${error.message}\n`);
      console.error(USAGE);
      return 2;
    }
    console.error(`tradeplane: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
