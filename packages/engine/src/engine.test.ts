import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock, silentLogger, type Logger } from '@tradeplane/core';
import { createEngine, type Engine } from './engine.js';
import { parseDatabase } from './options.js';
import { createTestDatabase, testDatabaseKinds } from './testing/databases.js';

const engines: Engine[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradeplane-engine-'));
  dirs.push(dir);
  return dir;
};
const secret = 's'.repeat(32);

describe('createEngine options', () => {
  it('rejects invalid options with a readable message', async () => {
    await expect(createEngine({ database: '' })).rejects.toThrow(/database/);
    await expect(createEngine({ database: ':memory:', auth: { jwtSecret: 'short' } })).rejects.toThrow(/auth\.jwtSecret: must be at least 32/);
    await expect(createEngine({ database: ':memory:', nope: true } as never)).rejects.toThrow(/Unrecognized key/);
    await expect(createEngine({ database: 'mysql://localhost/db' })).rejects.toThrow(/Unsupported database URL/);
  });

  it('requires a JWT secret in production', async () => {
    await expect(createEngine({ database: ':memory:', mode: 'production' })).rejects.toThrow(/jwtSecret is required in production/);
    // A guessable secret (`secret` is one character repeated) is refused there too; see tests/http/sharp-edges.test.ts.
    await expect(createEngine({ database: ':memory:', mode: 'production', auth: { jwtSecret: secret }, logger: silentLogger })).rejects.toThrow(/easy to guess/);
    const engine = await createEngine({ database: ':memory:', mode: 'production', auth: { jwtSecret: randomBytes(32).toString('base64url') }, logger: silentLogger });
    engines.push(engine);
    expect(engine.dialect).toBe('sqlite');
  });

  it('parses every accepted database form', () => {
    expect(parseDatabase(':memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseDatabase('file:./data.db')).toEqual({ dialect: 'sqlite', path: './data.db' });
    expect(parseDatabase('file:///var/lib/tp.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/tp.db' });
    expect(parseDatabase('file:///tmp/my%20data/tp.db')).toEqual({ dialect: 'sqlite', path: '/tmp/my data/tp.db' });
    expect(parseDatabase('./data/tradeplane.db')).toEqual({ dialect: 'sqlite', path: './data/tradeplane.db' });
    expect(parseDatabase('postgres://u@h/db')).toEqual({ dialect: 'postgres', url: 'postgres://u@h/db' });
    expect(parseDatabase('postgresql://u@h/db')).toEqual({ dialect: 'postgres', url: 'postgresql://u@h/db' });
  });
});

describe('SQLite durability setting', () => {
  it('runs a file in WAL with synchronous=FULL by default and NORMAL on request, checkpointing every 4,000 pages', async () => {
    const dir = tempDir();
    for (const [setting, expected] of [[undefined, 2], ['normal', 1]] as const) {
      const handle = new Database(join(dir, `${setting ?? 'default'}.db`));
      engines.push(await createEngine({ database: { sqlite: handle }, logger: silentLogger, auth: { jwtSecret: secret }, ...(setting ? { sqlite: { synchronous: setting } } : {}) }));
      expect(handle.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(Number(handle.pragma('synchronous', { simple: true }))).toBe(expected);
      // Sized for ledger movements of ~19 pages (see sqlite.ts); savepoint journals in memory (2 = MEMORY).
      expect(Number(handle.pragma('wal_autocheckpoint', { simple: true }))).toBe(4000);
      expect(Number(handle.pragma('temp_store', { simple: true }))).toBe(2);
    }
  });
});

describe('development secret', () => {
  it('is generated next to the SQLite file, warned about, and reused after a restart', async () => {
    const dir = tempDir();
    const file = join(dir, 'nested', 'tp.db');
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(String(m)) };

    const first = await createEngine({ database: file, logger });
    await first.auth.register({ email: 'dev@example.com', password: 'password-123' });
    const tokens = await first.auth.login({ email: 'dev@example.com', password: 'password-123' });
    await first.close();
    expect(warnings.join('\n')).toMatch(/development secret/);
    expect(readFileSync(`${file}.secret`, 'utf8').trim().length).toBeGreaterThanOrEqual(32);

    const second = await createEngine({ database: file, logger });
    engines.push(second);
    // Same secret and same file: the token issued before the restart still authenticates.
    expect((await second.auth.authenticate(tokens.accessToken)).userId).toBe(tokens.user.id);
  });

  it('is not written for an in-memory database', async () => {
    const engine = await createEngine({ database: ':memory:', logger: silentLogger });
    engines.push(engine);
    expect(existsSync(':memory:.secret')).toBe(false);
  });
});

describe('lifecycle', () => {
  it('can skip migrations at start and apply them later', async () => {
    const dir = tempDir();
    const engine = await createEngine({ database: join(dir, 'a.db'), migrate: false, auth: { jwtSecret: secret }, logger: silentLogger });
    engines.push(engine);
    await expect(engine.auth.register({ email: 'x@example.com', password: 'password-123' })).rejects.toThrow(/no such table/);
    await engine.migrate();
    await expect(engine.auth.register({ email: 'x@example.com', password: 'password-123' })).resolves.toMatchObject({ email: 'x@example.com' });
  });

  it('close() releases the database and is idempotent', async () => {
    const engine = await createEngine({ database: ':memory:', auth: { jwtSecret: secret }, logger: silentLogger });
    await engine.close();
    await engine.close();
    expect((await engine.health()).status).toBe('down');
  });
});

describe('ready database handles', () => {
  it('runs on a caller-supplied better-sqlite3 Database and leaves it open', async () => {
    const sqlite = new Database(':memory:');
    const engine = await createEngine({ database: { sqlite }, auth: { jwtSecret: secret }, logger: silentLogger });
    await engine.auth.register({ email: 'handle@example.com', password: 'password-123' });
    expect(engine.dialect).toBe('sqlite');
    await engine.close();
    expect(sqlite.open).toBe(true);
    // The engine switches the handle to exact (bigint) integers, as documented on `database`.
    expect(sqlite.prepare('select count(*) as n from users').get()).toEqual({ n: 1n });
    sqlite.close();
  });

  it.runIf(testDatabaseKinds().includes('postgres'))('runs on a caller-supplied postgres.js pool and does not end it', async () => {
    const db = await createTestDatabase('postgres');
    const sql = postgres(db.database as string, { max: 2, onnotice: () => {} });
    try {
      const engine = await createEngine({ database: { postgres: sql }, auth: { jwtSecret: secret }, logger: silentLogger });
      await engine.auth.register({ email: 'pool@example.com', password: 'password-123' });
      await engine.close();
      expect(await sql`select count(*)::int as n from users`).toEqual([{ n: 1 }]);
    } finally {
      await sql.end();
      await db.cleanup();
    }
  });

  it.runIf(testDatabaseKinds().includes('postgres'))('moves money with named prepared statements off (postgres.prepare: false, for PgBouncer)', async () => {
    const db = await createTestDatabase('postgres');
    try {
      const engine = await createEngine({ database: db.database, postgres: { prepare: false }, wallets: { demo: false }, auth: { jwtSecret: secret }, logger: silentLogger });
      engines.push(engine);
      const user = await engine.auth.register({ email: 'bouncer@example.com', password: 'password-123' });
      const other = await engine.wallets.openAccount(user.id, { currency: 'USD' });
      const main = await engine.wallets.defaultAccount(user.id);
      await engine.wallets.funding.confirmDeposit('bank', { sourceReference: 'k1', accountId: main.id, amount: '10.00', currency: 'USD' });
      await engine.wallets.chargeFee(user.id, { amount: '1.00', currency: 'USD', idempotencyKey: 'k2' });
      const moved = await engine.wallets.transfer(user.id, { toAccountId: other.id, amount: '2.00', currency: 'USD', idempotencyKey: 'k3' });
      expect(moved.account.balance).toBe('7.00');
      expect((await engine.wallets.verifyLedger()).ok).toBe(true);
      await engine.close();
    } finally {
      await db.cleanup();
    }
  });

  it.runIf(testDatabaseKinds().includes('postgres'))('refuses, rather than hangs on, a one-connection pool it must migrate with', async () => {
    const db = await createTestDatabase('postgres');
    const sql = postgres(db.database as string, { max: 1, onnotice: () => {} });
    try {
      await expect(createEngine({ database: { postgres: sql }, auth: { jwtSecret: secret }, logger: silentLogger })).rejects.toThrow(
        /at least 2 connections/,
      );
      // With migrations run elsewhere, one connection is enough.
      const migrated = await createEngine({ database: db.database, auth: { jwtSecret: secret }, logger: silentLogger });
      await migrated.close();
      const engine = await createEngine({ database: { postgres: sql }, migrate: false, auth: { jwtSecret: secret }, logger: silentLogger });
      await engine.auth.register({ email: 'single@example.com', password: 'password-123' });
      await engine.close();
    } finally {
      await sql.end();
      await db.cleanup();
    }
  });
});

describe('when sessions end', () => {
  it('ends sessions started before a token_version bump (access and refresh tokens)', async () => {
    // The bump itself (password change, admin actions) arrives with the auth module; here it is
    // done in SQL to pin the behaviour the session check must give it.
    const sqlite = new Database(':memory:');
    const engine = await createEngine({ database: { sqlite }, auth: { jwtSecret: secret }, logger: silentLogger });
    engines.push(engine);
    await engine.auth.register({ email: 'tv@example.com', password: 'password-123' });
    const tokens = await engine.auth.login({ email: 'tv@example.com', password: 'password-123' });
    sqlite.prepare('update users set token_version = token_version + 1').run();
    await expect(engine.auth.authenticate(tokens.accessToken)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(engine.auth.refresh({ refreshToken: tokens.refreshToken })).rejects.toMatchObject({ code: 'invalid_token' });
    const fresh = await engine.auth.login({ email: 'tv@example.com', password: 'password-123' });
    await expect(engine.auth.refresh({ refreshToken: fresh.refreshToken })).resolves.toMatchObject({ user: { email: 'tv@example.com' } });
  });

  it('expires tokens by the injected clock; a retried expired refresh token is not taken for reuse', async () => {
    const clock = manualClock(new Date('2026-03-01T09:00:00.000Z'));
    const engine = await createEngine({ database: ':memory:', clock, auth: { jwtSecret: secret }, logger: silentLogger });
    engines.push(engine);
    await engine.auth.register({ email: 'clock@example.com', password: 'password-123' });
    const tokens = await engine.auth.login({ email: 'clock@example.com', password: 'password-123' });

    clock.advance(15 * 60 * 1000 + 31_000); // past the access token's 15 min (+30 s skew)
    await expect(engine.auth.authenticate(tokens.accessToken)).rejects.toMatchObject({ code: 'token_expired' });

    clock.advance(7 * 24 * 3600 * 1000); // past the refresh token's 7 days
    await expect(engine.auth.refresh({ refreshToken: tokens.refreshToken })).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(engine.auth.refresh({ refreshToken: tokens.refreshToken })).rejects.toMatchObject({ code: 'invalid_token' });
  });
});
