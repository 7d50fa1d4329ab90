import { DECIMAL } from '../money/amount.js';
import { CURRENCY_CODE } from '../money/currency.js';
import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';
import { amountSchema } from './wallets.js';
import { reportedReasons } from '../risk/reasons.js';

const id = z.string().min(1).max(64);
const multiplier = z.string().regex(DECIMAL, 'must be a decimal string such as "1.5"');

export const riskProfileSchema = z
  .object({
    currency: z.string(),
    min_stake: z.string(),
    max_stake: z.string(),
    max_daily_loss: z.string().meta({ description: 'Net realised loss in one local day that locks trading until the next local midnight' }),
    max_consecutive_losses: z.number().int(),
    stake_progression: z.array(z.string()).meta({ description: 'Multipliers of min_stake for the recommended stake after 0, 1, 2, … consecutive losses (the last repeats)' }),
    max_open_positions: z.number().int().meta({ description: 'Open trades plus pending orders' }),
    max_exposure_per_symbol: z.string().meta({ description: 'Stake of open trades plus pending orders on one symbol' }),
    loss_cooldown_minutes: z.number().int().meta({ description: 'How long a losing streak of max_consecutive_losses locks trading' }),
    time_zone: z.string().meta({ description: 'IANA zone whose midnight starts a trading day' }),
    is_default: z.boolean().meta({ description: 'True until you save a profile of your own' }),
    updated_at: timestamp.nullable(),
    state: z.object({
      consecutive_losses: z.number().int(),
      daily_loss: z.string(),
      day_started_at: timestamp,
      recommended_stake: z.string(),
    }),
  })
  .meta({ id: 'RiskProfile' });

export const riskLockSchema = z
  .object({
    id: z.string(),
    scope: z.enum(['user', 'symbol', 'side']),
    symbol: z.string().nullable(),
    side: z.enum(['BUY', 'SELL']).nullable(),
    reason: z.string(),
    until: timestamp,
    created_at: timestamp,
    cleared_at: timestamp.nullable(),
    cleared_by: z.string().nullable(),
    active: z.boolean(),
  })
  .meta({ id: 'RiskLock' });

export const protectionEventSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    source: z.enum(['risk', 'ea']).meta({ description: '`risk`: refused by tradeplane’s risk manager; `ea`: reported by a trading terminal' }),
    subscription_id: z.string().nullable(),
    reason: z.string(),
    symbol: z.string().nullable(),
    side: z.enum(['BUY', 'SELL']).nullable(),
    stake: z.string().nullable(),
    currency: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    occurred_at: timestamp,
    created_at: timestamp,
  })
  .meta({ id: 'ProtectionEvent' });

/** The fields of a risk profile a user may set (`PUT /risk/profile`, and a backtest's `risk`). */
export const riskProfileUpdateSchema = z.strictObject({
  currency: z.string().regex(CURRENCY_CODE, 'must be an upper-case currency code such as USD').optional(),
  min_stake: amountSchema.optional(),
  max_stake: amountSchema.optional(),
  max_daily_loss: amountSchema.optional(),
  max_consecutive_losses: z.number().int().min(1).max(1000).optional(),
  stake_progression: z.array(multiplier).min(1).max(50).optional(),
  max_open_positions: z.number().int().min(1).max(10_000).optional(),
  max_exposure_per_symbol: amountSchema.optional(),
  loss_cooldown_minutes: z.number().int().min(0).max(100_000).optional(),
  time_zone: z.string().min(1).max(64).optional(),
});

