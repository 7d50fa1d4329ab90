import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { TEST_AUTH } from '../support/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/deposit-loop.ts', import.meta.url));
const options = { mode: 'test' as const, logger: silentLogger, auth: TEST_AUTH, wallets: { demo: false as const } };

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * SQLite runs in WAL with synchronous=NORMAL: a commit is in the WAL file (the OS page cache)
 * before the call returns, so it survives the process dying. (Power loss may drop the last
 * commits; that needs synchronous=FULL — see the README's durability note.)
 */
describe('durability on a SQLite file', () => {
  it('keeps every acknowledged deposit when the process is killed with SIGKILL mid-load', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tradeplane-durability-'));
    const file = join(dir, 'ledger.db');
    const setup = await createEngine({ database: file, ...options });
    const user = await setup.auth.register({ email: 'durable@example.com', password: 'durable-user-passphrase' });
    const real = await setup.wallets.openAccount(user.id, { currency: 'USD' });
    await setup.close();

    const proc = spawn(process.execPath, ['--import', 'tsx', child, file, real.id], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tests/tsconfig.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    let acknowledged = 0;
    for await (const line of createInterface({ input: proc.stdout! })) {
      if (line.startsWith('ack ')) acknowledged = Number(line.slice(4));
      if (acknowledged >= 300) {
        proc.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');

    const reopened = await createEngine({ database: file, ...options });
    try {
      const account = await reopened.wallets.getAccount(user.id, real.id);
      // Every acknowledged deposit is there (a few more may have committed before the kill landed).
      expect(BigInt(account.balance.replace('.', ''))).toBeGreaterThanOrEqual(BigInt(acknowledged));
      const references = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await reopened.wallets.transactions(user.id, { accountId: real.id, limit: 200, cursor });
        for (const t of page.transactions) references.add(t.reference!);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for (let n = 1; n <= acknowledged; n++) expect(references.has(`ack-${n}`)).toBe(true);
      expect((await reopened.wallets.verifyLedger()).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
