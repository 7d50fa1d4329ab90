import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';
import { amountSchema } from './wallets.js';

const id = z.string().min(1).max(64);
const rate = z.string().max(12).meta({ description: 'A decimal fraction such as "0.10"' });

const masterStatsSchema = z
  .object({
    closed_trades: z.number().int(),
    return: z.number().nullable().meta({ description: 'Σ pnl ÷ Σ stake over closed trades' }),
    max_drawdown: z.number().nullable().meta({ description: 'Of 1 + cumulative pnl ÷ Σ stake, in close order' }),
  })
  .meta({ id: 'MasterStats' });

export const masterSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    display_name: z.string(),
    description: z.string().nullable(),
    markup_rate: z.string(),
    performance_fee_rate: z.string(),
    visibility: z.enum(['public', 'private']),
    followers: z
      .object({ real: z.number().int(), demo: z.number().int() })
      .meta({ description: 'Active subscriptions by the kind of account they copy onto: real-money trades are copied onto real accounts only, demo trades onto demo accounts only' }),
    stats: z
      .object({ real: masterStatsSchema, demo: masterStatsSchema })
      .meta({ description: 'Results of the master’s real-money trades and of their demo trades, apart: demo results risk nothing and are never counted as real performance' }),
    created_at: timestamp,
  })
  .meta({ id: 'Master' });

