import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { manualClock } from '@tradeplane/core';
import { defineStrategy } from '@tradeplane/core/signals';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-05-04T00:00:00.000Z');
const WARM_UP = 60;
const BARS = 400;
const at = (bar: number) => new Date(T0 + bar * MINUTE).toISOString();

/** A wave with a drift: MA crossovers, RSI extremes, stops and targets all happen on it. */
function series(symbol: string, from: number, to: number) {
  const price = (i: number) => Math.round((100 + 8 * Math.sin((2 * Math.PI * i) / 40) + 3 * Math.sin((2 * Math.PI * i) / 7) + 0.02 * i) * 100) / 100;
  const candles = [];
  for (let i = from; i < to; i++) {
    const open = price(i - 1);
    const close = price(i);
    candles.push({ symbol, interval: '1m', open_time: at(i), open, high: Math.max(open, close) + 0.4, low: Math.min(open, close) - 0.4, close, volume: 1 });
  }
  return candles;
}

/** Votes a test can predict: BUY above `above`, SELL below `below`. */
const threshold = defineStrategy({
  name: 'threshold',
  description: 'Buys above one level and sells below another',
  params: z.object({ above: z.number().positive(), below: z.number().positive() }),
  create: ({ above, below }) => ({
    name: 'threshold',
    onCandle: (c) => (c.close > above ? { side: 'BUY', confidence: 1, reason: 'above' } : c.close < below ? { side: 'SELL', confidence: 1, reason: 'below' } : null),
  }),
});

const panel = {
  strategies: [{ name: 'scalping', params: { fast: 3, slow: 8, persist: 0 } }, { name: 'momentum', params: { period: 6 } }],
  consensus: { min_votes: 1, min_confidence: 0.05 },
  stake: '25.00',
  stop_loss_pct: 0.03,
  take_profit_pct: 0.04,
};

type WireTrade = Record<string, unknown>;
/** What a trade did, without ids or the account (the backtest's live on a scratch database). */
const essence = (t: WireTrade) => ({
  side: t.side,
  stake: t.stake,
  quantity: t.quantity,
  entry_price: t.entry_price,
  stop_loss: t.stop_loss,
  take_profit: t.take_profit,
  status: t.status,
  exit_price: t.exit_price,
  close_reason: t.close_reason,
  pnl: t.pnl,
  opened_at: t.opened_at,
  closed_at: t.closed_at,
});

