import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine, type EngineOptions } from '@tradeplane/engine';
import { tradeplaneExpress } from '@tradeplane/adapter-express';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../packages/engine/src/testing/databases.js';

export interface TestServer {
  engine: Engine;
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
export async function startTestServer(kind: TestDatabaseKind, options: Partial<EngineOptions> = {}): Promise<TestServer> {
  const db: TestDatabase = await createTestDatabase(kind);
  const engine = await createEngine({
    database: db.database,
    mode: 'test',
    logger: silentLogger,
    auth: { jwtSecret: 'test-secret-test-secret-test-secret!' },
    ...options,
  });
  const app = express();
  app.use('/api/v1', tradeplaneExpress(engine));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  return {
    engine,
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