export const subscriptionSchema = z
  .object({
    id: z.string(),
    master_id: z.string(),
    follower_id: z.string(),
    account_id: z.string().nullable(),
    copy_mode: z.enum(['fixed', 'proportional', 'multiplier']),
    stake: z.string().nullable(),
    multiplier: z.string().nullable(),
    max_stake: z.string().nullable(),
    status: z.enum(['active', 'paused', 'cancelled', 'expired']),
    expires_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Subscription' });

const issuedLicense = z
  .object({
    subscription_id: z.string(),
    license_token: z.string().meta({ description: 'Shown once: only its hash is stored' }),
    expires_at: timestamp.nullable(),
    message: z.string(),
    subscription: subscriptionSchema,
  })
  .meta({ id: 'IssuedLicense' });

const subscriptionAction = (action: 'pause' | 'resume' | 'cancel', summary: string) =>
  defineRoute({
    id: `subscriptions.${action}`,
    method: 'POST',
    path: `/subscriptions/{id}/${action}`,
    summary,
    tags: ['copy trading'],
    auth: 'user',
    scope: 'copy:write',
    params: z.strictObject({ id }),
    response: subscriptionSchema,
    errors: ['not_found', 'conflict'],
  });

export const masterRoutes = {
  create: defineRoute({
    id: 'masters.create',
    method: 'POST',
    path: '/masters',
    summary: 'Become a master trader others can copy',
    tags: ['copy trading'],
    auth: 'user',
    body: z.strictObject({
      display_name: z.string().min(1).max(100),
      description: z.string().max(2000).optional(),
      markup_rate: rate.optional().meta({ description: '0.05–0.50, default 0.10' }),
      performance_fee_rate: rate.optional().meta({ description: '0–0.50, default 0.20' }),
      visibility: z.enum(['public', 'private']).optional().meta({ description: 'Private masters are not listed; followers need the id' }),
    }),
    response: masterSchema,
    successStatus: 201,
    errors: ['conflict'],
  }),
  list: defineRoute({
    id: 'masters.list',
    method: 'GET',
    path: '/masters',
    summary: 'Public masters with their followers and results, real money and demo apart',
    tags: ['copy trading'],
    auth: 'user',
    scope: 'copy:read',
    query: z.object({ cursor: z.string().min(1).max(64).optional(), limit: z.coerce.number().int().min(1).max(100).default(50) }),
    response: z.object({ masters: z.array(masterSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  get: defineRoute({
    id: 'masters.get',
    method: 'GET',
    path: '/masters/{id}',
    summary: 'One master',
    tags: ['copy trading'],
    auth: 'user',
    scope: 'copy:read',
    params: z.strictObject({ id }),
    response: masterSchema,
    errors: ['not_found'],
  }),
};

export const subscriptionRoutes = {
  create: defineRoute({
    id: 'subscriptions.create',
    method: 'POST',
    path: '/subscriptions',
    summary: 'Copy a master: returns the license token for your trading terminal, once',
    tags: ['copy trading'],
    auth: 'user',
    body: z.strictObject({
      master_id: id,
      account_id: id.optional().meta({ description: 'The account copies trade on (default: your default account at each trade)' }),
      copy_mode: z.enum(['fixed', 'proportional', 'multiplier']),
      stake: amountSchema.optional().meta({ description: '`fixed`: the stake of every copy' }),
      multiplier: z.string().max(12).optional().meta({ description: '`multiplier`: copies stake master stake × k (0 < k ≤ 100)' }),
      max_stake: amountSchema.optional().meta({ description: 'A cap on each copy (your risk profile applies as well)' }),
      expires_at: timestamp.optional(),
    }),
    response: issuedLicense,
    successStatus: 201,
    errors: ['not_found', 'conflict'],
  }),
  list: defineRoute({
    id: 'subscriptions.list',
    method: 'GET',
    path: '/subscriptions',
    summary: 'Your subscriptions, newest first',
    tags: ['copy trading'],
    auth: 'user',
    scope: 'copy:read',
    query: z.object({ cursor: z.string().min(1).max(64).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
    response: z.object({ subscriptions: z.array(subscriptionSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  get: defineRoute({
    id: 'subscriptions.get',
    method: 'GET',
    path: '/subscriptions/{id}',
    summary: 'One of your subscriptions',
    tags: ['copy trading'],
    auth: 'user',
    scope: 'copy:read',
    params: z.strictObject({ id }),
    response: subscriptionSchema,
    errors: ['not_found'],
  }),
  pause: subscriptionAction('pause', 'Stop copying for now (active → paused)'),
  resume: subscriptionAction('resume', 'Copy again (paused → active)'),
  cancel: subscriptionAction('cancel', 'End the subscription for good (active or paused → cancelled)'),
  rotateToken: defineRoute({
    id: 'subscriptions.rotateToken',
    method: 'POST',
    path: '/subscriptions/{id}/rotate-token',
    summary: 'Issue a new license token; the old one stops working at once',
    tags: ['copy trading'],
    auth: 'user',
    params: z.strictObject({ id }),
    response: issuedLicense,
    errors: ['not_found', 'conflict'],
  }),
};

export const licenseRoutes = {
  verify: defineRoute({
    id: 'license.verify',
    method: 'GET',
    path: '/license/verify',
    summary: 'For trading terminals: whether to copy, for which master, and within which limits',
    tags: ['copy trading'],
    auth: 'license',
    response: z.object({
      copy: z.boolean().meta({ description: 'True while the subscription is active' }),
      subscription: subscriptionSchema,
      master: z.object({ id: z.string(), display_name: z.string() }),
      limits: z.object({ currency: z.string(), min_stake: z.string(), max_stake: z.string(), max_daily_loss: z.string(), max_open_positions: z.number().int() }),
    }),
    errors: [],
  }),
};

const money = z.string().meta({ description: 'Decimal string in `currency`' });

export const commissionChargeSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['performance_fee', 'markup']),
    subscription_id: z.string(),
    master_id: z.string(),
    follower_id: z.string(),
    account_id: z.string().meta({ description: 'The follower account charged' }),
    currency: z.string(),
    period: z.string().meta({ description: 'The settlement period (`2026-11-24`, `2026-W48`, `2026-11`); for a markup, the UTC day of the close' }),
    period_start: timestamp.nullable(),
    period_end: timestamp,
    trade_id: z.string().nullable().meta({ description: 'Markup: the copied trade' }),
    profit: money.meta({ description: 'Performance fee: copy equity change since the previous statement; markup: the trade’s P&L' }),
    equity: money.nullable().meta({ description: 'Σ P&L of the subscription’s closed copies on the account at the period’s end' }),
    high_water_mark: z.object({ before: money.nullable(), after: money.nullable() }),
    rate: z.string(),
    fee: money.meta({ description: 'rate × (equity − high-water mark) when positive; markup: rate × profit' }),
    charged: money.meta({ description: 'What was taken (less than `fee` only when the balance fell short)' }),
    shortfall: money,
    split: z.object({ master: money, platform: money, affiliate: money }),
    entry_id: z.string().nullable().meta({ description: 'The `commission` journal entry' }),
    created_at: timestamp,
  })
  .meta({ id: 'CommissionCharge' });

export const commissionRoutes = {
  statements: defineRoute({
    id: 'commission.statements',
    method: 'GET',
    path: '/commission/statements',
    summary: 'Performance fees and markups you paid as a follower or earned as a master, newest first',
    tags: ['copy trading'],
    auth: 'user',
    scope: 'copy:read',
    query: z.object({
      period: z.string().min(1).max(16).optional().meta({ description: 'One settlement period, e.g. `2026-11-24`' }),
      as: z.enum(['follower', 'master']).optional().meta({ description: 'Only charges you paid, or only ones you earned' }),
      kind: z.enum(['performance_fee', 'markup']).optional(),
      cursor: z.string().min(1).max(64).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({ charges: z.array(commissionChargeSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  settle: defineRoute({
    id: 'commission.settle',
    method: 'POST',
    path: '/admin/commission/settle',
    summary: 'Admin: settle performance fees for a completed period (default: the last) and charge missed markups',
    description: 'Idempotent: a (subscription, account, period) is charged once however often this runs; the engine’s job runs it after each period too.',
    tags: ['copy trading', 'admin'],
    auth: 'admin',
    body: z.strictObject({ period: z.string().min(1).max(16).optional() }),
    response: z.object({
      period: z.string(),
      period_start: timestamp,
      period_end: timestamp,
      statements: z.number().int().meta({ description: 'Performance-fee statements written (zero fees included)' }),
      markups: z.number().int().meta({ description: 'Markups the close-time hook had missed' }),
      skipped: z.number().int(),
    }),
    errors: [],
  }),
};
