import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';
import { requestAt, type RequestInit } from '../support/transports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url));

interface Proc {
  base: string;
  lines: Record<string, unknown>[];
  child: ChildProcess;
}

/** Starts an instance process; resolves once it listens. */
function startInstance(database: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, database], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tests/tsconfig.json') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = /^ready (\d+)$/.exec(line);
      if (ready) resolve({ base: `127.0.0.1:${ready[1]}`, lines, child });
      else if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

const stop = (p: Proc) => new Promise<void>((resolve) => (p.child.once('exit', () => resolve()), p.child.kill('SIGTERM')));

const call = (p: Proc, method: string, path: string, init?: RequestInit) => requestAt(p.base, method, path, init);

/**
 * Two server processes on one PostgreSQL database: nothing a request depends on may live in one
 * process's memory. (PostgreSQL only: SQLite is one process by design.)
 */
describe.runIf(testDatabaseKinds().includes('postgres'))('two processes on one PostgreSQL', () => {
  let db: TestDatabase;
  let a: Proc;
  let b: Proc;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    // The first migrates; then the second starts on a current database.
    a = await startInstance(db.database as string);
    b = await startInstance(db.database as string);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a && stop(a), b && stop(b)]);
    await db?.cleanup();
  });

  it('rejects on B a token logged out on A', async () => {
    await call(a, 'POST', '/auth/register', { body: { email: 'mp-logout@example.com', password: 'mp-logout-passphrase' } });
    const login = await call(a, 'POST', '/auth/login', { body: { email: 'mp-logout@example.com', password: 'mp-logout-passphrase' } });
    const token = login.body!.access_token as string;
    expect((await call(b, 'GET', '/auth/me', { token })).status).toBe(200);
    expect((await call(a, 'POST', '/auth/logout', { token, body: {} })).status).toBe(204);
    const after = await call(b, 'GET', '/auth/me', { token });
    expect(after.status).toBe(401);
  });

  it('delivers to a WebSocket client on B a deposit made on A', async () => {
    await call(a, 'POST', '/auth/register', { body: { email: 'mp-stream@example.com', password: 'mp-stream-passphrase' } });
    const token = (await call(a, 'POST', '/auth/login', { body: { email: 'mp-stream@example.com', password: 'mp-stream-passphrase' } })).body!.access_token as string;
    const socket = new WebSocket(`ws://${b.base}/api/v1/stream?channel=balance`, { headers: { authorization: `Bearer ${token}` } });
    const messages: Record<string, any>[] = [];
    const subscribed = new Promise<void>((resolve, reject) => {
      socket.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as Record<string, any>;
        messages.push(m);
        if (m.type === 'subscribed') resolve();
      });
      socket.once('error', reject);
    });
    await subscribed;
    const received = new Promise<Record<string, any>>((resolve) => socket.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Record<string, any>;
      if (m.channel === 'balance') resolve(m);
    }));
    expect((await call(a, 'POST', '/wallet/deposit', { token, body: { amount: '3.00', currency: 'USD' }, headers: { 'idempotency-key': 'mp-dep' } })).status).toBe(200);
    expect(await received).toMatchObject({ event: 'balance.changed', data: { balance: '10003.00', kind: 'deposit' } });
    socket.close();
  });

  it('closes within a second a socket on B whose session is revoked on A, and spends a ticket on both', async () => {
    // Signed up in this process, on the same database and secret: the instances' sign-in rate
    // limit (10 a minute from this address) is left to the tests that are about it.
    const engine = await createEngine({ database: db.database, mode: 'test', logger: silentLogger, jobs: { enabled: false }, auth: { jwtSecret: 'multi-process-secret-multi-process!', passwordHashing: { memoryCost: 1024, timeCost: 1 } } });
    let token: string;
    try {
      await engine.auth.register({ email: 'mp-revoke@example.com', password: 'mp-revoke-passphrase' });
      token = (await engine.auth.login({ email: 'mp-revoke@example.com', password: 'mp-revoke-passphrase' })).accessToken;
    } finally {
      await engine.close();
    }
    const ticket = (await call(a, 'POST', '/stream/ticket', { token })).body!.ticket as string;
    const socket = new WebSocket(`ws://${b.base}/api/v1/stream?channel=balance&ticket=${encodeURIComponent(ticket)}`);
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (raw) => (JSON.parse(raw.toString()) as { type: string }).type === 'subscribed' && resolve());
      socket.once('error', reject);
    });
    // The same ticket on A: already spent on B.
    const again = new WebSocket(`ws://${a.base}/api/v1/stream?ticket=${encodeURIComponent(ticket)}`);
    expect(await new Promise((resolve) => again.once('unexpected-response', (_req, res) => resolve(res.statusCode)))).toBe(401);
    const closed = new Promise<{ code: number; reason: string } | 'still open'>((resolve) => {
      const timer = setTimeout(() => resolve('still open'), 1000);
      socket.once('close', (code, reason) => (clearTimeout(timer), resolve({ code, reason: reason.toString() })));
    });
    expect((await call(a, 'POST', '/auth/logout', { token, body: {} })).status).toBe(204);
    expect(await closed).toEqual({ code: 4401, reason: 'session revoked' });
  });

  it('runs each background job on one instance only', async () => {
    // Both tick every 200 ms; each job is due once a minute: in two seconds each runs once, somewhere.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const ran = [...a.lines, ...b.lines].filter((l) => l.event === 'job.ran').map((l) => l.job);
    expect(ran.sort()).toEqual(['expire_holds', 'expire_subscriptions', 'purge_expired', 'settle_commission']);
    const health = await call(b, 'GET', '/health');
    expect(health.body!.jobs.every((j: { last_tick_at: string | null }) => j.last_tick_at !== null)).toBe(true);
  });
  // Last: the failures also block this test's address for a while.
  it('counts sign-in failures from both toward one block', async () => {
    await call(a, 'POST', '/auth/register', { body: { email: 'mp-throttle@example.com', password: 'mp-throttle-passphrase' } });
    const wrong = { email: 'mp-throttle@example.com', password: 'wrong-passphrase-here' };
    for (const p of [a, b, a, b, a]) expect((await call(p, 'POST', '/auth/login', { body: wrong })).status).toBe(401);
    // The sixth attempt is blocked on either instance, even with the right password.
    const blocked = await call(b, 'POST', '/auth/login', { body: { email: 'mp-throttle@example.com', password: 'mp-throttle-passphrase' } });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ code: 'rate_limited' });
  });

});
