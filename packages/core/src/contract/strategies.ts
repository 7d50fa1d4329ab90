import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';
import { symbolSchema } from './market.js';
import { amountSchema } from './wallets.js';
import { candleIntervals } from '../market/intervals.js';

const id = z.string().min(1).max(64);
export const strategyEntrySchema = z.strictObject({
  name: z.string().min(1).max(64).meta({ description: 'A strategy from `GET /strategies/catalog`' }),
  params: z.record(z.string(), z.unknown()).optional().meta({ description: 'Its parameters (defaults where omitted)' }),
});
export const consensusOptionsSchema = z.strictObject({
  min_confidence: z.number().min(0).max(1).optional().meta({ description: 'Default 0.7' }),
  min_votes: z.number().int().min(1).optional().meta({ description: 'Default 2' }),
  margin: z.number().min(0).max(1).optional().meta({ description: 'Default 0' }),
  weights: z.record(z.string(), z.number().min(0)).optional(),
});

export const botSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    account_id: z.string().nullable(),
    symbol: z.string(),
    interval: z.string(),
    strategies: z.array(z.object({ name: z.string(), params: z.record(z.string(), z.unknown()).optional() })),
    consensus: z.object({ min_confidence: z.number().optional(), min_votes: z.number().optional(), margin: z.number().optional(), weights: z.record(z.string(), z.number()).optional() }),
    stake: z.string().nullable(),
    stop_loss_pct: z.number().nullable(),
    take_profit_pct: z.number().nullable(),
    status: z.enum(['active', 'paused']),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Strategy' });

export const signalSchema = z
  .object({
    id: z.string(),
    strategy_id: z.string(),
    symbol: z.string(),
    interval: z.string(),
    bar_time: timestamp,
    side: z.enum(['BUY', 'SELL', 'HOLD']),
    decision: z.string().meta({ description: '`act`, `below_min_confidence`, `not_enough_votes`, `within_margin` or `tie`' }),
    confidence: z.number(),
    scores: z.object({ BUY: z.number(), SELL: z.number() }),
    votes: z.array(z.object({ strategy: z.string(), side: z.string(), confidence: z.number(), reason: z.string() })),
    reason: z.string(),
    outcome: z.string().meta({ description: '`traded`, `held`, `already_open`, `risk_rejected:<reason>` or `failed:<code>`' }),
    trade_id: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Signal' });

export const strategyRoutes = {
  catalog: defineRoute({
    id: 'strategies.catalog',
    method: 'GET',
    path: '/strategies/catalog',
    summary: 'The strategies a bot can use, with their parameters as JSON Schema',
    tags: ['strategies'],
    auth: 'user',
    scope: 'trading:read',
    response: z.object({ strategies: z.array(z.object({ name: z.string(), description: z.string(), params: z.unknown() })) }),
    errors: [],
  }),
  list: defineRoute({
    id: 'strategies.list',
    method: 'GET',
    path: '/strategies',
    summary: 'Your strategy bots',
    tags: ['strategies'],
    auth: 'user',
    scope: 'trading:read',
    response: z.object({ strategies: z.array(botSchema) }),
    errors: [],
  }),
  create: defineRoute({
    id: 'strategies.create',
    method: 'POST',
    path: '/strategies',
    summary: 'Start a strategy bot: a panel of strategies trading one symbol and interval on every stored bar',
    tags: ['strategies'],
    auth: 'user',
    scope: 'trading:write',
    body: z.strictObject({
      name: z.string().min(1).max(100),
      account_id: id.optional(),
      symbol: symbolSchema,
      interval: z.enum(candleIntervals),
      strategies: z.array(strategyEntrySchema).min(1).max(20),
      consensus: consensusOptionsSchema.optional(),
      stake: amountSchema.optional().meta({ description: 'Omitted: the recommended stake for your losing streak' }),
      stop_loss_pct: z.number().optional().meta({ description: 'Stop-loss distance as a fraction of the entry (0.02 = 2 %)' }),
      take_profit_pct: z.number().optional(),
    }),
    response: botSchema,
    successStatus: 201,
    errors: [],
  }),
  get: defineRoute({
    id: 'strategies.get',
    method: 'GET',
    path: '/strategies/{id}',
    summary: 'One of your strategy bots',
    tags: ['strategies'],
    auth: 'user',
    scope: 'trading:read',
    params: z.strictObject({ id }),
    response: botSchema,
    errors: ['not_found'],
  }),
  pause: defineRoute({
    id: 'strategies.pause',
    method: 'POST',
    path: '/strategies/{id}/pause',
    summary: 'Stop a bot from trading (its open trades stay open)',
    tags: ['strategies'],
    auth: 'user',
    scope: 'trading:write',
    params: z.strictObject({ id }),
    response: botSchema,
    errors: ['not_found'],
  }),
  resume: defineRoute({
    id: 'strategies.resume',
    method: 'POST',
    path: '/strategies/{id}/resume',
    summary: 'Let a paused bot trade again',
    tags: ['strategies'],
    auth: 'user',
    scope: 'trading:write',
    params: z.strictObject({ id }),
    response: botSchema,
    errors: ['not_found'],
  }),
  signals: defineRoute({
    id: 'strategies.signals',
    method: 'GET',
    path: '/signals',
    summary: 'Every consensus your bots evaluated, newest first, traded or not, with votes and reasons',
    tags: ['strategies'],
    auth: 'user',
    scope: 'trading:read',
    query: z.object({
      strategy_id: id.optional(),
      cursor: z.string().min(1).max(64).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({ signals: z.array(signalSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
};
