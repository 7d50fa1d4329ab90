/**
 * The backtest replay: stored bars fed, one at a time and with the clock at each bar's close,
 * into a scratch tradeplane (its own in-memory database) where one bot trades them. Nothing here
 * decides a trade: the bot service, consensus, risk manager, paper broker and ledger are the live
 * ones, which is why a backtest and a live replay of the same bars make the same trades.
 */
import { invalidFields, TradeplaneError, type FieldError } from '../errors.js';
import type { CandleRecord, ManualClock, Storage, UserRecord } from '../ports/index.js';
import type { Currency } from '../money/currency.js';
import { formatAmount, parseFormatted } from '../money/amount.js';
import { intervalMs, type CandleInterval } from '../market/intervals.js';
import type { MarketDataService } from '../market/service.js';
import type { WalletService } from '../wallets/service.js';
import type { RiskProfileUpdate, RiskService } from '../risk/service.js';
import type { Trade, TradingService } from '../trading/service.js';
import type { StrategyBotService } from '../trading/bots.js';
import type { ConsensusOptions } from '../signals/consensus.js';
import { stakePnl } from '../trading/pricing.js';
import { backtestMetrics, type BacktestMetrics, type EquityPoint } from './metrics.js';

/** The services of a scratch tradeplane, on a database of its own, driven by a manual clock. */
export interface Scratch {
  storage: Storage;
  clock: ManualClock;
  market: MarketDataService;
  wallets: WalletService;
  risk: RiskService;
  trading: TradingService;
  strategies: StrategyBotService;
  close(): Promise<void>;
}

/** What to replay: the bars, the bot and the limits. */
export interface BacktestPlan {
  symbol: string;
  interval: CandleInterval;
  from: Date;
  to: Date;
  strategies: { name: string; params?: Record<string, unknown> }[];
  consensus?: ConsensusOptions;
  risk?: RiskProfileUpdate;
  currency: Currency;
  initialBalance: bigint;
  stake?: string;
  stopLossPct?: number;
  takeProfitPct?: number;
}

/** A trade of the run, as the result shows it. */
export type BacktestTrade = Pick<Trade, 'side' | 'stake' | 'quantity' | 'entryPrice' | 'stopLoss' | 'takeProfit' | 'status' | 'exitPrice' | 'closeReason' | 'pnl' | 'openedAt' | 'closedAt'>;

export interface BacktestSummary extends Omit<BacktestMetrics, 'expectancy'> {
  finalEquity: string;
  expectancy: string | null;
  openTrades: number;
  /** Consensus rounds the bot evaluated. */
  signals: number;
  tradedSignals: number;
  /** Protection events of the run (signals the risk manager refused), by reason. */
  rejectedSignals: Record<string, number>;
}

export interface BacktestOutcome {
  candles: number;
  summary: BacktestSummary;
  trades: BacktestTrade[];
  /** At most {@link EQUITY_POINTS} points, as decimal strings. */
  equity: { time: string; equity: string }[];
}

/** Bars before `from` that warm the bot's indicators up (as many as a live bot loads). */
export const WARM_UP_BARS = 500;
/** The equity curve kept in a result: every bar up to this many, else evenly spaced bars. */
export const EQUITY_POINTS = 1000;
/** Bars read from the source per query; progress and cancellation are checked between pages. */
const PAGE = 1000;

const BACKTEST_USER = 'backtest';

/** Field errors of a nested part of the request, under its name (`risk.min_stake`). */
function nested(error: unknown, prefix: string): never {
  if (error instanceof TradeplaneError && error.code === 'validation_failed' && error.fields) {
    throw invalidFields(error.fields.map((f): FieldError => ({ ...f, path: f.path ? `${prefix}.${f.path}` : prefix })));
  }
  throw error;
}

/**
 * Sets the scratch up as a live user would be at `from`: the warm-up bars stored, a user with a
 * demo account holding the initial balance, the risk profile saved and the bot created.
 * Invalid risk limits or strategies throw `validation_failed` with the request's field paths.
 */
export async function prepareBacktest(scratch: Scratch, source: Storage, plan: BacktestPlan): Promise<void> {
  scratch.clock.set(plan.from);
  const history = await source.repos.candles.list(plan.symbol, plan.interval, { to: plan.from, limit: WARM_UP_BARS, order: 'desc' });
  if (history.length > 0) await scratch.market.ingest(history.reverse().map((c) => ({ ...c, interval: plan.interval })));
  const user: UserRecord = {
    id: BACKTEST_USER,
    email: 'backtest@tradeplane.invalid',
    passwordHash: '!',
    role: 'user',
    status: 'active',
    tokenVersion: 0,
    createdAt: plan.from,
    updatedAt: plan.from,
    username: null,
    referralCode: null,
  };
  await scratch.storage.transaction(async (tx) => {
    await tx.users.insert(user);
    await scratch.wallets.openInitialAccount(tx, user);
  });
  if (plan.risk) await scratch.risk.updateProfile(BACKTEST_USER, plan.risk).catch((error: unknown) => nested(error, 'risk'));
  await scratch.strategies.create(BACKTEST_USER, {
    name: 'backtest',
    symbol: plan.symbol,
    interval: plan.interval,
    strategies: plan.strategies,
    consensus: plan.consensus,
    stake: plan.stake,
    stopLossPct: plan.stopLossPct,
    takeProfitPct: plan.takeProfitPct,
  });
}

