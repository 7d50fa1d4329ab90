import type { EntitlementGate } from '../modules/entitlements.js';
import { keysetPage } from '../pagination.js';
import { z } from 'zod';
import { isTradeplaneError, TradeplaneError } from '../errors.js';
import type { Clock, Ids, Logger, Storage } from '../ports/index.js';
import type { SignalRecord, StrategyRecord } from '../ports/storage.js';
import type { CandleInterval } from '../market/intervals.js';
import { createPanel, type StrategyPanel } from '../signals/panel.js';
import type { ConsensusOptions } from '../signals/consensus.js';
import type { AnyStrategyDefinition } from '../signals/strategies/strategy.js';
import type { TradingService } from './service.js';
import type { BrokerBar } from './broker.js';

export interface Bot {
  id: string;
  name: string;
  accountId: string | null;
  symbol: string;
  interval: string;
  strategies: { name: string; params?: Record<string, unknown> }[];
  consensus: ConsensusOptions;
  stake: string | null;
  stopLossPct: number | null;
  takeProfitPct: number | null;
  status: 'active' | 'paused';
  createdAt: string;
  updatedAt: string;
}

export interface BotInput {
  name: string;
  accountId?: string;
  symbol: string;
  interval: CandleInterval;
  strategies: { name: string; params?: Record<string, unknown> }[];
  consensus?: ConsensusOptions;
  stake?: string;
  stopLossPct?: number;
  takeProfitPct?: number;
}

export interface SignalView {
  id: string;
  strategyId: string;
  symbol: string;
  interval: string;
  barTime: string;
  side: 'BUY' | 'SELL' | 'HOLD';
  decision: string;
  confidence: number;
  scores: { BUY: number; SELL: number };
  votes: SignalRecord['votes'];
  reason: string;
  outcome: string;
  tradeId: string | null;
  createdAt: string;
}

/**
 * Strategy bots: a user's panel of strategies (registered definitions with parameters, combined
 * by `consensus`) that trades one symbol and interval on every stored bar while active.
 *
 * Each bar's consensus is recorded as a signal whether or not it trades, with its votes, its
 * reasons and what came of it (`traded`, `held`, `already_open`, `risk_rejected:<reason>`).
 * An actionable signal closes the bot's open trades on the other side (reason `signal`) and
 * opens one on its side through `trading.execute` — the same risk check, hold and broker as a
 * manual trade — unless the bot already holds that side. A bot's indicators live in memory; on
 * its first bar in a process they are warmed up from the stored bars before it.
 */
export interface StrategyBotService {
  /** The strategies that can be chosen, with their parameters as JSON Schema. */
  catalog(): { name: string; description: string; params: unknown }[];
  create(userId: string, input: BotInput): Promise<Bot>;
  list(userId: string): Promise<Bot[]>;
  get(userId: string, id: string): Promise<Bot>;
  setStatus(userId: string, id: string, status: 'active' | 'paused'): Promise<Bot>;
  signals(userId: string, filter?: { strategyId?: string; cursor?: string; limit?: number }): Promise<{ signals: SignalView[]; nextCursor: string | null }>;
  onBar(bar: BrokerBar & { interval: CandleInterval; volume: number }): Promise<void>;
}

/** Bars fed to a bot's fresh panel from storage before its first live bar. */
const WARM_UP_BARS = 500;

