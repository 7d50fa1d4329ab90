import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine, type EngineOptions } from '@tradeplane/engine';
import type { ExpressAdapterOptions } from '@tradeplane/adapter-express';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../packages/engine/src/testing/databases.js';
import { openTransport, type Transport, type TestResponse } from './transports.js';

export type { TestResponse };

export interface TestServer extends Transport {
  engine: Engine;
  /** The database behind the engine, for snapshots. */
  db: TestDatabase;
}

/** Test auth options: a fixed secret and cheap hashing (the argon2 parameters themselves are tested in core). */
export const TEST_AUTH = { jwtSecret: 'test-secret-test-secret-test-secret!', passwordHashing: { memoryCost: 1024, timeCost: 1 } };

/** A real Express server on an ephemeral loopback port, with a fresh database of `kind`. */
export async function startTestServer(
  kind: TestDatabaseKind,
  options: Partial<EngineOptions> = {},
  adapter: ExpressAdapterOptions = {},
): Promise<TestServer> {
  const db: TestDatabase = await createTestDatabase(kind);
  const engine = await createEngine({
    database: db.database,
    mode: 'test',
    logger: silentLogger,
    // Tests run jobs explicitly (a timer must not race their assertions), and the rate limits
    // have tests of their own: the other suites send hundreds of requests from one address.
    jobs: { enabled: false },
    rateLimits: { enabled: false },
    ...options,
    auth: { ...TEST_AUTH, ...options.auth },
  });
  const transport = await openTransport('express', engine, adapter);
  return {
    engine,
    db,
    request: transport.request,
    async close() {
      await transport.close();
      await engine.close();
      await db.cleanup();
    },
  };
}
