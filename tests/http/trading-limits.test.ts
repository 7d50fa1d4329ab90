import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { manualClock, MAX_MINOR_UNITS, silentLogger, type Broker, type Logger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { defineStrategy } from '@tradeplane/core/signals';
import { createTestDatabase, testDatabaseKinds, type TestDatabase, type TestDatabaseKind } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, TEST_AUTH, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-08-03T10:00:00.000Z');
const idem = () => ({ 'Idempotency-Key': randomUUID() });
/** The largest amount, as the wire shows USD. */
const MAX_USD = `${MAX_MINOR_UNITS / 100n}.${String(MAX_MINOR_UNITS % 100n).padStart(2, '0')}`;

type Bar = [number, number, number, number];

/** Shared by the suites below: one server, bars on one timeline, signed-in helpers. */
function harness(kind: TestDatabaseKind, options: Parameters<typeof startTestServer>[1] = {}) {
  const clock = manualClock(new Date(T0));
  const logged: Record<string, unknown>[] = [];
  const capture = (obj: object | string) => void logged.push(typeof obj === 'string' ? { msg: obj } : (obj as Record<string, unknown>));
  const logger: Logger = { info: capture, warn: capture, error: capture };
  const h = {
    server: undefined as unknown as TestServer,
    admin: undefined as unknown as SignedIn,
    clock,
    logged,
    minute: 0,
    async start() {
      h.server = await startTestServer(kind, { clock, logger, auth: { accessTokenTtl: 24 * 3600 }, ...options });
      h.admin = await signUpAdmin(h.server);
    },
    /** Stores one 1m bar per [open, high, low, close] and moves the clock to the last bar's close. */
    async bars(symbol: string, ohlc: Bar[]) {
      const start = h.minute;
      const candles = ohlc.map(([open, high, low, close], i) => ({ symbol, interval: '1m', open_time: new Date(T0 + (start + i) * MINUTE).toISOString(), open, high, low, close, volume: 1 }));
      h.minute += ohlc.length;
      clock.set(new Date(T0 + h.minute * MINUTE));
      const res = await h.server.request('POST', '/market/candles', { token: h.admin.access, body: { candles } });
      expect(res.status, res.text).toBe(200);
    },
    post: (path: string, user: SignedIn, body?: unknown) => h.server.request('POST', path, { token: user.access, body, headers: idem() }),
    get: (path: string, user: SignedIn) => h.server.request('GET', path, { token: user.access }),
    wallet: async (user: SignedIn) => (await h.get('/wallet', user)).body as { balance: string; held: string; available: string },
  };
  return h;
}

const flat = (price: number): Bar => [price, price, price, price];

describe.each(testDatabaseKinds())('trades at the limits of money on %s', (kind) => {
  const h = harness(kind);
  beforeAll(() => h.start());
  afterAll(() => h.server.close());
  afterEach(async () => {
    expect((await h.server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  it('settles a trade whose P&L would pass 2^63 − 1 minor units at what the account can hold, and it stays closable', async () => {
    const alice = await signUp(h.server);
    await h.bars('GAPUSD', [flat(1)]);
    const opened = await h.post('/trades/execute', alice, { symbol: 'GAPUSD', side: 'BUY', stake: '10.00' });
    expect(opened.status, opened.text).toBe(201);
    // A feed gaps the price up 10^17 times: 10.00 × 10^17 is far past the largest amount.
    await h.bars('GAPUSD', [flat(1e17)]);
    const profit = await h.get(`/trades/${opened.body.id}/profit`, alice);
    expect(profit.status, profit.text).toBe(200);
    expect(BigInt(profit.body.pnl.replace('.', ''))).toBeLessThanOrEqual(MAX_MINOR_UNITS);
    expect((await h.get('/positions', alice)).status).toBe(200);

    const closed = await h.post(`/trades/${opened.body.id}/close`, alice);
    expect(closed.status, closed.text).toBe(200);
    // The account holds 10,000.00 and can hold at most 2^63 − 1 minor units: the rest is not paid.
    expect(closed.body).toMatchObject({ status: 'closed', exit_price: 1e17, pnl: (() => { const room = MAX_MINOR_UNITS - 1_000_000n; return `${room / 100n}.${String(room % 100n).padStart(2, '0')}`; })() });
    expect(await h.wallet(alice)).toMatchObject({ balance: MAX_USD, held: '0.00' });
    expect((await h.server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  it('refuses with 422 an order whose size or take-profit would pass the largest amount, writing nothing', async () => {
    const bob = await signUp(h.server);
    await h.bars('BIGUSD', [flat(2)]);
    const huge = await h.post('/trades/execute', bob, { symbol: 'BIGUSD', side: 'BUY', quantity: 1e308 });
    expectProblem(huge, 422, 'validation_failed');
    expect(huge.body.errors).toEqual([expect.objectContaining({ path: 'quantity', code: 'too_large' })]);
    // A limit order: its price times its quantity is the size.
    const limit = await h.post('/orders', bob, { symbol: 'BIGUSD', side: 'BUY', type: 'limit', price: 1e300, quantity: 1e10 });
    expectProblem(limit, 422, 'validation_failed');
    expect(limit.body.errors).toEqual([expect.objectContaining({ path: 'quantity', code: 'too_large' })]);
    // 10.00 bought at 2 with a target at 10^18: the P&L at the target cannot be paid in any account.
    const target = await h.post('/trades/execute', bob, { symbol: 'BIGUSD', side: 'BUY', stake: '10.00', take_profit: 1e18 });
    expectProblem(target, 422, 'validation_failed');
    expect(target.body.errors).toEqual([expect.objectContaining({ path: 'take_profit', code: 'too_large' })]);
    expect(await h.wallet(bob)).toMatchObject({ balance: '10000.00', held: '0.00' });
    expect((await h.get('/orders', bob)).body.orders).toEqual([]);
    // Within the limits the same order goes through.
    expect((await h.post('/trades/execute', bob, { symbol: 'BIGUSD', side: 'BUY', stake: '10.00', take_profit: 1e6 })).status).toBe(201);
  });

  it('runs every other user’s stops and resting orders on a bar where one trade’s exit overflows', async () => {
    const gapper = await signUp(h.server);
    const stopped = await signUp(h.server);
    const resting = await signUp(h.server);
    await h.bars('OVFUSD', [flat(1)]);
    const first = await h.post('/trades/execute', gapper, { symbol: 'OVFUSD', side: 'BUY', stake: '10.00', take_profit: 2 });
    expect(first.status, first.text).toBe(201);
    const second = await h.post('/trades/execute', stopped, { symbol: 'OVFUSD', side: 'SELL', stake: '10.00', stop_loss: 1.5 });
    expect(second.status, second.text).toBe(201);
    const order = await h.post('/orders', resting, { symbol: 'OVFUSD', side: 'SELL', type: 'limit', price: 1e9, stake: '10.00' });
    expect(order.status, order.text).toBe(201);

    // The bar opens 10^17 above: the gapper's target fills at the open (a P&L past the limit),
    // the short is stopped at the open, the resting limit SELL fills at the open.
    await h.bars('OVFUSD', [flat(1e17)]);
    expect((await h.get(`/trades/${first.body.id}`, gapper)).body).toMatchObject({ status: 'closed', close_reason: 'take_profit' });
    expect((await h.get(`/trades/${second.body.id}`, stopped)).body).toMatchObject({ status: 'closed', close_reason: 'stop_loss', pnl: '-10.00' });
    expect((await h.get(`/orders/${order.body.id}`, resting)).body).toMatchObject({ status: 'filled', fill_price: 1e17 });
    expect((await h.server.engine.wallets.verifyLedger()).ok).toBe(true);
  });
});

/** Makes one trade's (or order's) row refuse updates, straight in the database: a failure of that trigger alone. */
async function refuseUpdates(server: { db: TestDatabase }, table: 'trades' | 'orders', id: string): Promise<() => Promise<void>> {
  const name = `tp_test_refuse_${table}`;
  if (server.db.kind === 'postgres') {
    await server.db.exec(`create or replace function ${name}() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$;
      create trigger ${name} before update on ${table} for each row when (old.id = '${id}') execute function ${name}();`);
    return () => server.db.exec(`drop trigger ${name} on ${table}; drop function ${name}();`);
  }
  await server.db.exec(`create trigger ${name} before update on ${table} when old.id = '${id}' begin select raise(abort, 'refused by the test'); end;`);
  return () => server.db.exec(`drop trigger ${name};`);
}

describe.each(testDatabaseKinds())('the market-bar listener isolates each trigger on %s', (kind) => {
  const h = harness(kind);
  beforeAll(() => h.start());
  afterAll(() => h.server.close());
  afterEach(async () => {
    expect((await h.server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  it('logs a failing stop or fill, runs everyone else’s, and retries the failed ones on the next bar', async () => {
    const [a, b, c, d] = [await signUp(h.server), await signUp(h.server), await signUp(h.server), await signUp(h.server)];
    await h.bars('ISOUSD', [flat(1)]);
    const target = await h.post('/trades/execute', a, { symbol: 'ISOUSD', side: 'BUY', stake: '10.00', take_profit: 2 });
    const stop = await h.post('/trades/execute', c, { symbol: 'ISOUSD', side: 'BUY', stake: '10.00', stop_loss: 0.8 });
    const failing = await h.post('/orders', b, { symbol: 'ISOUSD', side: 'BUY', type: 'limit', price: 0.5, stake: '10.00' });
    const other = await h.post('/orders', d, { symbol: 'ISOUSD', side: 'BUY', type: 'limit', price: 0.6, stake: '10.00' });
    for (const res of [target, stop, failing, other]) expect(res.status, res.text).toBe(201);
    const allowTrade = await refuseUpdates(h.server, 'trades', target.body.id);
    const allowOrder = await refuseUpdates(h.server, 'orders', failing.body.id);

    // One bar reaches a's target, c's stop and both limit prices.
    await h.bars('ISOUSD', [[1, 3, 0.4, 1]]);
    const barClose = new Date(T0 + h.minute * MINUTE).toISOString();
    expect((await h.get(`/trades/${target.body.id}`, a)).body.status).toBe('open');
    expect((await h.get(`/orders/${failing.body.id}`, b)).body.status).toBe('pending');
    expect((await h.get(`/trades/${stop.body.id}`, c)).body).toMatchObject({ status: 'closed', close_reason: 'stop_loss', exit_price: 0.8 });
    expect((await h.get(`/orders/${other.body.id}`, d)).body).toMatchObject({ status: 'filled', fill_price: 0.6 });
    expect(h.logged).toContainEqual(expect.objectContaining({ event: 'trading.trigger_failed', tradeId: target.body.id, reason: 'take_profit' }));
    expect(h.logged).toContainEqual(expect.objectContaining({ event: 'trading.fill_failed', orderId: failing.body.id }));

    // Once the database takes the writes again, the next bar settles both as that bar had them.
    await allowTrade();
    await allowOrder();
    await h.bars('ISOUSD', [flat(1)]);
    expect((await h.get(`/trades/${target.body.id}`, a)).body).toMatchObject({ status: 'closed', close_reason: 'take_profit', exit_price: 2, pnl: '10.00', closed_at: barClose });
    expect((await h.get(`/orders/${failing.body.id}`, b)).body).toMatchObject({ status: 'filled', fill_price: 0.5, resolved_at: barClose });
    expect((await h.get('/trades/open', b)).body.trades).toMatchObject([{ entry_price: 0.5, stake: '10.00' }]);
    expect((await h.server.engine.wallets.verifyLedger()).ok).toBe(true);
  });
});

describe.each(testDatabaseKinds().filter((k) => k !== 'sqlite-memory'))('a restart with a pending order on %s', (kind) => {
  it('one pending order the database refuses to fill does not keep anyone else from trading', async () => {
    const db = await createTestDatabase(kind);
    const clock = manualClock(new Date(T0));
    const base = { database: db.database, mode: 'test' as const, logger: silentLogger, clock, jobs: { enabled: false }, rateLimits: { enabled: false }, auth: TEST_AUTH };
    // A venue that fills market orders later, as real ones may: the order is stored pending.
    const venue: Broker = {
      quote: async (symbol) => ({ symbol, price: 1, bid: 1, ask: 1, time: clock.now() }),
      placeOrder: async () => ({ status: 'pending' }),
      cancelOrder: async () => false,
      positions: async () => [],
      onFill: () => () => {},
    };
    const first = await createEngine({ ...base, trading: { broker: venue } });
    const stuck = await first.auth.register({ email: 'stuck@example.com', password: 'stuck-long-passphrase' });
    const order = await first.trading.placeOrder(stuck.id, { symbol: 'RSMUSD', side: 'BUY', stake: '10.00', idempotencyKey: 'stuck-1' });
    expect(order.status).toBe('pending');
    await first.close();

    // The next process hands the order to its paper broker, which fills it; recording that fill fails.
    const allow = await refuseUpdates({ db }, 'orders', order.id);
    const second = await createEngine({ ...base });
    try {
      await second.market.ingest([{ symbol: 'RSMUSD', interval: '1m', openTime: new Date(T0), open: 1, high: 1, low: 1, close: 1, volume: 1 }]);
      const other = await second.auth.register({ email: 'other@example.com', password: 'other-long-passphrase' });
      clock.set(new Date(T0 + MINUTE));
      const trade = await second.trading.execute(other.id, { symbol: 'RSMUSD', side: 'BUY', stake: '10.00', idempotencyKey: 'other-1' });
      expect(trade).toMatchObject({ status: 'open', stake: '10.00' });
      expect((await second.trading.order(stuck.id, order.id)).status).toBe('pending');
      await allow();
    } finally {
      await second.close();
      await db.cleanup();
    }
  });
});

/** Buys on every bar: a backtest that keeps a trade open so its stop is what closes it. */
const alwaysBuy = defineStrategy({
  name: 'always_buy',
  description: 'Votes BUY on every bar',
  params: z.object({}),
  create: () => ({ name: 'always_buy', onCandle: () => ({ side: 'BUY', confidence: 1, reason: 'always' }) }),
});

describe.each(testDatabaseKinds())('stop exits pay the spread and slippage on %s', (kind) => {
  // 20 bps spread (10 each side of the last price) and 10 bps of adverse slippage.
  const h = harness(kind, { trading: { paper: { spreadBps: 20, slippageBps: 10 }, strategies: [alwaysBuy], backtests: { syncBars: 1000 } } });
  beforeAll(() => h.start());
  afterAll(() => h.server.close());
  afterEach(async () => {
    expect((await h.server.engine.wallets.verifyLedger()).ok).toBe(true);
  });
  /** What a SELL pays leaving at `level`, and what a BUY pays: the level, the half spread, the slippage. */
  const sellAt = (level: number) => level * (1 - 0.001) * (1 - 0.001);
  const buyAt = (level: number) => level * (1 + 0.001) * (1 + 0.001);

  it('a manual close, a stop-loss, a take-profit and a stop-out all leave at the bid (or ask) less slippage', async () => {
    const user = await signUp(h.server);
    await h.bars('CSTUSD', [flat(100)]);
    const manual = await h.post('/trades/execute', user, { symbol: 'CSTUSD', side: 'BUY', stake: '100.00' });
    const stopLoss = await h.post('/trades/execute', user, { symbol: 'CSTUSD', side: 'BUY', stake: '100.00', stop_loss: 95 });
    const takeProfit = await h.post('/trades/execute', user, { symbol: 'CSTUSD', side: 'BUY', stake: '100.00', take_profit: 105 });
    const stopOut = await h.post('/trades/execute', user, { symbol: 'CSTUSD', side: 'SELL', stake: '100.00' });
    for (const res of [manual, stopLoss, takeProfit, stopOut]) expect(res.status, res.text).toBe(201);
    expect(manual.body.entry_price).toBe(buyAt(100));
    expect(stopOut.body.entry_price).toBe(sellAt(100));

    const closed = await h.post(`/trades/${manual.body.id}/close`, user);
    expect(closed.body.exit_price).toBe(sellAt(100));

    await h.bars('CSTUSD', [[100, 100, 94, 96]]);
    expect((await h.get(`/trades/${stopLoss.body.id}`, user)).body).toMatchObject({ status: 'closed', close_reason: 'stop_loss', exit_price: sellAt(95) });
    await h.bars('CSTUSD', [[100, 106, 100, 104]]);
    expect((await h.get(`/trades/${takeProfit.body.id}`, user)).body).toMatchObject({ status: 'closed', close_reason: 'take_profit', exit_price: sellAt(105) });
    await h.bars('CSTUSD', [[150, 250, 150, 240]]);
    const out = (await h.get(`/trades/${stopOut.body.id}`, user)).body;
    expect(out).toMatchObject({ status: 'closed', close_reason: 'stop_out', exit_price: buyAt(2 * sellAt(100)), pnl: '-100.00' });
    // The stop-loss's P&L is the one its exit price gives: 100.00 × (exit − entry) ÷ entry.
    const stopped = (await h.get(`/trades/${stopLoss.body.id}`, user)).body;
    expect(Number(stopped.pnl)).toBeCloseTo((100 * (sellAt(95) - buyAt(100))) / buyAt(100), 2);
  });

  it('a backtest with stops shows the same costs on its stop exits', async () => {
    const user = await signUp(h.server);
    // 100 flat, then a fall through every stop, again and again.
    const candles = [];
    for (let i = -5; i < 40; i++) {
      const [open, high, low, close] = i >= 0 && i % 4 === 3 ? [100, 100, 90, 100] : [100, 100.2, 99.8, 100];
      candles.push({ symbol: 'BTSUSD', interval: '1m', open_time: new Date(T0 + 1000 * MINUTE + i * MINUTE).toISOString(), open, high, low, close, volume: 1 });
    }
    expect((await h.server.request('POST', '/market/candles', { token: h.admin.access, body: { candles } })).status).toBe(200);
    const res = await h.server.request('POST', '/backtests', {
      token: user.access,
      body: {
        symbol: 'BTSUSD',
        interval: '1m',
        from: new Date(T0 + 1000 * MINUTE).toISOString(),
        to: new Date(T0 + 1040 * MINUTE).toISOString(),
        initial_balance: '10000.00',
        strategies: [{ name: 'always_buy' }],
        consensus: { min_votes: 1, min_confidence: 0.5 },
        stake: '100.00',
        stop_loss_pct: 0.05,
        // Losing streaks must not pause the run: every stop here is a loss.
        risk: { max_consecutive_losses: 1000, loss_cooldown_minutes: 0 },
      },
    });
    expect(res.status, res.text).toBe(201);
    const stops = (res.body.trades as { close_reason: string; stop_loss: number; exit_price: number; entry_price: number }[]).filter((t) => t.close_reason === 'stop_loss');
    expect(stops.length).toBeGreaterThan(3);
    for (const t of stops) {
      expect(t.entry_price).toBe(buyAt(100));
      expect(t.exit_price).toBe(sellAt(t.stop_loss));
    }
  });
});
