import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-03-02T00:00:00.000Z'); // a Monday

/** A bar on the wire. Prices step by `i` so every bar is distinguishable. */
const bar = (symbol: string, i: number, over: Record<string, unknown> = {}) => ({
  symbol,
  interval: '1m',
  open_time: new Date(T0 + i * MINUTE).toISOString(),
  open: 100 + i,
  high: 101 + i,
  low: 99 + i,
  close: 100.5 + i,
  volume: 10,
  ...over,
});

describe.each(testDatabaseKinds())('market data routes on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  let user: SignedIn;
  beforeAll(async () => {
    server = await startTestServer(kind);
    admin = await signUpAdmin(server);
    user = await signUp(server);
  });
  afterAll(() => server.close());

  const ingest = (candles: unknown[], who: SignedIn = admin) => server.request('POST', '/market/candles', { token: who.access, body: { candles } });

  it('stores a batch, serves it back oldest first, and re-ingesting replaces instead of duplicating', async () => {
    const first = await ingest([0, 1, 2].map((i) => bar('EURUSD', i)));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 3 });
    // Re-send bar 2 corrected, plus a new bar 3, with decimal-string prices as many feeds send them.
    const again = await ingest([bar('EURUSD', 2, { close: '101.25' }), bar('EURUSD', 3, { open: '103', high: '104', low: '102', close: '103.5', volume: '7.5' })]);
    expect(again.body).toEqual({ accepted: 2 });
    const listed = await server.request('GET', '/market/candles/EURUSD?interval=1m', { token: user.access });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      symbol: 'EURUSD',
      interval: '1m',
      candles: [
        { open_time: '2026-03-02T00:00:00.000Z', open: 100, high: 101, low: 99, close: 100.5, volume: 10 },
        { open_time: '2026-03-02T00:01:00.000Z', open: 101, high: 102, low: 100, close: 101.5, volume: 10 },
        { open_time: '2026-03-02T00:02:00.000Z', open: 102, high: 103, low: 101, close: 101.25, volume: 10 },
        { open_time: '2026-03-02T00:03:00.000Z', open: 103, high: 104, low: 102, close: 103.5, volume: 7.5 },
      ],
    });
    const page = await server.request('GET', `/market/candles/EURUSD?from=${encodeURIComponent(new Date(T0 + MINUTE).toISOString())}&to=${encodeURIComponent(new Date(T0 + 3 * MINUTE).toISOString())}&limit=1`, { token: user.access });
    expect(page.body.candles.map((c: { open_time: string }) => c.open_time)).toEqual(['2026-03-02T00:01:00.000Z']);
  });

  it('within one batch the last copy of a bar wins', async () => {
    const res = await ingest([bar('GBPUSD', 0, { close: 100.1 }), bar('GBPUSD', 0, { close: 100.2 })]);
    expect(res.body).toEqual({ accepted: 1 });
    const listed = await server.request('GET', '/market/candles/GBPUSD', { token: user.access });
    expect(listed.body.candles).toEqual([expect.objectContaining({ close: 100.2 })]);
  });

  it('refuses an inconsistent or misaligned bar with a field error per problem, storing nothing of the batch', async () => {
    const before = await server.db.snapshot();
    const res = await ingest([
      bar('USDJPY', 0),
      bar('USDJPY', 1, { high: 90 }), // high below low, open and close
      bar('USDJPY', 2, { open_time: new Date(T0 + 2 * MINUTE + 1000).toISOString() }),
      bar('USDJPY', 3, { volume: -1, close: 0 }),
      bar('USDJPY', 4, { interval: '1w', open_time: new Date(T0 + 86_400_000).toISOString() }), // a Tuesday
    ]);
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors).toEqual([
      expect.objectContaining({ path: 'candles.1.low', code: 'low_above_high' }),
      expect.objectContaining({ path: 'candles.2.open_time', code: 'not_aligned' }),
      expect.objectContaining({ path: 'candles.3.close', code: 'not_positive' }),
      expect.objectContaining({ path: 'candles.3.volume', code: 'negative' }),
      expect.objectContaining({ path: 'candles.4.open_time', code: 'not_aligned' }),
    ]);
    for (const body of [{ candles: [] }, { candles: [bar('USDJPY', 0, { open: 'abc' })] }, { candles: [bar('bad symbol', 0)] }, { candles: [bar('USDJPY', 0, { interval: '7m' })] }]) {
      expectProblem(await server.request('POST', '/market/candles', { token: admin.access, body }), 422, 'validation_failed');
    }
    expect(await server.db.snapshot()).toEqual(before);
  });

  it('only admins (or their API keys with market:write) ingest; users read', async () => {
    expectProblem(await ingest([bar('EURUSD', 9)], user), 403, 'forbidden');
    const created = await server.request('POST', '/api-keys', { token: admin.access, body: { name: 'feed', scopes: ['market:write'] } });
    expect(created.status).toBe(201);
    const viaKey = await server.request('POST', '/market/candles', { headers: { 'x-api-key': created.body.key }, body: { candles: [bar('AUDUSD', 0)] } });
    expect(viaKey.body).toEqual({ accepted: 1 });
    expectProblem(await server.request('GET', '/market/candles/EURUSD'), 401, 'unauthenticated');
  });

  it('the ticker reports the latest close and 24-hour figures from the finest interval', async () => {
    const day = 1440;
    // 1m bars over 25 hours: the 24-hour window holds only the last 1440 of them.
    const bars = Array.from({ length: day + 60 }, (_, i) => bar('XAUUSD', i, { open: 2000 + i, high: 2001 + i, low: 1999 + i, close: 2000.5 + i, volume: 1 }));
    for (let i = 0; i < bars.length; i += 1000) expect((await ingest(bars.slice(i, i + 1000))).status).toBe(200);
    await ingest([{ ...bar('XAUUSD', 0), interval: '1h', open: 1, high: 99_999, low: 1, close: 2 }]); // coarser data does not mix in
    const ticker = await server.request('GET', '/market/ticker/XAUUSD', { token: user.access });
    expect(ticker.status).toBe(200);
    const last = day + 59;
    expect(ticker.body).toEqual({
      symbol: 'XAUUSD',
      price: 2000.5 + last,
      time: new Date(T0 + (last + 1) * MINUTE).toISOString(),
      interval: '1m',
      open_24h: 2000 + (last + 1 - day),
      high_24h: 2001 + last,
      low_24h: 1999 + (last + 1 - day),
      volume_24h: day,
      change_24h: 2000.5 + last - (2000 + (last + 1 - day)),
      change_percent_24h: ((2000.5 + last - (2000 + (last + 1 - day))) / (2000 + (last + 1 - day))) * 100,
    });
    expectProblem(await server.request('GET', '/market/ticker/NOPE', { token: user.access }), 404, 'not_found');
  });

  it('publishes stored bars to in-process subscribers, in open-time order, after they commit', async () => {
    const seen: string[] = [];
    const stop = server.engine.market.subscribe((c) => {
      seen.push(`${c.symbol}@${c.openTime.toISOString()}`);
    });
    await ingest([bar('NZDUSD', 1), bar('NZDUSD', 0)]);
    await ingest([bar('NZDUSD', 2, { high: 1 })]); // refused: not published
    stop();
    await ingest([bar('NZDUSD', 3)]);
    expect(seen).toEqual(['NZDUSD@2026-03-02T00:00:00.000Z', 'NZDUSD@2026-03-02T00:01:00.000Z']);
    expect(server.engine.market.lastPrice('NZDUSD')).toEqual({ price: 103.5, time: new Date(T0 + 4 * MINUTE) });
  });
});
