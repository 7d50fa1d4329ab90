import type { z } from 'zod';
import type { consensusOptionsSchema, strategyRoutes } from '../contract/strategies.js';
import type { ContractHandlers } from '../http/types.js';
import type { ConsensusOptions } from '../signals/consensus.js';
import type { Bot, SignalView, StrategyBotService } from './bots.js';

type Handlers = ContractHandlers<{ strategies: typeof strategyRoutes }>;

export const consensusFromWire = (c: z.output<typeof consensusOptionsSchema> | undefined): ConsensusOptions | undefined =>
  c && { minConfidence: c.min_confidence, minVotes: c.min_votes, margin: c.margin, weights: c.weights };

export const consensusToWire = (c: ConsensusOptions) => ({
  ...(c.minConfidence !== undefined ? { min_confidence: c.minConfidence } : {}),
  ...(c.minVotes !== undefined ? { min_votes: c.minVotes } : {}),
  ...(c.margin !== undefined ? { margin: c.margin } : {}),
  ...(c.weights !== undefined ? { weights: c.weights } : {}),
});

const botToWire = (b: Bot) => ({
  id: b.id,
  name: b.name,
  account_id: b.accountId,
  symbol: b.symbol,
  interval: b.interval,
  strategies: b.strategies,
  consensus: consensusToWire(b.consensus),
  stake: b.stake,
  stop_loss_pct: b.stopLossPct,
  take_profit_pct: b.takeProfitPct,
  status: b.status,
  created_at: b.createdAt,
  updated_at: b.updatedAt,
});

export const signalToWire = (s: SignalView) => ({
  id: s.id,
  strategy_id: s.strategyId,
  symbol: s.symbol,
  interval: s.interval,
  bar_time: s.barTime,
  side: s.side,
  decision: s.decision,
  confidence: s.confidence,
  scores: s.scores,
  votes: s.votes,
  reason: s.reason,
  outcome: s.outcome,
  trade_id: s.tradeId,
  created_at: s.createdAt,
});

export function botHandlers(bots: StrategyBotService): Handlers {
  return {
    strategies: {
      catalog: async () => ({ strategies: bots.catalog() }),
      list: async ({ principal }) => ({ strategies: (await bots.list(principal.userId)).map(botToWire) }),
      create: async ({ principal, body }) =>
        botToWire(
          await bots.create(principal.userId, {
            name: body.name,
            accountId: body.account_id,
            symbol: body.symbol,
            interval: body.interval,
            strategies: body.strategies,
            consensus: consensusFromWire(body.consensus),
            stake: body.stake,
            stopLossPct: body.stop_loss_pct,
            takeProfitPct: body.take_profit_pct,
          }),
        ),
      get: async ({ principal, params }) => botToWire(await bots.get(principal.userId, params.id)),
      pause: async ({ principal, params }) => botToWire(await bots.setStatus(principal.userId, params.id, 'paused')),
      resume: async ({ principal, params }) => botToWire(await bots.setStatus(principal.userId, params.id, 'active')),
      signals: async ({ principal, query }) => {
        const page = await bots.signals(principal.userId, { strategyId: query.strategy_id, cursor: query.cursor, limit: query.limit });
        return { signals: page.signals.map(signalToWire), next_cursor: page.nextCursor };
      },
    },
  };
}