/** Evenly spaced indices of `n` items, at most `max`, always the first and the last. */
function sample(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (n - 1)) / (max - 1)));
  return [...out];
}

/** Lets other work (HTTP requests) run: SQLite statements resolve without ever leaving the microtask queue. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Replays the plan's bars on a prepared scratch. Equity is followed from the trade events —
 * equity_t = initial + Σ realised pnl + Σ open trades' `stakePnl` at bar t's close — so no query
 * per bar is needed; it is the ledger balance plus the open trades' value, since the paper
 * broker charges nothing beyond its prices. `onPage` runs after every page of bars (progress,
 * heartbeat) and may throw to stop the run.
 */
export async function replayBacktest(scratch: Scratch, source: Storage, plan: BacktestPlan, onPage: (candles: number) => Promise<void> = async () => {}): Promise<BacktestOutcome> {
  const barMs = intervalMs[plan.interval];
  const open = new Map<string, { stake: bigint; side: Trade['side']; entry: number }>();
  let realised = 0n;
  const pnls: bigint[] = [];
  const minor = (text: string) => parseFormatted(text, plan.currency);
  // The trading service logs and swallows a listener's error; the run must fail instead of miscounting.
  let missed: unknown;
  const unsubscribe = scratch.trading.subscribe((event) => {
    if (event.userId !== BACKTEST_USER) return;
    try {
      if (event.type === 'opened') {
        open.set(event.trade.id, { stake: minor(event.trade.stake), side: event.trade.side, entry: event.trade.entryPrice });
      } else {
        open.delete(event.trade.id);
        const pnl = minor(event.trade.pnl!);
        realised += pnl;
        pnls.push(pnl);
      }
    } catch (error) {
      missed ??= error;
    }
  });

  const times: number[] = [];
  const equities: bigint[] = [];
  let firstClose: number | undefined;
  let lastClose = 0;
  let candles = 0;
  try {
    let cursor = plan.from;
    for (;;) {
      const page: CandleRecord[] = await source.repos.candles.list(plan.symbol, plan.interval, { from: cursor, to: plan.to, limit: PAGE });
      for (const bar of page) {
        const closeTime = bar.openTime.getTime() + barMs;
        scratch.clock.set(new Date(closeTime));
        await scratch.market.ingest([{ ...bar, interval: plan.interval }]);
        if (missed) throw missed;
        let equity = plan.initialBalance + realised;
        for (const t of open.values()) equity += stakePnl(t.stake, t.side, t.entry, bar.close);
        times.push(closeTime);
        equities.push(equity);
        firstClose ??= bar.close;
        lastClose = bar.close;
      }
      candles += page.length;
      await onPage(candles);
      if (page.length < PAGE) break;
      cursor = new Date(page[page.length - 1]!.openTime.getTime() + 1);
      await yieldToEventLoop();
    }
  } finally {
    unsubscribe();
  }
  // createBacktestService refuses an empty range (`no_candles`) before any run.
  if (firstClose === undefined) throw new Error(`replayBacktest: no stored ${plan.symbol} ${plan.interval} bars in the plan's range`);

  const equityPoints: EquityPoint[] = times.map((time, i) => ({ time, equity: equities[i]! }));
  const metrics = backtestMetrics({ initial: plan.initialBalance, equity: equityPoints, pnls, firstClose, lastClose, barMs });

  const trades: Trade[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = await scratch.trading.trades(BACKTEST_USER, { cursor, limit: 200 });
    trades.push(...page.trades);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  trades.reverse();

  const rejectedSignals: Record<string, number> = {};
  for (let cursor: string | undefined; ; ) {
    const page = await scratch.storage.repos.risk.listEvents({ userId: BACKTEST_USER, cursor, limit: 5000 });
    for (const e of page) rejectedSignals[e.reason] = (rejectedSignals[e.reason] ?? 0) + 1;
    if (page.length < 5000) break;
    cursor = page[page.length - 1]!.id;
  }
  let signals = 0;
  let tradedSignals = 0;
  for (let cursor: string | undefined; ; ) {
    const page = await scratch.storage.repos.signals.list({ userId: BACKTEST_USER, cursor, limit: 5000 });
    signals += page.length;
    for (const s of page) if (s.outcome === 'traded') tradedSignals++;
    if (page.length < 5000) break;
    cursor = page[page.length - 1]!.id;
  }

  const money = (value: bigint) => formatAmount(value, plan.currency);
  return {
    candles,
    summary: {
      ...metrics,
      finalEquity: money(equities[equities.length - 1]!),
      expectancy: metrics.expectancy === null ? null : money(metrics.expectancy),
      openTrades: open.size,
      signals,
      tradedSignals,
      rejectedSignals,
    },
    trades: trades.map((t) => ({
      side: t.side,
      stake: t.stake,
      quantity: t.quantity,
      entryPrice: t.entryPrice,
      stopLoss: t.stopLoss,
      takeProfit: t.takeProfit,
      status: t.status,
      exitPrice: t.exitPrice,
      closeReason: t.closeReason,
      pnl: t.pnl,
      openedAt: t.openedAt,
      closedAt: t.closedAt,
    })),
    equity: sample(times.length, EQUITY_POINTS).map((i) => ({ time: new Date(times[i]!).toISOString(), equity: money(equities[i]!) })),
  };
}
