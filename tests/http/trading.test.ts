import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const idem = () => ({ 'Idempotency-Key': randomUUID() });

describe.each(testDatabaseKinds())('trading routes on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  const clock = manualClock(new Date(T0));
  /** One timeline for every symbol: each new bar opens one minute after the last bar of any symbol. */
  let minute = 0;

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 24 * 3600 } });
    admin = await signUpAdmin(server);
  });
  afterAll(() => server.close());

  /** Ingests one 1m bar per [open, high, low, close] and moves the clock to the last bar's close. */
  async function bars(symbol: string, ohlc: [number, number, number, number][]) {
    const start = Math.max(minute, Math.ceil((clock.now().getTime() - T0) / MINUTE));
    const candles = ohlc.map(([open, high, low, close], i) => ({
      symbol,
      interval: '1m',
      open_time: new Date(T0 + (start + i) * MINUTE).toISOString(),
      open,
      high,
      low,
      close,
      volume: 1,
    }));
    minute = start + ohlc.length;
    clock.set(new Date(T0 + (start + ohlc.length) * MINUTE));
    const res = await server.request('POST', '/market/candles', { token: admin.access, body: { candles } });
    expect(res.status, res.text).toBe(200);
  }
  const flat = (price: number): [number, number, number, number] => [price, price, price, price];

  const post = (path: string, user: SignedIn, body?: unknown, headers: Record<string, string> = idem()) => server.request('POST', path, { token: user.access, body, headers });
  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });
  const wallet = async (user: SignedIn) => (await get('/wallet', user)).body as { balance: string; held: string; available: string };

  it('refuses a market trade on a symbol with no price, writing nothing', async () => {
    const alice = await signUp(server);
    const res = await post('/trades/execute', alice, { symbol: 'NOPRICE', side: 'BUY', stake: '10.00' });
    expectProblem(res, 409, 'no_market_price');
    expect(await wallet(alice)).toMatchObject({ balance: '10000.00', held: '0.00' });
    expect((await get('/orders', alice)).body.orders).toEqual([]);
  });

  it('opens at the last price with the stake held, marks to market, and settles the exact P&L on close', async () => {
    const alice = await signUp(server);
    await bars('EURUSD', [flat(1.25)]);
    const opened = await post('/trades/execute', alice, { symbol: 'EURUSD', side: 'BUY', stake: '100.00' });
    expect(opened.status, opened.text).toBe(201);
    expect(opened.body).toMatchObject({ symbol: 'EURUSD', side: 'BUY', stake: '100.00', currency: 'USD', entry_price: 1.25, quantity: 80, status: 'open', pnl: null, source: 'manual' });
    expect(await wallet(alice)).toMatchObject({ balance: '10000.00', held: '100.00', available: '9900.00' });
    expect((await get('/trades/open', alice)).body.trades.map((t: { id: string }) => t.id)).toEqual([opened.body.id]);

    await bars('EURUSD', [[1.25, 1.31, 1.24, 1.3]]);
    const positions = await get('/positions', alice);
    expect(positions.body.positions).toEqual([
      { account_id: opened.body.account_id, symbol: 'EURUSD', side: 'BUY', trades: 1, quantity: 80, stake: '100.00', currency: 'USD', average_entry_price: 1.25, price: 1.3, unrealised_pnl: '4.00' },
    ]);
    const profit = await get(`/trades/${opened.body.id}/profit`, alice);
    expect(profit.body).toEqual({ trade_id: opened.body.id, status: 'open', price: 1.3, pnl: '4.00', pnl_percent: 4, realised: false, currency: 'USD' });

    const closed = await post(`/trades/${opened.body.id}/close`, alice);
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', exit_price: 1.3, pnl: '4.00', close_reason: 'manual' });
    expect(await wallet(alice)).toMatchObject({ balance: '10004.00', held: '0.00' });
    const history = await get('/billing/transactions?kind=trade_settlement', alice);
    expect(history.body.transactions).toMatchObject([{ kind: 'trade_settlement', amount: '4.00', reference: opened.body.id }]);
    expectProblem(await post(`/trades/${opened.body.id}/close`, alice), 409, 'trade_not_open');
    expect((await get(`/trades/${opened.body.id}/profit`, alice)).body).toMatchObject({ realised: true, pnl: '4.00', price: 1.3 });
    const ledger = await server.request('GET', '/admin/ledger/verify', { token: admin.access });
    expect(ledger.body.ok).toBe(true);
  });

  it('a retried execute with the same Idempotency-Key returns the same trade and reserves once', async () => {
    const bob = await signUp(server);
    await bars('EURUSD', [flat(1.2)]);
    const headers = idem();
    const first = await post('/trades/execute', bob, { symbol: 'EURUSD', side: 'SELL', stake: '50.00' }, headers);
    expect(first.status, first.text).toBe(201);
    const retry = await post('/trades/execute', bob, { symbol: 'EURUSD', side: 'SELL', stake: '50.00' }, headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect(await wallet(bob)).toMatchObject({ held: '50.00' });
    expectProblem(await post('/trades/execute', bob, { symbol: 'EURUSD', side: 'SELL', stake: '51.00' }, headers), 409, 'idempotency_conflict');
  });

  it('a risk refusal names its reason, is logged as a protection event, and reserves nothing', async () => {
    const carol = await signUp(server);
    await bars('EURUSD', [flat(1.2)]);
    const res = await post('/trades/execute', carol, { symbol: 'EURUSD', side: 'BUY', stake: '0.10' });
    expectProblem(res, 409, 'risk_rejected');
    expect(res.body.errors).toEqual([{ in: 'body', path: 'stake', code: 'stake_below_min', message: expect.any(String) }]);
    expect(await wallet(carol)).toMatchObject({ held: '0.00' });
    expect((await get('/orders', carol)).body.orders).toEqual([]);
    const events = await get('/protection-events', carol);
    expect(events.body.events).toMatchObject([{ source: 'risk', reason: 'stake_below_min', symbol: 'EURUSD', side: 'BUY', stake: '0.10', currency: 'USD' }]);
    // Without a stake the risk manager's recommended stake is used: 0.35 with no losses.
    const recommended = await post('/trades/execute', carol, { symbol: 'EURUSD', side: 'BUY' });
    expect(recommended.body.stake).toBe('0.35');
  });

  it('bad input is a 422 with field errors and writes nothing', async () => {
    const dave = await signUp(server);
    await bars('EURUSD', [flat(1.2)]);
    const both = await post('/trades/execute', dave, { symbol: 'EURUSD', side: 'BUY', stake: '10.00', quantity: 5 });
    expectProblem(both, 422, 'validation_failed');
    const wrongSide = await post('/trades/execute', dave, { symbol: 'EURUSD', side: 'BUY', stake: '10.00', stop_loss: 1.3 });
    expectProblem(wrongSide, 422, 'validation_failed');
    expect(wrongSide.body.errors).toMatchObject([{ path: 'stop_loss', code: 'wrong_side' }]);
    const noPrice = await post('/orders', dave, { symbol: 'EURUSD', side: 'BUY', stake: '10.00', type: 'limit' });
    expectProblem(noPrice, 422, 'validation_failed');
    expect(noPrice.body.errors).toMatchObject([{ path: 'price', code: 'required' }]);
    expect(await wallet(dave)).toMatchObject({ held: '0.00' });
    expect((await get('/orders', dave)).body.orders).toEqual([]);
  });

  it('a limit order rests with its stake held, fills when a later bar crosses it, and a cancelled one releases its stake', async () => {
    const erin = await signUp(server);
    await bars('GBPUSD', [flat(2)]);
    const limit = await post('/orders', erin, { symbol: 'GBPUSD', side: 'BUY', type: 'limit', price: 1.9, stake: '20.00' });
    expect(limit.status, limit.text).toBe(201);
    expect(limit.body).toMatchObject({ status: 'pending', type: 'limit', price: 1.9, stake: '20.00', trade_id: null });
    const other = await post('/orders', erin, { symbol: 'GBPUSD', side: 'SELL', type: 'stop', price: 1.5, stake: '30.00' });
    expect(await wallet(erin)).toMatchObject({ held: '50.00' });

    await bars('GBPUSD', [[1.95, 1.96, 1.92, 1.93]]); // does not reach 1.90
    expect((await get(`/orders/${limit.body.id}`, erin)).body.status).toBe('pending');
    await bars('GBPUSD', [[1.93, 1.94, 1.85, 1.88]]);
    const filled = (await get(`/orders/${limit.body.id}`, erin)).body;
    expect(filled).toMatchObject({ status: 'filled', fill_price: 1.9 });
    const trade = (await get(`/trades/${filled.trade_id}`, erin)).body;
    expect(trade).toMatchObject({ status: 'open', entry_price: 1.9, stake: '20.00', order_id: limit.body.id });

    const cancelled = await server.request('DELETE', `/orders/${other.body.id}`, { token: erin.access });
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(await wallet(erin)).toMatchObject({ balance: '10000.00', held: '20.00' });
    expectProblem(await server.request('DELETE', `/orders/${other.body.id}`, { token: erin.access }), 409, 'order_not_pending');
  });

  it('a stop-loss closes the trade at its level when a bar reaches it, and the loss is settled', async () => {
    const frank = await signUp(server);
    await bars('XAUUSD', [flat(2000)]);
    const opened = await post('/trades/execute', frank, { symbol: 'XAUUSD', side: 'BUY', stake: '200.00', stop_loss: 1900, take_profit: 2200 });
    expect(opened.status, opened.text).toBe(201);
    await bars('XAUUSD', [[1990, 2010, 1950, 1960]]);
    expect((await get(`/trades/${opened.body.id}`, frank)).body.status).toBe('open');
    await bars('XAUUSD', [[1960, 1970, 1880, 1890]]);
    const closed = (await get(`/trades/${opened.body.id}`, frank)).body;
    expect(closed).toMatchObject({ status: 'closed', close_reason: 'stop_loss', exit_price: 1900, pnl: '-10.00' });
    expect(await wallet(frank)).toMatchObject({ balance: '9990.00', held: '0.00' });
  });

  it('a losing streak locks trading for the cooldown; an admin can lift the lock', async () => {
    const gina = await signUp(server);
    const profile = await server.request('PUT', '/risk/profile', { token: gina.access, body: { max_consecutive_losses: 2, loss_cooldown_minutes: 30 } });
    expect(profile.status, profile.text).toBe(200);
    expect(profile.body).toMatchObject({ max_consecutive_losses: 2, loss_cooldown_minutes: 30, is_default: false, min_stake: '0.35' });
    await bars('USDJPY', [flat(150)]);
    for (let i = 0; i < 2; i++) {
      const t = await post('/trades/execute', gina, { symbol: 'USDJPY', side: 'BUY', stake: '10.00' });
      expect(t.status, t.text).toBe(201);
      await bars('USDJPY', [flat(149)]);
      expect((await post(`/trades/${t.body.id}/close`, gina)).body.pnl).toBe('-0.07');
      await bars('USDJPY', [flat(150)]);
    }
    const state = await get('/risk/profile', gina);
    expect(state.body.state).toMatchObject({ consecutive_losses: 2, daily_loss: '0.14', recommended_stake: '0.79' });
    const locks = await get('/risk/locks', gina);
    expect(locks.body.locks).toMatchObject([{ scope: 'user', reason: 'max_consecutive_losses', active: true }]);

    const refused = await post('/trades/execute', gina, { symbol: 'USDJPY', side: 'BUY', stake: '10.00' });
    expectProblem(refused, 409, 'risk_rejected');
    expect(refused.body.errors[0].code).toBe('locked');

    const cleared = await server.request('DELETE', `/admin/risk/locks/${locks.body.locks[0].id}`, { token: admin.access });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body).toMatchObject({ active: false, cleared_by: admin.id });
    expectProblem(await server.request('DELETE', `/admin/risk/locks/${locks.body.locks[0].id}`, { token: gina.access }), 403, 'forbidden');
    // The streak itself still stands: the next refusal is the streak rule, which locks again.
    const again = await post('/trades/execute', gina, { symbol: 'USDJPY', side: 'BUY', stake: '10.00' });
    expect(again.body.errors[0].code).toBe('max_consecutive_losses');
    clock.advance(31 * MINUTE);
    const later = await post('/trades/execute', gina, { symbol: 'USDJPY', side: 'BUY', stake: '10.00' });
    expect(later.status, later.text).toBe(201);
    const events = await get('/protection-events?reason=locked', gina);
    expect(events.body.events).toHaveLength(1);
  });

  it('an invalid risk profile is refused with field errors and changes nothing', async () => {
    const hank = await signUp(server);
    const res = await server.request('PUT', '/risk/profile', { token: hank.access, body: { min_stake: '50.00', max_stake: '10.00', time_zone: 'Mars/Olympus' } });
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['min_stake', 'time_zone']);
    expect((await get('/risk/profile', hank)).body).toMatchObject({ is_default: true, min_stake: '0.35', max_stake: '1000.00', time_zone: 'UTC' });
  });

  it('concurrent trades cannot exceed max open positions', async () => {
    const ivy = await signUp(server);
    await server.request('PUT', '/risk/profile', { token: ivy.access, body: { max_open_positions: 3 } });
    await bars('AUDUSD', [flat(0.65)]);
    const results = await Promise.all(Array.from({ length: 8 }, () => post('/trades/execute', ivy, { symbol: 'AUDUSD', side: 'BUY', stake: '5.00' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409]);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.errors[0].code === 'max_open_positions')).toBe(true);
    expect(await wallet(ivy)).toMatchObject({ held: '15.00' });
  });
});
