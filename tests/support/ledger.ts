import {
  authOptionsSchema,
  createTradeplane,
  manualClock,
  silentLogger,
  uuidV7Ids,
  walletOptionsSchema,
  type ManualClock,
  type FundingProvider,
  type Storage,
  type Tradeplane,
  type WalletOptionsInput,
} from '@tradeplane/core';
import { openStorage } from '@tradeplane/engine';
import { TEST_AUTH } from './server.js';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../packages/engine/src/testing/databases.js';

export interface Ledger {
  tp: Tradeplane;
  db: TestDatabase;
  clock: ManualClock;
  /** Registers a user (which opens their default account) and returns the id. */
  user(): Promise<string>;
  close(): Promise<void>;
}

let users = 0;

/**
 * The services on a fresh real database of `kind`, with a manual clock. `wrap` lets a test put
 * a wrapper around the real storage (e.g. one that fails mid-transaction).
 */
export async function openLedger(
  kind: TestDatabaseKind,
  options: { wallets?: WalletOptionsInput; wrap?: (storage: Storage) => Storage; poolSize?: number; providers?: FundingProvider[] } = {},
): Promise<Ledger> {
  const db = await createTestDatabase(kind);
  const storage = openStorage(db.database, { postgresPoolSize: options.poolSize ?? 10 });
  await storage.migrate();
  const clock = manualClock(new Date('2026-03-01T12:00:00.000Z'));
  const tp = createTradeplane({
    storage: options.wrap ? options.wrap(storage) : storage,
    clock,
    ids: uuidV7Ids(clock),
    logger: silentLogger,
    version: 'test',
    auth: { ...authOptionsSchema.parse(TEST_AUTH), jwtSecret: TEST_AUTH.jwtSecret },
    wallets: walletOptionsSchema.parse(options.wallets ?? {}),
    ...(options.providers ? { payments: { providers: options.providers } } : {}),
  });
  return {
    tp,
    db,
    clock,
    async user() {
      const n = ++users;
      const user = await tp.auth.register({ email: `ledger${n}@example.com`, password: `ledger-user-${n}-passphrase` });
      return user.id;
    },
    async close() {
      await storage.close();
      await db.cleanup();
    },
  };
}