describe.each(testDatabaseKinds())('backtests on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  // Only the live replay moves it: bar by bar, as a feed would.
  const clock = manualClock(new Date(T0));

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 7 * 24 * 3600 }, trading: { strategies: [threshold], backtests: { syncBars: 1000 } } });
    admin = await signUpAdmin(server);
    const candles = series('WAVE', -WARM_UP, BARS);
    const res = await server.request('POST', '/market/candles', { token: admin.access, body: { candles } });
    expect(res.status, res.text).toBe(200);
  });
  afterAll(() => server.close());

  const run = (user: SignedIn, body: Record<string, unknown>) => server.request('POST', '/backtests', { token: user.access, body });
  const request = (over: Record<string, unknown> = {}) => ({ symbol: 'WAVE', interval: '1m', from: at(0), to: at(BARS), initial_balance: '10000.00', ...panel, ...over });

  it('makes the trades a live bot makes on the same bars, and stores them', async () => {
    const user = await signUp(server);
    const res = await run(user, request());
    expect(res.status, res.text).toBe(201);
    const backtest = res.body;
    expect(backtest).toMatchObject({ status: 'completed', symbol: 'WAVE', candles: BARS, currency: 'USD', initial_balance: '10000.00', error: null });
    const trades: WireTrade[] = backtest.trades;
    expect(trades.length).toBeGreaterThan(5);
    expect(new Set(trades.map((t) => t.close_reason))).toContain('signal');

    // The live replay: the same warm-up bars stored, a bot created, then the bars one at a time.
    const replay = await signUp(server);
    const live = series('LIVE', -WARM_UP, BARS);
    await server.request('POST', '/market/candles', { token: admin.access, body: { candles: live.slice(0, WARM_UP) } });
    clock.set(new Date(T0));
    const bot = await server.request('POST', '/strategies', { token: replay.access, body: { name: 'replay', symbol: 'LIVE', interval: '1m', ...panel } });
    expect(bot.status, bot.text).toBe(201);
    for (const [i, candle] of live.slice(WARM_UP).entries()) {
      clock.set(new Date(T0 + (i + 1) * MINUTE));
      const sent = await server.request('POST', '/market/candles', { token: admin.access, body: { candles: [candle] } });
      expect(sent.status).toBe(200);
    }
    const liveTrades: WireTrade[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await server.request('GET', `/trades?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: replay.access });
      liveTrades.push(...page.body.trades);
      cursor = page.body.next_cursor;
      if (!cursor) break;
    }
    expect(trades.map(essence)).toEqual(liveTrades.reverse().map(essence));

    // The metrics follow from the trades and the account.
    const closed = trades.filter((t) => t.status === 'closed');
    const pnl = (t: WireTrade) => Number(t.pnl);
    const m = backtest.metrics;
    expect(m.closed_trades).toBe(closed.length);
    expect(m.open_trades).toBe(trades.length - closed.length);
    expect(m.wins).toBe(closed.filter((t) => pnl(t) > 0).length);
    expect(m.win_rate).toBeCloseTo(m.wins / closed.length, 12);
    expect(m.signals).toBeGreaterThan(m.traded_signals);
    expect(m.traded_signals).toBe(trades.length);
    // Final equity is what the live account holds plus its open trade at the last close.
    const account = (await server.request('GET', '/accounts', { token: replay.access })).body.accounts[0];
    const positions = (await server.request('GET', '/positions', { token: replay.access })).body.positions as { unrealised_pnl: string }[];
    const unrealised = positions.reduce((sum, p) => sum + Math.round(Number(p.unrealised_pnl) * 100), 0);
    expect(Math.round(Number(m.final_equity) * 100)).toBe(Math.round(Number(account.balance) * 100) + unrealised);
    expect(m.total_return).toBeCloseTo((Number(m.final_equity) - 10000) / 10000, 12);
    expect(backtest.equity).toHaveLength(BARS);
    expect(backtest.equity.at(-1)).toEqual({ time: at(BARS), equity: m.final_equity });

    const stored = await server.request('GET', `/backtests/${backtest.id}`, { token: user.access });
    expect(stored.body).toEqual(backtest);
    const listed = await server.request('GET', '/backtests', { token: user.access });
    expect(listed.body.backtests).toHaveLength(1);
    expect(listed.body.backtests[0]).toEqual(Object.fromEntries(Object.entries(backtest).filter(([k]) => k !== 'trades' && k !== 'equity')));
  });

  it('counts signals the risk manager refused, by reason', async () => {
    const user = await signUp(server);
    const res = await run(
      user,
      request({
        strategies: [{ name: 'threshold', params: { above: 104, below: 96 } }],
        consensus: { min_votes: 1 },
        stake: '10.00',
        risk: { max_stake: '5.00', min_stake: '1.00' },
      }),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.trades).toEqual([]);
    const rejected = res.body.metrics.rejected_signals;
    expect(Object.keys(rejected)).toEqual(['stake_above_max']);
    expect(rejected.stake_above_max).toBeGreaterThan(10);
    expect(res.body.metrics).toMatchObject({ final_equity: '10000.00', total_return: 0, closed_trades: 0, win_rate: null, profit_factor: null, traded_signals: 0 });
    expect(res.body.risk).toEqual({ max_stake: '5.00', min_stake: '1.00' });
    // The user's own protection log is untouched: the refusals happened on the scratch.
    expect((await server.request('GET', '/protection-events', { token: user.access })).body.events).toEqual([]);
  });

  it('refuses a bad request with field errors and stores nothing', async () => {
    const user = await signUp(server);
    const cases: [Record<string, unknown>, string[]][] = [
      [request({ strategies: [{ name: 'nope' }] }), ['strategies.0.name:unknown_strategy']],
      [request({ risk: { min_stake: '1.001' } }), ['risk.min_stake:too_many_decimals']],
      [request({ from: at(10), to: at(10) }), ['to:not_after_from']],
      [request({ from: at(BARS + 10), to: at(BARS + 20) }), ['from:no_candles']],
      [request({ currency: 'XYZ' }), ['currency:unknown_currency']],
      [request({ initial_balance: '0' }), ['initial_balance:not_positive']],
    ];
    for (const [body, errors] of cases) {
      const res = await run(user, body);
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`)).toEqual(errors);
    }
    expectProblem(await run(user, { ...request(), interval: '7m' }), 422, 'validation_failed');
    expect((await server.request('GET', '/backtests', { token: user.access })).body.backtests).toEqual([]);
  });

  it('another user cannot read a backtest', async () => {
    const owner = await signUp(server);
    const other = await signUp(server);
    const res = await run(owner, request({ to: at(100) }));
    expect(res.status).toBe(201);
    expectProblem(await server.request('GET', `/backtests/${res.body.id}`, { token: other.access }), 404, 'not_found');
  });
});

