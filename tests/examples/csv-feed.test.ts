import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { tradeplaneExpress } from '@tradeplane/adapter-express';
import { createClient } from '@tradeplane/client';
import { CsvError, feedCandles, parseCandlesCsv } from '../../examples/csv-feed/src/csv.js';
import { TEST_AUTH } from '../support/server.js';

const shipped = readFileSync(new URL('../../examples/csv-feed/candles/btcusd-1h.csv', import.meta.url), 'utf8');

describe('the CSV feed example', () => {
  it('reads columns in any order, ISO or epoch-millisecond times, and skips blank lines', () => {
    const candles = parseCandlesCsv('volume,close,open_time,high,low,open,note\n2,10.5,2026-01-05T00:00:00Z,11,9,10,x\n\n3,11,1767574800000,12,10,10.5,y\n', { symbol: 'ABC', interval: '1h' });
    expect(candles).toEqual([
      { symbol: 'ABC', interval: '1h', openTime: new Date('2026-01-05T00:00:00Z'), open: 10, high: 11, low: 9, close: 10.5, volume: 2 },
      { symbol: 'ABC', interval: '1h', openTime: new Date('2026-01-05T01:00:00Z'), open: 10.5, high: 12, low: 10, close: 11, volume: 3 },
    ]);
  });

  it('reports every bad cell with its line and returns nothing', () => {
    const bad = 'open_time,open,high,low,close,volume\n2026-01-05T00:00:00Z,10,11,9,10,1\nyesterday,10,eleven,9,10,1\n';
    expect(() => parseCandlesCsv(bad, { symbol: 'ABC', interval: '1h' })).toThrow(CsvError);
    try {
      parseCandlesCsv(bad, { symbol: 'ABC', interval: '1h' });
    } catch (error) {
      expect((error as CsvError).problems).toEqual(["line 3: open_time 'yesterday' is not a timestamp", "line 3: high 'eleven' is not a number"]);
    }
    expect(() => parseCandlesCsv('time,open,high,low,close\n', { symbol: 'ABC', interval: '1h' })).toThrow('the header lacks open_time, volume');
  });

  describe('against a running server', () => {
    let engine: Engine;
    let server: Server;
    let baseUrl: string;

    beforeAll(async () => {
      engine = await createEngine({ database: ':memory:', mode: 'test', logger: silentLogger, auth: TEST_AUTH });
      const app = express();
      app.use('/api/v1', tradeplaneExpress(engine));
      server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await engine.close();
    });

    it('posts the shipped file in batches with an admin API key, and a backtest can replay it', async () => {
      const api = createClient({ baseUrl });
      const { user } = await api.auth.register({ email: 'feed@example.com', password: 'feed-long-passphrase' });
      await engine.admin.setRole(null, user.id, 'admin');
      await api.auth.login({ email: 'feed@example.com', password: 'feed-long-passphrase' });
      const { key } = await api.apiKeys.create({ name: 'csv feed', scopes: ['market:write'] });

      const candles = parseCandlesCsv(shipped, { symbol: 'BTCUSD', interval: '1h' });
      expect(candles).toHaveLength(720);
      const feed = createClient({ baseUrl, apiKey: key });
      let batches = 0;
      const stored = await feedCandles(
        candles,
        (batch) => (batches++, feed.market.ingestCandles({ candles: batch.map((c) => ({ symbol: c.symbol, interval: '1h', open_time: c.openTime.toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume })) })),
        500,
      );
      expect([stored, batches]).toEqual([720, 2]);
      expect((await api.market.ticker({ symbol: 'BTCUSD' })).price).toBe(candles[719]!.close);

      const backtest = await api.backtests.create({
        symbol: 'BTCUSD',
        interval: '1h',
        from: '2026-01-05T00:00:00.000Z',
        to: '2026-02-04T00:00:00.000Z',
        strategies: [{ name: 'momentum' }, { name: 'scalping' }],
        consensus: { min_votes: 1, min_confidence: 0.5 },
        initial_balance: '10000.00',
        stake: '100.00',
      });
      expect(backtest).toMatchObject({ status: 'completed', candles: 720 });
      expect(backtest.metrics!.buy_and_hold_return).toBeCloseTo(candles[719]!.close / candles[0]!.close - 1, 12);
    });
  });
});
