import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine, type EngineOptions } from '@tradeplane/engine';
import { tradeplaneExpress, type ExpressAdapterOptions } from '@tradeplane/adapter-express';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../packages/engine/src/testing/databases.js';

export interface TestServer {
  engine: Engine;
  /** The database behind the engine, for snapshots. */
  db: TestDatabase;
  /** `http://127.0.0.1:<port>/api/v1` */
  api: string;
  request(method: string, path: string, init?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

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
    ...options,
    // Cheap hashing keeps suites fast; the argon2 parameters themselves are tested in core.
    auth: { jwtSecret: 'test-secret-test-secret-test-secret!', passwordHashing: { memoryCost: 1024, timeCost: 1 }, ...options.auth },
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use('/api/v1', tradeplaneExpress(engine, adapter));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  return {
    engine,
    db,
    api,
    async request(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(api + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
      await db.cleanup();
    },
  };
}
