/**
 * Backtest metrics. Every formula is stated next to its code. Money comes in and goes out as
 * `bigint` minor units; only ratios are plain numbers.
 */
import { divideRounded } from '../money/decimal.js';

export interface EquityPoint {
  /** Bar close time, ms since the epoch. */
  time: number;
  /** Account equity at that time, minor units: balance plus the open trades' P&L at the bar's close. */
  equity: bigint;
}

export interface BacktestMetrics {
  /** (final − initial) ÷ initial. */
  totalReturn: number;
  /** (last close − first close) ÷ first close: holding the instrument over the same bars. */
  buyAndHoldReturn: number;
  closedTrades: number;
  wins: number;
  losses: number;
  /** wins ÷ closed trades (a win is pnl > 0); null without closed trades. */
  winRate: number | null;
  /** Σ winning pnl ÷ |Σ losing pnl|; null when there are no losses. */
  profitFactor: number | null;
  /** max over t of (peak_t − equity_t) ÷ peak_t, peak_t = max equity up to t; 0 when equity never falls. */
  maxDrawdown: number;
  /** mean(r) ÷ sd(r) × √P over per-bar returns r_t = equity_t ÷ equity_{t−1} − 1, sd the sample standard deviation; null when sd = 0 or fewer than 2 returns. */
  sharpe: number | null;
  /** mean(r) ÷ dd × √P, dd = √(Σ min(r_t, 0)² ÷ n) the downside deviation below 0; null when dd = 0. */
  sortino: number | null;
  /** P: bars per year (365.25 days ÷ bar length), the annualisation of Sharpe and Sortino. */
  periodsPerYear: number;
  /** Σ pnl ÷ closed trades, minor units rounded half away from zero: the average result of a trade; null without closed trades. */
  expectancy: bigint | null;
  maxConsecutiveWins: number;
  maxConsecutiveLosses: number;
  /** (final ÷ initial)^(1 ÷ years) − 1, years = (last time − first time + one bar) ÷ 365.25 days (the span the bars cover); null when years = 0 or final ≤ 0. */
  cagr: number | null;
  /** CAGR ÷ max drawdown; null when either is null or the drawdown is 0. */
  calmar: number | null;
}

const YEAR_MS = 365.25 * 86_400_000;

export function backtestMetrics(input: {
  /** Starting balance, minor units. */
  initial: bigint;
  equity: readonly EquityPoint[];
  /** Realised pnl of each closed trade in close order, minor units. */
  pnls: readonly bigint[];
  firstClose: number;
  lastClose: number;
  barMs: number;
}): BacktestMetrics {
  const { pnls } = input;
  // Ratios of money: exact enough as doubles for balances below 2^53 minor units.
  const initial = Number(input.initial);
  const equity = input.equity.map((p) => ({ time: p.time, equity: Number(p.equity) }));
  const final = equity.length > 0 ? equity[equity.length - 1]!.equity : initial;

  let wins = 0;
  let losses = 0;
  let grossWin = 0n;
  let grossLoss = 0n;
  let total = 0n;
  let streak = 0; // > 0 wins in a row, < 0 losses in a row
  let maxWins = 0;
  let maxLosses = 0;
  for (const pnl of pnls) {
    total += pnl;
    if (pnl > 0n) {
      wins++;
      grossWin += pnl;
      streak = streak > 0 ? streak + 1 : 1;
      maxWins = Math.max(maxWins, streak);
    } else if (pnl < 0n) {
      losses++;
      grossLoss -= pnl;
      streak = streak < 0 ? streak - 1 : -1;
      maxLosses = Math.max(maxLosses, -streak);
    } else {
      streak = 0;
    }
  }

  let peak = initial;
  let maxDrawdown = 0;
  const returns: number[] = [];
  let previous = initial;
  for (const point of equity) {
    if (point.equity > peak) peak = point.equity;
    if (peak > 0) maxDrawdown = Math.max(maxDrawdown, (peak - point.equity) / peak);
    if (previous > 0) returns.push(point.equity / previous - 1);
    previous = point.equity;
  }

  const periodsPerYear = YEAR_MS / input.barMs;
  const n = returns.length;
  const mean = n > 0 ? returns.reduce((s, r) => s + r, 0) / n : 0;
  const sd = n > 1 ? Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (n - 1)) : 0;
  const downside = n > 0 ? Math.sqrt(returns.reduce((s, r) => s + Math.min(r, 0) ** 2, 0) / n) : 0;
  const annualise = Math.sqrt(periodsPerYear);

  const years = equity.length > 1 ? (equity[equity.length - 1]!.time - equity[0]!.time + input.barMs) / YEAR_MS : 0;
  const cagr = years > 0 && final > 0 && initial > 0 ? (final / initial) ** (1 / years) - 1 : null;
  const closed = pnls.length;
  return {
    totalReturn: (final - initial) / initial,
    buyAndHoldReturn: (input.lastClose - input.firstClose) / input.firstClose,
    closedTrades: closed,
    wins,
    losses,
    winRate: closed > 0 ? wins / closed : null,
    profitFactor: grossLoss > 0n ? Number(grossWin) / Number(grossLoss) : null,
    maxDrawdown,
    sharpe: sd > 0 ? (mean / sd) * annualise : null,
    sortino: downside > 0 ? (mean / downside) * annualise : null,
    periodsPerYear,
    expectancy: closed > 0 ? divideRounded(total, BigInt(closed)) : null,
    maxConsecutiveWins: maxWins,
    maxConsecutiveLosses: maxLosses,
    cagr,
    calmar: cagr !== null && maxDrawdown > 0 ? cagr / maxDrawdown : null,
  };
}