export const riskRoutes = {
  profile: defineRoute({
    id: 'risk.profile',
    method: 'GET',
    path: '/risk/profile',
    summary: 'Your risk limits and where you stand against them',
    tags: ['risk'],
    auth: 'user',
    scope: 'trading:read',
    response: riskProfileSchema,
    errors: [],
  }),
  updateProfile: defineRoute({
    id: 'risk.updateProfile',
    method: 'PUT',
    path: '/risk/profile',
    summary: 'Change your risk limits (fields you leave out keep their value)',
    description: 'Access tokens only: an API key cannot loosen the limits. Changing the currency needs all four amounts restated.',
    tags: ['risk'],
    auth: 'user',
    body: riskProfileUpdateSchema,
    response: riskProfileSchema,
    errors: [],
  }),
  locks: defineRoute({
    id: 'risk.locks',
    method: 'GET',
    path: '/risk/locks',
    summary: 'Your trading locks: the ones in force, or all with `all=true`',
    tags: ['risk'],
    auth: 'user',
    scope: 'trading:read',
    query: z.object({ all: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') }),
    response: z.object({ locks: z.array(riskLockSchema) }),
    errors: [],
  }),
  userLocks: defineRoute({
    id: 'risk.userLocks',
    method: 'GET',
    path: '/admin/users/{id}/risk/locks',
    summary: 'Admin: a user’s trading locks (all of them)',
    tags: ['risk', 'admin'],
    auth: 'admin',
    params: z.strictObject({ id }),
    response: z.object({ locks: z.array(riskLockSchema) }),
    errors: [],
  }),
  clearLock: defineRoute({
    id: 'risk.clearLock',
    method: 'DELETE',
    path: '/admin/risk/locks/{id}',
    summary: 'Admin: lift a lock before its time (audited)',
    tags: ['risk', 'admin'],
    auth: 'admin',
    params: z.strictObject({ id }),
    response: riskLockSchema,
    errors: ['not_found', 'conflict'],
  }),
  events: defineRoute({
    id: 'risk.events',
    method: 'GET',
    path: '/protection-events',
    summary: 'Signals and trades refused for your protection, newest first (admins: everyone’s, or one user’s)',
    tags: ['risk'],
    auth: 'user',
    scope: 'trading:read',
    query: z.object({
      user_id: id.optional().meta({ description: 'Admins only' }),
      source: z.enum(['risk', 'ea']).optional(),
      subscription_id: id.optional(),
      reason: z.string().min(1).max(64).optional(),
      from: timestamp.optional(),
      to: timestamp.optional(),
      cursor: z.string().min(1).max(64).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({ events: z.array(protectionEventSchema), next_cursor: z.string().nullable() }),
    errors: ['forbidden'],
  }),
  summary: defineRoute({
    id: 'risk.eventSummary',
    method: 'GET',
    path: '/protection-events/summary',
    summary: 'How many signals were refused, per reason, symbol or UTC day (admins: everyone’s, or one user’s)',
    tags: ['risk'],
    auth: 'user',
    scope: 'trading:read',
    query: z.object({
      group_by: z.enum(['reason', 'symbol', 'day']).default('reason'),
      user_id: id.optional().meta({ description: 'Admins only' }),
      source: z.enum(['risk', 'ea']).optional(),
      subscription_id: id.optional(),
      from: timestamp.optional(),
      to: timestamp.optional(),
    }),
    response: z.object({
      group_by: z.enum(['reason', 'symbol', 'day']),
      total: z.number().int(),
      groups: z.array(z.object({ key: z.string().nullable().meta({ description: 'The reason, symbol (null: none given) or day (`2026-11-24`)' }), count: z.number().int() })),
    }),
    errors: ['forbidden'],
  }),
  report: defineRoute({
    id: 'risk.reportEvent',
    method: 'POST',
    path: '/protection-events',
    summary: 'For trading terminals: report a signal you refused to copy',
    description: 'Authenticated with the subscription’s license token. Idempotent on `event_id`: a retry answers 200 with the stored event. A cancelled or expired subscription’s license is refused (409).',
    tags: ['risk', 'copy trading'],
    auth: 'license',
    body: z.strictObject({
      event_id: z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
      reason: z.enum(reportedReasons),
      symbol: z.string().min(1).max(32).optional(),
      side: z.enum(['BUY', 'SELL']).optional(),
      stake: amountSchema.optional().meta({ description: 'The stake the signal asked for' }),
      currency: z.string().regex(CURRENCY_CODE, 'must be an upper-case currency code such as USD').optional(),
      details: z
        .record(z.string(), z.unknown())
        .refine((d) => Buffer.byteLength(JSON.stringify(d)) <= 4096, 'must be at most 4 KiB as JSON')
        .optional(),
      occurred_at: timestamp,
    }),
    response: protectionEventSchema,
    successStatus: 201,
    otherResponses: { 200: { description: 'Already reported: the stored event', schema: protectionEventSchema } },
    errors: ['conflict'],
  }),
};