describe.each(testDatabaseKinds())('backtest jobs on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;

  beforeAll(async () => {
    server = await startTestServer(kind, { auth: { accessTokenTtl: 7 * 24 * 3600 }, trading: { backtests: { syncBars: 50, jobsPerUser: 2 } } });
    admin = await signUpAdmin(server);
    await server.request('POST', '/market/candles', { token: admin.access, body: { candles: series('WAVE', -WARM_UP, BARS) } });
  });
  afterAll(() => server.close());

  it('runs a long range as a job to poll, with the same result as answering at once', async () => {
    const user = await signUp(server);
    const body = { symbol: 'WAVE', interval: '1m', from: at(0), to: at(BARS), initial_balance: '10000.00', ...panel };
    const accepted = await server.request('POST', '/backtests', { token: user.access, body });
    expect(accepted.status, accepted.text).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'queued', candles: 0, metrics: null });
    let job = accepted.body;
    for (let tries = 0; job.status !== 'completed' && job.status !== 'failed' && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = (await server.request('GET', `/backtests/${accepted.body.id}`, { token: user.access })).body;
    }
    expect(job).toMatchObject({ status: 'completed', candles: BARS, error: null });

    // The same range, answered at once by the service (no sync limit applies there).
    const direct = await server.engine.backtests.create(user.id, {
      symbol: 'WAVE',
      interval: '1m',
      from: new Date(at(0)),
      to: new Date(at(49)),
      initialBalance: '10000.00',
      strategies: panel.strategies,
      consensus: { minVotes: 1, minConfidence: 0.05 },
      stake: '25.00',
      stopLossPct: 0.03,
      takeProfitPct: 0.04,
    });
    expect(direct.status).toBe('completed');
    const early = job.trades.filter((t: WireTrade) => (t.closed_at ?? '9') <= at(49));
    expect(direct.trades!.filter((t) => t.status === 'closed').map((t) => [t.side, t.entryPrice, t.exitPrice, t.pnl])).toEqual(early.map((t: WireTrade) => [t.side, t.entry_price, t.exit_price, t.pnl]));
  });

  it('lets a user queue only so many jobs at once', async () => {
    const user = await signUp(server);
    const input = { symbol: 'WAVE', interval: '1m' as const, from: new Date(at(0)), to: new Date(at(BARS)), initialBalance: '10000.00', strategies: panel.strategies };
    const results = await Promise.allSettled([1, 2, 3].map(() => server.engine.backtests.create(user.id, input)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
    await server.engine.backtests.idle();
    const listed = (await server.request('GET', '/backtests', { token: user.access })).body.backtests;
    expect(listed.map((b: { status: string }) => b.status)).toEqual(['completed', 'completed']);
  });
});
