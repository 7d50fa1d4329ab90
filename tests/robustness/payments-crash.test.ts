import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, standardWebhooksProvider } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/webhook-load.ts', import.meta.url));
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const options = {
  mode: 'test' as const,
  logger: silentLogger,
  auth: { jwtSecret: 'crash-test-secret-crash-test-secret!' },
  jobs: { enabled: false },
  payments: { providers: [standardWebhooksProvider({ name: 'bank', secret })] },
};
const DEPOSITS = 240;

/**
 * A process confirming deposits from a provider's callbacks is killed with SIGKILL mid-stream:
 * some confirmations committed, one may have been cut off inside its transaction, the rest never
 * arrived. The provider then redelivers every event (it never got our answers, or got them and
 * retries anyway): each deposit is credited exactly once and the ledger verifies.
 */
describe.each(testDatabaseKinds().filter((k) => k !== 'sqlite-memory'))('a crash between the provider’s success and our commit on %s', (kind) => {
  let db: TestDatabase | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tradeplane-webhook-crash-'));
  afterAll(async () => {
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('credits every deposit once when the provider redelivers after the crash', async () => {
    db = await createTestDatabase(kind);
    const setup = await createEngine({ database: db.database, ...options });
    const user = await setup.auth.register({ email: 'webhook-crash@example.com', password: 'webhook-crash-passphrase' });
    const account = await setup.wallets.openAccount(user.id, { currency: 'USD' });
    const deposits: { id: string; reference: string; amount: number }[] = [];
    for (let n = 1; n <= DEPOSITS; n++) {
      const amount = 100 + n;
      const asked = await setup.payments.requestDeposit(user.id, { accountId: account.id, amount: (amount / 100).toFixed(2), currency: 'USD', idempotencyKey: `crash-deposit-${n}` });
      deposits.push({ id: asked.deposit.id, reference: asked.deposit.providerReference!, amount });
    }
    await setup.close();
    const list = join(dir, `${kind}.txt`);
    writeFileSync(list, deposits.map((d) => `${d.reference} ${d.amount}`).join('\n'));

    const proc = spawn(process.execPath, ['--import', 'tsx', child, typeof db.database === 'string' ? db.database : '', secret, list], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tests/tsconfig.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    const acknowledged = new Set<string>();
    for await (const line of createInterface({ input: proc.stdout! })) {
      if (line.startsWith('ack ')) acknowledged.add(line.slice(4));
      if (acknowledged.size >= 80) {
        proc.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');

    const reopened = await createEngine({ database: db.database, ...options });
    try {
      const signer = new Webhook(secret);
      let duplicates = 0;
      for (const d of deposits) {
        const id = `evt_${d.reference}`;
        const body = JSON.stringify({ type: 'deposit.succeeded', data: { reference: d.reference, amount: String(d.amount), currency: 'USD' } });
        const at = new Date();
        const answer = await reopened.payments.receiveWebhook('bank', {
          headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signer.sign(id, at, body) },
          rawBody: body,
        });
        // What the crashed process acknowledged had committed: its redelivery is a duplicate.
        if (acknowledged.has(d.reference)) expect(answer.duplicate, d.reference).toBe(true);
        if (answer.duplicate) duplicates++;
      }
      expect(duplicates).toBeGreaterThanOrEqual(acknowledged.size);
      expect(duplicates).toBeLessThan(DEPOSITS);

      const total = deposits.reduce((sum, d) => sum + d.amount, 0);
      const after = await reopened.wallets.getAccount(user.id, account.id);
      expect(after.balance).toBe((total / 100).toFixed(2));
      for (const d of deposits) expect((await reopened.payments.deposit(user.id, d.id)).status, d.reference).toBe('succeeded');
      const credits = new Map<string, number>();
      let cursor: string | undefined;
      do {
        const page = await reopened.wallets.transactions(user.id, { accountId: account.id, kind: 'deposit', limit: 200, cursor });
        for (const t of page.transactions) credits.set(t.reference!, (credits.get(t.reference!) ?? 0) + 1);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(credits.size).toBe(DEPOSITS);
      expect([...credits.values()].every((n) => n === 1)).toBe(true);
      expect((await reopened.wallets.verifyLedger()).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  }, 180_000);
});
