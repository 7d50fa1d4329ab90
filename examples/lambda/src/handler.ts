/**
 * tradeplane on AWS Lambda (API Gateway REST or HTTP API, Function URL or ALB).
 *
 * The engine is created once per container, on the first invocation, and reused by every
 * invocation after it. With PostgreSQL keep the pool small — 1–2 connections per container — or
 * put RDS Proxy in front: Lambda scales out by containers, not by pool size. Run migrations
 * from a deploy step (`openStorage(url).migrate()`) and set `MIGRATE=false` here.
 *
 * Without DATABASE_URL it falls back to SQLite in /tmp: a demo only — /tmp is per container
 * and disappears with it.
 */
import { createEngine } from '@tradeplane/engine';
import { tradeplaneLambda } from '@tradeplane/adapter-lambda';

export const handler = tradeplaneLambda(
  async () => {
    const database = process.env.DATABASE_URL ?? '/tmp/tradeplane.db';
    if (!process.env.DATABASE_URL) {
      console.warn('tradeplane: DATABASE_URL is not set; using SQLite in /tmp (per container, lost on recycle): demo only');
    }
    return createEngine({
      database,
      mode: process.env.JWT_SECRET ? 'production' : 'development',
      migrate: process.env.MIGRATE !== 'false',
      postgres: { max: 2 },
      auth: { jwtSecret: process.env.JWT_SECRET || undefined },
    });
  },
  { basePath: process.env.BASE_PATH ?? '', cookies: process.env.COOKIE_MODE === 'true' },
);
