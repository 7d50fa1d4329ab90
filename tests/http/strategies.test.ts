import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { manualClock } from '@tradeplane/core';
import { defineStrategy } from '@tradeplane/core/signals';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-03-02T10:00:00.000Z');

/** A user-registered strategy whose votes a test can predict: BUY above `above`, SELL below `below`. */
const threshold = defineStrategy({
  name: 'threshold',
  description: 'Buys above one level and sells below another',
  params: z.object({ above: z.number().positive(), below: z.number().positive() }),
  create: ({ above, below }) => ({
    name: 'threshold',
    onCandle: (c) =>
      c.close > above
        ? { side: 'BUY', confidence: 1, reason: `close ${c.close} above ${above}` }
        : c.close < below
          ? { side: 'SELL', confidence: 1, reason: `close ${c.close} below ${below}` }
          : null,
  }),
});

describe.each(testDatabaseKinds())('strategy bots on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  const clock = manualClock(new Date(T0));
  let minute = 0;

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 24 * 3600 }, trading: { strategies: [threshold] } });
    admin = await signUpAdmin(server);
  });
  afterAll(() => server.close());

  async function closes(symbol: string, prices: number[]) {
    for (const price of prices) {
      const candle = { symbol, interval: '1m', open_time: new Date(T0 + minute * MINUTE).toISOString(), open: price, high: price, low: price, close: price, volume: 1 };
      minute += 1;
      clock.set(new Date(T0 + minute * MINUTE));
      const res = await server.request('POST', '/market/candles', { token: admin.access, body: { candles: [candle] } });
      expect(res.status, res.text).toBe(200);
    }
  }
  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });
  const create = (user: SignedIn, body: Record<string, unknown>) => server.request('POST', '/strategies', { token: user.access, body });
  const bot = (symbol: string, over: Record<string, unknown> = {}) => ({
    name: 'levels',
    symbol,
    interval: '1m',
    strategies: [{ name: 'threshold', params: { above: 105, below: 95 } }],
    consensus: { min_votes: 1 },
    stake: '10.00',
    ...over,
  });

  it('lists the built-in and registered strategies with their parameters', async () => {
    const user = await signUp(server);
    const res = await get('/strategies/catalog', user);
    expect(res.body.strategies.map((s: { name: string }) => s.name)).toEqual(['breakout', 'momentum', 'scalping', 'threshold']);
    expect(res.body.strategies[3].params).toMatchObject({ type: 'object', properties: { above: { type: 'number' } } });
  });

  it('refuses an unknown strategy or bad parameters with a field error each', async () => {
    const user = await signUp(server);
    const res = await create(user, bot('BTCUSD', { strategies: [{ name: 'nope' }, { name: 'threshold', params: { above: -1, below: 95 } }] }));
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`)).toEqual(['strategies.0.name:unknown_strategy', 'strategies.1.params.above:too_small']);
    expect((await get('/strategies', user)).body.strategies).toEqual([]);
  });

  it('records every signal, trades on actionable ones, flips on the opposite side, and stops when paused', async () => {
    const user = await signUp(server);
    const created = await create(user, bot('BTCUSD'));
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ status: 'active', symbol: 'BTCUSD', consensus: { min_votes: 1 }, stake: '10.00' });

    await closes('BTCUSD', [100, 106, 107, 94]);
    const signals = (await get(`/signals?strategy_id=${created.body.id}`, user)).body.signals;
    expect(signals.map((s: { side: string; outcome: string }) => `${s.side}:${s.outcome}`)).toEqual(['SELL:traded', 'BUY:already_open', 'BUY:traded']);
    expect(signals[2]).toMatchObject({ decision: 'act', confidence: 1, votes: [{ strategy: 'threshold', side: 'BUY', confidence: 1, reason: 'close 106 above 105' }] });

    const trades = (await get('/trades', user)).body.trades;
    expect(trades).toMatchObject([
      { side: 'SELL', status: 'open', entry_price: 94, source: 'strategy', reference: created.body.id },
      { side: 'BUY', status: 'closed', entry_price: 106, exit_price: 94, close_reason: 'signal', pnl: '-1.13', source: 'strategy' },
    ]);
    expect(signals[0].trade_id).toBe(trades[0].id);

    const paused = await server.request('POST', `/strategies/${created.body.id}/pause`, { token: user.access });
    expect(paused.body.status).toBe('paused');
    await closes('BTCUSD', [110]);
    expect((await get(`/signals?strategy_id=${created.body.id}`, user)).body.signals).toHaveLength(3);
  });

  it('a signal the risk manager refuses is recorded with the reason', async () => {
    const user = await signUp(server);
    const created = await create(user, bot('ETHUSD', { stake: '0.10' }));
    await closes('ETHUSD', [100, 106]);
    const [signal] = (await get(`/signals?strategy_id=${created.body.id}`, user)).body.signals;
    expect(signal).toMatchObject({ side: 'BUY', outcome: 'risk_rejected:stake_below_min', trade_id: null });
    expect((await get('/protection-events', user)).body.events).toMatchObject([{ reason: 'stake_below_min', details: { source: 'strategy' } }]);
  });

  it('another user cannot see or pause a bot', async () => {
    const owner = await signUp(server);
    const other = await signUp(server);
    const created = await create(owner, bot('SOLUSD'));
    expectProblem(await get(`/strategies/${created.body.id}`, other), 404, 'not_found');
    expectProblem(await server.request('POST', `/strategies/${created.body.id}/pause`, { token: other.access }), 404, 'not_found');
    expect((await get(`/signals?strategy_id=${created.body.id}`, other)).body.signals).toEqual([]);
  });
});
