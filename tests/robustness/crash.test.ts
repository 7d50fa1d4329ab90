import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/mixed-load.ts', import.meta.url));
const options = { mode: 'test' as const, logger: silentLogger, auth: { jwtSecret: 'crash-test-secret-crash-test-secret!' }, jobs: { enabled: false } };

/**
 * Crash safety (issue 9): a process doing deposits, trades and subscriptions is killed with
 * SIGKILL mid-load; after a restart every write it acknowledged is there and the ledger
 * verifies — on a SQLite file and on PostgreSQL.
 */
describe.each(testDatabaseKinds().filter((k) => k !== 'sqlite-memory'))('crash safety on %s', (kind) => {
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await db?.cleanup();
  });

  it('keeps every acknowledged deposit, trade and subscription across SIGKILL', async () => {
    db = await createTestDatabase(kind);
    const setup = await createEngine({ database: db.database, ...options });
    const user = await setup.auth.register({ email: 'crash@example.com', password: 'crash-user-passphrase' });
    const masterUser = await setup.auth.register({ email: 'crash-master@example.com', password: 'crash-master-passphrase' });
    const master = await setup.copy.becomeMaster(masterUser.id, { displayName: 'Crash' });
    await setup.market.ingest([{ symbol: 'CRSHUSD', interval: '1m', openTime: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000), open: 10, high: 10, low: 10, close: 10, volume: 1 }]);
    await setup.close();

    const proc = spawn(process.execPath, ['--import', 'tsx', child, typeof db.database === 'string' ? db.database : '', user.id, master.id], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tests/tsconfig.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    const acks = { deposit: new Set<string>(), trade: new Set<string>(), closed: new Set<string>(), subscription: new Set<string>(), cancelled: new Set<string>() };
    for await (const line of createInterface({ input: proc.stdout! })) {
      const [word, kindOfAck, id] = line.split(' ');
      if (word === 'ack') acks[kindOfAck as keyof typeof acks].add(id!);
      if (acks.deposit.size >= 150) {
        proc.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(acks.trade.size).toBeGreaterThan(10);
    expect(acks.subscription.size).toBeGreaterThan(5);

    const reopened = await createEngine({ database: db.database, ...options });
    try {
      const references = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await reopened.wallets.transactions(user.id, { kind: 'deposit', limit: 200, cursor });
        for (const t of page.transactions) if (t.reference) references.add(t.reference);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for (const key of acks.deposit) expect(references.has(key), `deposit ${key}`).toBe(true);
      for (const id of acks.trade) {
        const trade = await reopened.trading.trade(user.id, id);
        if (acks.closed.has(id)) expect(trade.status, id).toBe('closed');
      }
      for (const id of acks.subscription) {
        const s = await reopened.copy.subscription(user.id, id);
        if (acks.cancelled.has(id)) expect(s.status, id).toBe('cancelled');
      }
      expect((await reopened.wallets.verifyLedger()).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
