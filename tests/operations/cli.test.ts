/**
 * The `tradeplane` operator command, run for real in its own process against a SQLite file and
 * a PostgreSQL database while a server's engine has them open.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';
import { TEST_AUTH } from '../support/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'packages/engine/src/cli.ts');

/** Runs `tradeplane <args>` as an operator would; `DATABASE_URL` is cleared unless given. */
function tradeplane(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', TSX_TSCONFIG_PATH: join(root, 'tests/tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe.each(testDatabaseKinds().filter((k) => k !== 'sqlite-memory'))('tradeplane admin promote on %s', (kind) => {
  let db: TestDatabase;
  let engine: Engine;
  let url: string;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    url = db.database as string;
    // The server, with sign-ups awaiting approval: nobody can make themselves an admin.
    engine = await createEngine({ database: url, mode: 'test', logger: silentLogger, auth: { ...TEST_AUTH, signupApproval: true }, jobs: { enabled: false } });
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
    await db?.cleanup();
  });

  it('promotes an account by email, approving it, prints what it did, and audits it', async () => {
    const alice = await engine.auth.register({ email: 'Alice@Example.com', password: 'alice-long-passphrase' });
    expect(alice.status).toBe('pending');

    const run = await tradeplane(['admin', 'promote', 'ALICE@example.com', '--database', url]);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(`promoted alice@example.com (id ${alice.id}) to admin; approved`);
    expect(run.code).toBe(0);

    expect(await engine.auth.getUser(alice.id)).toMatchObject({ role: 'admin', status: 'active' });
    const login = await engine.auth.login({ email: 'alice@example.com', password: 'alice-long-passphrase' });
    expect(login.user.role).toBe('admin');
    const audit = await engine.admin.auditLogs({ targetId: alice.id, limit: 10 });
    expect(audit.map((r) => [r.action, r.actorId])).toEqual(
      expect.arrayContaining([
        ['admin.user_approved', null],
        ['admin.role_changed', null],
      ]),
    );

    // Again: nothing changes, and it says so.
    const again = await tradeplane(['admin', 'promote', alice.id], { DATABASE_URL: url });
    expect(again.stdout.trim()).toBe(`alice@example.com (id ${alice.id}) is already an admin; nothing to do`);
    expect(again.code).toBe(0);
  }, 60_000);

  it('refuses clearly when the account does not exist, changing nothing', async () => {
    const before = await db.snapshot();
    const byEmail = await tradeplane(['admin', 'promote', 'nobody@example.com', '--database', url]);
    expect(byEmail.code).toBe(1);
    expect(byEmail.stdout).toBe('');
    expect(byEmail.stderr).toMatch(/no user with email 'nobody@example.com'.*register the account first/);
    const byId = await tradeplane(['admin', 'promote', '01900000-0000-7000-8000-000000000000', '--database', url]);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toMatch(/no user with id/);
    expect(await db.snapshot()).toEqual(before);
  }, 60_000);

  it('re-enables a disabled account it promotes', async () => {
    const bob = await engine.auth.register({ email: 'bob@example.com', password: 'bob-long-passphrase' });
    await engine.admin.approve(null, bob.id);
    await engine.admin.disable(null, bob.id);
    const run = await tradeplane(['admin', 'promote', 'bob@example.com', `--database=${url}`]);
    expect(run.stdout.trim()).toBe(`promoted bob@example.com (id ${bob.id}) to admin; enabled`);
    expect(await engine.auth.getUser(bob.id)).toMatchObject({ role: 'admin', status: 'active' });
  }, 60_000);
});

describe('tradeplane usage', () => {
  it('explains itself on a wrong command, and refuses a SQLite path that does not exist instead of creating it', async () => {
    const usage = await tradeplane(['admin', 'demote', 'x@example.com']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('tradeplane admin promote <email|user id>');
    const missing = join(root, 'data', 'no-such-database-here.db');
    const run = await tradeplane(['admin', 'promote', 'x@example.com', '--database', missing]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no database at ${missing}`);
    expect(await import('node:fs').then((fs) => fs.existsSync(missing))).toBe(false);
  }, 60_000);
});