export function createStrategyBotService(deps: {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  trading: TradingService;
  definitions: readonly AnyStrategyDefinition[];
  /** The plan's `maxBots`, checked in the creating transaction. */
  entitlements?: EntitlementGate;
  /** Told of each recorded signal (the real-time stream). */
  onSignal?: (userId: string, signal: SignalView) => void;
}): StrategyBotService {
  const { storage, clock, ids, logger, trading, definitions } = deps;
  const iso = (d: Date) => d.toISOString();
  const runners = new Map<string, { panel: StrategyPanel; lastBar: number; version: number }>();

  const toBot = (r: StrategyRecord): Bot => ({
    id: r.id,
    name: r.name,
    accountId: r.accountId,
    symbol: r.symbol,
    interval: r.interval,
    strategies: r.config.strategies,
    consensus: (r.config.consensus ?? {}) as ConsensusOptions,
    stake: r.stake,
    stopLossPct: r.stopLossPct,
    takeProfitPct: r.takeProfitPct,
    status: r.status,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  });

  const toSignal = (s: SignalRecord): SignalView => ({
    id: s.id,
    strategyId: s.strategyId,
    symbol: s.symbol,
    interval: s.interval,
    barTime: iso(s.barTime),
    side: s.side,
    decision: s.decision,
    confidence: s.confidence,
    scores: { BUY: s.buyScore, SELL: s.sellScore },
    votes: s.votes,
    reason: s.reason,
    outcome: s.outcome,
    tradeId: s.tradeId,
    createdAt: iso(s.createdAt),
  });

  async function own(userId: string, id: string): Promise<StrategyRecord> {
    const found = await storage.repos.strategies.findById(id);
    if (!found || found.userId !== userId) throw new TradeplaneError('not_found', 'No such strategy');
    return found;
  }

  async function runnerFor(bot: StrategyRecord, bar: { openTime: Date }) {
    const version = bot.updatedAt.getTime();
    let runner = runners.get(bot.id);
    if (!runner || runner.version !== version) {
      const panel = createPanel(definitions, bot.config as { strategies: BotInput['strategies']; consensus?: ConsensusOptions });
      const history = await storage.repos.candles.list(bot.symbol, bot.interval, { to: bar.openTime, limit: WARM_UP_BARS, order: 'desc' });
      for (const c of history.reverse()) panel.onCandle({ time: c.openTime.getTime(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });
      runner = { panel, lastBar: history.length > 0 ? history[history.length - 1]!.openTime.getTime() : -Infinity, version };
      runners.set(bot.id, runner);
    }
    return runner;
  }

  async function act(bot: StrategyRecord, side: 'BUY' | 'SELL', signalId: string, price: number): Promise<{ outcome: string; tradeId: string | null }> {
    try {
      const open = (await trading.trades(bot.userId, { status: 'open', symbol: bot.symbol, limit: 200 })).trades.filter((t) => t.reference === bot.id);
      for (const t of open.filter((t) => t.side !== side)) await trading.closeTrade(bot.userId, t.id, 'signal');
      if (open.some((t) => t.side === side)) return { outcome: 'already_open', tradeId: null };
      const below = (pct: number | null) => (pct === null ? undefined : price * (1 - pct));
      const above = (pct: number | null) => (pct === null ? undefined : price * (1 + pct));
      const trade = await trading.execute(bot.userId, {
        accountId: bot.accountId ?? undefined,
        symbol: bot.symbol,
        side,
        stake: bot.stake ?? undefined,
        stopLoss: side === 'BUY' ? below(bot.stopLossPct) : above(bot.stopLossPct),
        takeProfit: side === 'BUY' ? above(bot.takeProfitPct) : below(bot.takeProfitPct),
        idempotencyKey: `signal:${signalId}`,
        source: 'strategy',
        reference: bot.id,
      });
      return { outcome: 'traded', tradeId: trade.id };
    } catch (error) {
      if (!isTradeplaneError(error)) throw error;
      if (error.code === 'risk_rejected') return { outcome: `risk_rejected:${error.fields?.[0]?.code ?? 'unknown'}`, tradeId: null };
      return { outcome: `failed:${error.code}`, tradeId: null };
    }
  }

  return {
    catalog() {
      return definitions.map((d) => ({ name: d.name, description: d.description, params: z.toJSONSchema(d.params as z.ZodType, { io: 'input', unrepresentable: 'any' }) }));
    },

    async create(userId, input) {
      createPanel(definitions, { strategies: input.strategies, consensus: input.consensus });
      for (const [key, value] of [['stop_loss_pct', input.stopLossPct], ['take_profit_pct', input.takeProfitPct]] as const) {
        if (value !== undefined && !(value > 0 && value < 1)) {
          throw new TradeplaneError('validation_failed', `${key} must be a fraction between 0 and 1`, { fields: [{ in: 'body', path: key, code: 'out_of_range', message: 'must be between 0 and 1 (0.02 = 2 %)' }] });
        }
      }
      const now = clock.now();
      const record: StrategyRecord = {
        id: ids.next(),
        userId,
        name: input.name,
        accountId: input.accountId ?? null,
        symbol: input.symbol,
        interval: input.interval,
        config: { strategies: input.strategies, ...(input.consensus ? { consensus: input.consensus as Record<string, unknown> } : {}) },
        stake: input.stake ?? null,
        stopLossPct: input.stopLossPct ?? null,
        takeProfitPct: input.takeProfitPct ?? null,
        status: 'active',
        createdAt: now,
        updatedAt: now,
      };
      await storage.transaction(async (tx) => {
        await deps.entitlements?.check(tx, userId, 'maxBots');
        await tx.strategies.insert(record);
      });
      return toBot(record);
    },

    async list(userId) {
      return (await storage.repos.strategies.listForUser(userId)).map(toBot);
    },

    async get(userId, id) {
      return toBot(await own(userId, id));
    },

    async setStatus(userId, id, status) {
      await own(userId, id);
      runners.delete(id);
      return toBot((await storage.repos.strategies.setStatus(id, status, clock.now()))!);
    },

    async signals(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.signals.list({ userId, strategyId: filter.strategyId, cursor: filter.cursor, limit: n }), toSignal);
      return { signals: page.items, nextCursor: page.nextCursor };
    },

    async onBar(bar) {
      for (const bot of await storage.repos.strategies.listActive(bar.symbol, bar.interval)) {
        try {
          const runner = await runnerFor(bot, bar);
          // A re-sent or late bar does not vote again.
          if (bar.openTime.getTime() <= runner.lastBar) continue;
          runner.lastBar = bar.openTime.getTime();
          const signal = runner.panel.onCandle({ time: bar.openTime.getTime(), open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume });
          if (!signal) continue;
          const id = ids.next();
          const result = signal.decision === 'act' && signal.side !== 'HOLD' ? await act(bot, signal.side, id, bar.close) : { outcome: 'held', tradeId: null };
          const record: SignalRecord = {
            id,
            strategyId: bot.id,
            userId: bot.userId,
            symbol: bot.symbol,
            interval: bot.interval,
            barTime: bar.openTime,
            side: signal.side,
            decision: signal.decision,
            confidence: signal.confidence,
            buyScore: signal.scores.BUY,
            sellScore: signal.scores.SELL,
            votes: signal.votes.map((v) => ({ strategy: v.strategy, side: v.side, confidence: v.confidence, reason: v.reason })),
            reason: signal.reason,
            outcome: result.outcome,
            tradeId: result.tradeId,
            createdAt: clock.now(),
          };
          await storage.repos.signals.insert(record);
          deps.onSignal?.(bot.userId, toSignal(record));
        } catch (error) {
          logger.error({ event: 'strategy.bar_failed', strategyId: bot.id, error: error instanceof Error ? error.message : String(error) }, 'A strategy bot failed on a bar');
        }
      }
    },
  };
}
