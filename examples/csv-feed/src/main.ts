/**
 * Feeds a CSV of candles into tradeplane. The shipped file is synthetic (a seeded random walk,
 * 30 days of hourly BTCUSD-like bars from 2026-01-05): a format sample, not market history.
 *
 *   pnpm --filter @tradeplane/example-csv-feed start                       # the shipped candles/btcusd-1h.csv into ./data/tradeplane.db
 *   pnpm --filter @tradeplane/example-csv-feed start -- my.csv ETHUSD 1m   # another file, symbol and interval
 *
 * With TRADEPLANE_URL (`http://localhost:3000/api/v1`) and TRADEPLANE_API_KEY (an admin's key with
 * `market:write`) it posts the batches to a running server through the typed client, so that
 * server's bots and paper broker see every bar. Without them it opens the database itself
 * (DATABASE_URL, or the default SQLite file the server uses) and stores the bars directly, ready
 * for `POST /backtests`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { candleIntervals, type CandleInterval } from '@tradeplane/core';
import { createClient } from '@tradeplane/client';
import { createEngine } from '@tradeplane/engine';
import { feedCandles, parseCandlesCsv } from './csv.js';

const [file = fileURLToPath(new URL('../candles/btcusd-1h.csv', import.meta.url)), symbol = 'BTCUSD', interval = '1h'] = process.argv.slice(2).filter((a) => a !== '--');
if (!(candleIntervals as readonly string[]).includes(interval)) throw new Error(`interval must be one of ${candleIntervals.join(', ')}, not '${interval}'`);
const candles = parseCandlesCsv(readFileSync(file, 'utf8'), { symbol, interval });
console.log(`${candles.length} ${symbol} ${interval} bars read from ${file}`);

const url = process.env.TRADEPLANE_URL;
if (url) {
  const api = createClient({ baseUrl: url, apiKey: process.env.TRADEPLANE_API_KEY });
  const stored = await feedCandles(candles, (batch) =>
    api.market.ingestCandles({
      candles: batch.map((c) => ({ symbol: c.symbol, interval: c.interval as CandleInterval, open_time: c.openTime.toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume })),
    }),
  );
  console.log(`${stored} bars stored by ${url}`);
} else {
  const database = process.env.DATABASE_URL ?? resolve(process.env.INIT_CWD ?? process.cwd(), 'data/tradeplane.db');
  const engine = await createEngine({ database });
  try {
    const stored = await feedCandles(candles, (batch) => engine.market.ingest(batch.map((c) => ({ ...c, interval: c.interval as CandleInterval }))));
    console.log(`${stored} bars stored in ${database}`);
  } finally {
    await engine.close();
  }
}
