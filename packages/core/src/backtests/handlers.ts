import type { backtestRoutes } from '../contract/backtests.js';
import { wireName } from '../errors.js';
import { reply, type ContractHandlers } from '../http/types.js';
import { profileUpdateFromWire } from '../risk/handlers.js';
import { consensusFromWire, consensusToWire } from '../trading/bot-handlers.js';
import type { BacktestSummary, BacktestTrade } from './runner.js';
import type { Backtest, BacktestService } from './service.js';

type Handlers = ContractHandlers<{ backtests: typeof backtestRoutes }>;

const tradeToWire = (t: BacktestTrade) => ({
  side: t.side,
  stake: t.stake,
  quantity: t.quantity,
  entry_price: t.entryPrice,
  stop_loss: t.stopLoss,
  take_profit: t.takeProfit,
  status: t.status,
  exit_price: t.exitPrice,
  close_reason: t.closeReason,
  pnl: t.pnl,
  opened_at: t.openedAt,
  closed_at: t.closedAt,
});

const metricsToWire = (m: BacktestSummary) => ({
  final_equity: m.finalEquity,
  total_return: m.totalReturn,
  buy_and_hold_return: m.buyAndHoldReturn,
  closed_trades: m.closedTrades,
  open_trades: m.openTrades,
  wins: m.wins,
  losses: m.losses,
  win_rate: m.winRate,
  profit_factor: m.profitFactor,
  max_drawdown: m.maxDrawdown,
  sharpe: m.sharpe,
  sortino: m.sortino,
  periods_per_year: m.periodsPerYear,
  expectancy: m.expectancy,
  max_consecutive_wins: m.maxConsecutiveWins,
  max_consecutive_losses: m.maxConsecutiveLosses,
  cagr: m.cagr,
  calmar: m.calmar,
  signals: m.signals,
  traded_signals: m.tradedSignals,
  rejected_signals: m.rejectedSignals,
});

const backtestToWire = (b: Backtest) => ({
  id: b.id,
  status: b.status,
  symbol: b.symbol,
  interval: b.interval,
  from: b.from,
  to: b.to,
  currency: b.currency,
  initial_balance: b.initialBalance,
  strategies: b.strategies,
  consensus: consensusToWire(b.consensus),
  risk: Object.fromEntries(Object.entries(b.risk).filter(([, v]) => v !== undefined).map(([k, v]) => [wireName(k), v])),
  stake: b.stake,
  stop_loss_pct: b.stopLossPct,
  take_profit_pct: b.takeProfitPct,
  candles: b.candles,
  metrics: b.metrics && metricsToWire(b.metrics),
  ...(b.trades ? { trades: b.trades.map(tradeToWire) } : {}),
  ...(b.equity ? { equity: b.equity } : {}),
  error: b.error,
  created_at: b.createdAt,
  started_at: b.startedAt,
  completed_at: b.completedAt,
});

export function backtestHandlers(backtests: BacktestService): Handlers {
  return {
    backtests: {
      create: async ({ principal, body }) => {
        const result = await backtests.create(principal.userId, {
          symbol: body.symbol,
          interval: body.interval,
          from: new Date(body.from),
          to: new Date(body.to),
          strategies: body.strategies,
          consensus: consensusFromWire(body.consensus),
          risk: body.risk && profileUpdateFromWire(body.risk),
          initialBalance: body.initial_balance,
          currency: body.currency,
          stake: body.stake,
          stopLossPct: body.stop_loss_pct,
          takeProfitPct: body.take_profit_pct,
        });
        // A queued job is accepted, not done.
        return result.status === 'queued' ? reply(backtestToWire(result), { status: 202 }) : backtestToWire(result);
      },
      list: async ({ principal, query }) => {
        const page = await backtests.list(principal.userId, { cursor: query.cursor, limit: query.limit });
        return { backtests: page.backtests.map(backtestToWire), next_cursor: page.nextCursor };
      },
      get: async ({ principal, params }) => backtestToWire(await backtests.get(principal.userId, params.id)),
    },
  };
}
