/**
 * One server of the HTTP bench, in its own process (so the load generator does not share its
 * event loop): `bare` is a plain Express 5 handler reading the account row with better-sqlite3
 * or postgres.js; `tradeplane` is the engine's authenticated `GET /wallet` through the Express
 * adapter. Prints `ready <port>` once listening.
 *
 *   node bench/http-server.mjs bare|tradeplane|tradeplane-limited <database> <userId>
 */
import express from 'express';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import pino from 'pino';
import { createEngine } from '@tradeplane/engine';
import { tradeplaneExpress } from '@tradeplane/adapter-express';

const [mode, database, userId, jwtSecret] = process.argv.slice(2);
const app = express();
app.disable('x-powered-by');

if (mode === 'bare') {
  // The same row the wallet route reads, by the same driver, with nothing around it.
  if (database.startsWith('postgres')) {
    const sql = postgres(database, { max: 10 });
    app.get('/wallet', async (_req, res) => {
      const [row] = await sql`select id, currency, balance, held from accounts where user_id = ${userId} and is_default = true limit 1`;
      res.json({ id: row.id, currency: row.currency, balance: String(row.balance), held: String(row.held) });
    });
  } else {
    const db = new Database(database);
    db.defaultSafeIntegers(true);
    const statement = db.prepare('select id, currency, balance, held from accounts where user_id = ? and is_default = 1 limit 1');
    app.get('/wallet', (_req, res) => {
      const row = statement.get(userId);
      res.json({ id: row.id, currency: row.currency, balance: String(row.balance), held: String(row.held) });
    });
  }
} else {
  const engine = await createEngine({
    database,
    mode: 'production',
    // A real pino logger writing every request line, to /dev/null: the cost of logging counts.
    logger: pino({ level: 'info' }, pino.destination('/dev/null')),
    auth: { jwtSecret },
    migrate: false,
    jobs: { enabled: false },
    // Limits on, but high enough that the run measures their cost rather than 429s.
    rateLimits: mode === 'tradeplane-limited' ? { default: { limit: 100_000_000, windowSeconds: 60 } } : { enabled: false },
  });
  app.use(tradeplaneExpress(engine, { docs: false }));
}

const server = app.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
