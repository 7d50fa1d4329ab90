import { z } from 'zod';
import { CURRENCY_CODE } from '../money/currency.js';
import { candleIntervals } from '../market/intervals.js';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';
import { symbolSchema } from './market.js';
import { amountSchema } from './wallets.js';
import { riskProfileUpdateSchema } from './risk.js';
import { consensusOptionsSchema, strategyEntrySchema } from './strategies.js';

const id = z.string().min(1).max(64);

export const backtestTradeSchema = z
  .object({
    side: z.enum(['BUY', 'SELL']),
    stake: z.string(),
    quantity: z.number(),
    entry_price: z.number(),
    stop_loss: z.number().nullable(),
    take_profit: z.number().nullable(),
    status: z.enum(['open', 'closed']),
    exit_price: z.number().nullable(),
    close_reason: z.string().nullable(),
    pnl: z.string().nullable().meta({ description: 'Realised P&L; null while open at the end of the range' }),
    opened_at: timestamp,
    closed_at: timestamp.nullable(),
  })
  .meta({ id: 'BacktestTrade' });

const ratio = (description: string) => z.number().nullable().meta({ description });

export const backtestMetricsSchema = z
  .object({
    final_equity: z.string().meta({ description: 'Balance plus open trades at the last close' }),
    total_return: z.number().meta({ description: '(final − initial) ÷ initial' }),
    buy_and_hold_return: z.number().meta({ description: '(last close − first close) ÷ first close' }),
    closed_trades: z.number().int(),
    open_trades: z.number().int().meta({ description: 'Trades still open at the end (valued at the last close, not counted below)' }),
    wins: z.number().int(),
    losses: z.number().int(),
    win_rate: ratio('wins ÷ closed trades (a win is pnl > 0)'),
    profit_factor: ratio('Σ winning pnl ÷ |Σ losing pnl|; null without losses'),
    max_drawdown: z.number().meta({ description: 'max over t of (peak − equity) ÷ peak' }),
    sharpe: ratio('mean ÷ sample sd of per-bar returns × √P; null when sd = 0'),
    sortino: ratio('mean ÷ downside deviation of per-bar returns × √P; null when it is 0'),
    periods_per_year: z.number().meta({ description: 'P: bars per year (365.25 days ÷ bar length)' }),
    expectancy: z.string().nullable().meta({ description: 'Σ pnl ÷ closed trades' }),
    max_consecutive_wins: z.number().int(),
    max_consecutive_losses: z.number().int(),
    cagr: ratio('(final ÷ initial)^(1 ÷ years) − 1'),
    calmar: ratio('CAGR ÷ max drawdown'),
    signals: z.number().int().meta({ description: 'Consensus rounds evaluated' }),
    traded_signals: z.number().int(),
    rejected_signals: z.record(z.string(), z.number().int()).meta({ description: 'Signals the risk manager refused, by reason' }),
  })
  .meta({ id: 'BacktestMetrics' });

export const backtestSchema = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed']),
    symbol: z.string(),
    interval: z.string(),
    from: timestamp,
    to: timestamp,
    currency: z.string(),
    initial_balance: z.string(),
    strategies: z.array(z.object({ name: z.string(), params: z.record(z.string(), z.unknown()).optional() })),
    consensus: z.record(z.string(), z.unknown()),
    risk: z.record(z.string(), z.unknown()),
    stake: z.string().nullable(),
    stop_loss_pct: z.number().nullable(),
    take_profit_pct: z.number().nullable(),
    candles: z.number().int().meta({ description: 'Bars replayed (so far, while running)' }),
    metrics: backtestMetricsSchema.nullable(),
    trades: z.array(backtestTradeSchema).optional().meta({ description: 'In the order they opened (not in lists)' }),
    equity: z
      .array(z.object({ time: timestamp, equity: z.string() }))
      .optional()
      .meta({ description: 'Equity at bar closes: every bar, or evenly spaced bars (the last always) when there are more than 1,000 (not in lists)' }),
    error: z.object({ code: z.string(), detail: z.string() }).nullable(),
    created_at: timestamp,
    started_at: timestamp.nullable(),
    completed_at: timestamp.nullable(),
  })
  .meta({ id: 'Backtest' });

export const backtestRoutes = {
  create: defineRoute({
    id: 'backtests.create',
    method: 'POST',
    path: '/backtests',
    summary: 'Replay stored candles through a panel of strategies, the risk manager and the paper broker',
    description:
      'Runs the live code path (bots, consensus, risk, paper broker, ledger) on a private scratch database with the clock at each bar’s close, so the trades are those a live bot would have made. A small range answers 201 with the result; a larger one answers 202 with a queued job to poll with `GET /backtests/{id}`.',
    tags: ['backtests'],
    auth: 'user',
    scope: 'trading:write',
    body: z.strictObject({
      symbol: symbolSchema,
      interval: z.enum(candleIntervals),
      from: timestamp.meta({ description: 'First bar’s open time (inclusive)' }),
      to: timestamp.meta({ description: 'End of the range (exclusive, on open time)' }),
      strategies: z.array(strategyEntrySchema).min(1).max(20),
      consensus: consensusOptionsSchema.optional(),
      risk: riskProfileUpdateSchema.optional().meta({ description: 'Risk limits for the run (the engine’s defaults where omitted)' }),
      initial_balance: amountSchema,
      currency: z.string().regex(CURRENCY_CODE, 'must be an upper-case currency code such as USD').optional().meta({ description: 'Default: the engine’s default currency' }),
      stake: amountSchema.optional().meta({ description: 'Omitted: the risk manager’s recommended stake for the losing streak' }),
      stop_loss_pct: z.number().optional(),
      take_profit_pct: z.number().optional(),
    }),
    response: backtestSchema,
    successStatus: 201,
    otherResponses: { 202: { description: 'Too many bars to answer at once: a queued job', schema: backtestSchema } },
    errors: [],
  }),
  list: defineRoute({
    id: 'backtests.list',
    method: 'GET',
    path: '/backtests',
    summary: 'Your backtests, newest first (without trades and equity curves)',
    tags: ['backtests'],
    auth: 'user',
    scope: 'trading:read',
    query: z.object({
      cursor: z.string().min(1).max(64).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({ backtests: z.array(backtestSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  get: defineRoute({
    id: 'backtests.get',
    method: 'GET',
    path: '/backtests/{id}',
    summary: 'One backtest with its trades and equity curve (poll it while a job runs)',
    tags: ['backtests'],
    auth: 'user',
    scope: 'trading:read',
    params: z.strictObject({ id }),
    response: backtestSchema,
    errors: ['not_found'],
  }),
};
