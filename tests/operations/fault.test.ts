import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url));
const pgBin = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, 'pg_ctl'))) : undefined;
// A PostgreSQL server of its own, stopped and started by the test: needs the binaries and root (to run them as `postgres`).
const canRun = testDatabaseKinds().includes('postgres') && pgBin !== undefined && process.getuid?.() === 0;

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});
const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', join(pgBin!, cmd), ...args], { stdio: 'ignore' });

describe.runIf(canRun)('PostgreSQL going away under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-fault-'));
  let child: ChildProcess | undefined;
  let port = 0;
  const data = join(dir, 'data');
  const pgStart = () => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, 'start']);
  const pgStop = () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);

  afterAll(() => {
    child?.kill('SIGKILL');
    try {
      pgStop();
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 fast while the database is down, stays up, and keeps every acknowledged deposit after it returns', async () => {
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
    port = await freePort();
    asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    pgStart();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

    child = spawn(process.execPath, ['--import', 'tsx', fixture, url], { cwd: root, env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tests/tsconfig.json') }, stdio: ['ignore', 'pipe', 'inherit'] });
    const base = await new Promise<string>((resolve, reject) => {
      child!.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        const m = /^ready (\d+)$/.exec(line);
        if (m) resolve(`http://127.0.0.1:${m[1]}/api/v1`);
      });
    });
    const call = async (method: string, path: string, init: { token?: string; body?: unknown; key?: string } = {}) => {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.key ? { 'idempotency-key': init.key } : {}) },
        body: init.body ? JSON.stringify(init.body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
    };

    await call('POST', '/auth/register', { body: { email: 'fault@example.com', password: 'fault-user-passphrase' } });
    const token = (await call('POST', '/auth/login', { body: { email: 'fault@example.com', password: 'fault-user-passphrase' } })).body.access_token as string;

    // Load: four clients depositing 0.01 each, counting what was acknowledged (200).
    const acknowledged = new Set<string>();
    const outcomes: number[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async (_, c) => {
      for (let n = 0; running; n++) {
        const key = `fault-${c}-${n}`;
        const res = await call('POST', '/wallet/deposit', { token, body: { amount: '0.01', currency: 'USD', reference: key }, key }).catch(() => ({ status: 0, ms: 0 }) as { status: number; ms: number });
        outcomes.push(res.status);
        if (res.status === 200) acknowledged.add(key);
        if (res.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    pgStop();

    // Down: not ready, and requests fail fast with 503 problem+json — no hang, no crash.
    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(6000);
    const refused = await call('POST', '/wallet/deposit', { token, body: { amount: '0.01', currency: 'USD' }, key: 'fault-while-down' });
    expect(refused.status).toBe(503);
    expect(refused.type).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'service_unavailable' });
    expect(refused.ms).toBeLessThan(6000);
    expect(JSON.stringify(refused.body)).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(child.exitCode).toBeNull();

    pgStart();
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      back = (await call('GET', '/ready')).status === 200;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await Promise.all(clients);
    expect(outcomes.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(0);

    // Every acknowledged deposit is in the ledger, and the ledger balances.
    const check = await createEngine({ database: url, mode: 'test', logger: silentLogger, auth: { jwtSecret: 'multi-process-secret-multi-process!' }, jobs: { enabled: false }, migrate: false });
    try {
      const user = (await check.admin.listUsers({ search: 'fault@example.com', limit: 1 }))[0]!;
      const references = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await check.wallets.transactions(user.id, { limit: 200, cursor, kind: 'deposit' });
        for (const t of page.transactions) if (t.reference) references.add(t.reference);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for (const key of acknowledged) expect(references.has(key)).toBe(true);
      expect((await check.wallets.verifyLedger()).ok).toBe(true);
    } finally {
      await check.close();
    }
  }, 60_000);
});
