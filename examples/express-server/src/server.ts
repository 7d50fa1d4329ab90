/**
 * The default tradeplane server: Express 5 + the embedded SQLite database.
 *
 *   PORT=3000 DATABASE_URL=postgres://… JWT_SECRET=… NODE_ENV=production pnpm start
 *
 * The first admin is made by the operator, never over HTTP and never by an address someone could
 * register first: sign up, then run `tradeplane admin promote you@example.com` against the same
 * database (from the repository root after `pnpm start` has built the packages:
 * `node packages/engine/dist/cli.js admin promote you@example.com`). SIGNUP_APPROVAL=true makes new
 * accounts wait for an admin.
 * LOG_LEVEL (info) sets the JSON log level; METRICS_TOKEN (≥ 16 characters) guards /metrics;
 * CORS_ORIGINS=https://app.example.com,https://admin.example.com lets those browser origins in;
 * TRADEPLANE_MODULES=auth,wallets serves only those modules. Behind a proxy, TRUST_PROXY says which
 * proxies' X-Forwarded-For to believe (as Express's `trust proxy`: true, a hop count such as 1, or
 * addresses and subnets such as loopback,10.0.0.0/8): sign-in throttling and rate limits count
 * per client address, which is otherwise the proxy's.
 *
 * Environment variables are read here, and only here; the engine takes options.
 */
import { resolve } from 'node:path';
import express from 'express';
import { createEngine, type EngineOptions } from '@tradeplane/engine';
import { attachStream, tradeplaneExpress } from '@tradeplane/adapter-express';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

const port = Number(process.env.PORT ?? 3000);
// `pnpm start` runs this package from its own folder; INIT_CWD is where the user typed it,
// so the default database lands in ./data of the repository root, as the README says.
const database = process.env.DATABASE_URL ?? resolve(process.env.INIT_CWD ?? process.cwd(), 'data/tradeplane.db');
const production = process.env.NODE_ENV === 'production';
// Read before anything starts: a value Express would misread must stop the server, not every request.
let trustProxy: TrustProxy;
try {
  trustProxy = parseTrustProxy(process.env.TRUST_PROXY);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const engine = await createEngine({
  database,
  mode: production ? 'production' : 'development',
  auth: { jwtSecret: process.env.JWT_SECRET || undefined, signupApproval: process.env.SIGNUP_APPROVAL === 'true' },
  log: { level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info' },
  metrics: { token: process.env.METRICS_TOKEN || undefined },
  http: { cors: { origins: (process.env.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean) } },
  // TRADEPLANE_MODULES=auth,wallets serves only those modules' routes (default: all).
  modules: process.env.TRADEPLANE_MODULES ? (process.env.TRADEPLANE_MODULES.split(',').map((m) => m.trim()) as NonNullable<EngineOptions['modules']>) : undefined,
});

if (process.env.ADMIN_EMAIL) {
  // It promoted whoever had registered that address by the next restart — anyone could, first.
  console.warn('ADMIN_EMAIL is no longer read: run `tradeplane admin promote <email>` (node packages/engine/dist/cli.js) instead');
}

const app = express();
app.disable('x-powered-by');
app.set('trust proxy', trustProxy);
app.use('/api/v1', tradeplaneExpress(engine));
app.get('/', (_req, res) => res.redirect('/api/v1/docs'));

const server = app.listen(port, () => {
  const base = `http://localhost:${port}`;
  console.log(`tradeplane ${engine.dialect === 'sqlite' ? `on SQLite (${database})` : 'on PostgreSQL'}`);
  console.log(`  API      ${base}/api/v1`);
  console.log(`  Docs     ${base}/api/v1/docs`);
  console.log(`  OpenAPI  ${base}/api/v1/openapi.json`);
  console.log(`  Health   ${base}/api/v1/health  (also /live, /ready, /metrics)`);
  console.log(`  Stream   ${base.replace('http', 'ws')}/api/v1/stream`);
});

// Real-time events over WebSocket at /api/v1/stream (access token or `?ticket=` from POST /stream/ticket).
const stream = attachStream(server, engine, { path: '/api/v1/stream' });

// Graceful shutdown: stop accepting, close the sockets, let in-flight requests finish, then close the database.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stream.close();
    server.close(() => {
      void engine.close().then(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  });
}
