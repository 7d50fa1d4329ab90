import { sql } from 'drizzle-orm';
import { integer, money, text, timestamp } from '../columns.js';
import { check, index, oneOf, table, uniqueIndex } from '../kit.js';
import { commissionKinds, copyModes, liveSubscriptionStatuses, masterVisibilities, subscriptionStatuses } from '../values.js';
import { users } from './auth.js';

/*
 * The copy-trading module's tables: masters, subscriptions and the commission charged.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** Master-trader profiles (one per user). */
export const masters = table(
  'masters',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    displayName: text('display_name').notNull(),
    description: text('description'),
    markupBps: integer('markup_bps').notNull(),
    performanceFeeBps: integer('performance_fee_bps').notNull(),
    visibility: text('visibility', masterVisibilities).notNull(),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [uniqueIndex('masters_user_unique').on(t.userId), index('masters_visibility_idx').on(t.visibility, t.id)],
);

/** Copy-trading subscriptions; the license token is stored as its SHA-256 only. */
export const subscriptions = table(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    followerId: text('follower_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    masterId: text('master_id')
      .notNull()
      .references(() => masters.columns.id, { onDelete: 'cascade' }),
    masterUserId: text('master_user_id').notNull(),
    accountId: text('account_id'),
    copyMode: text('copy_mode', copyModes).notNull(),
    fixedStake: text('fixed_stake'),
    multiplier: text('multiplier'),
    maxStake: text('max_stake'),
    status: text('status', subscriptionStatuses).notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('subscriptions_token_unique').on(t.tokenHash),
    index('subscriptions_follower_idx').on(t.followerId, t.id),
    index('subscriptions_master_user_idx').on(t.masterUserId, t.status),
    // One live subscription per follower and master; cancelled and expired ones stay as history.
    uniqueIndex('subscriptions_live_unique').on(t.followerId, t.masterId).where(oneOf(t.status, liveSubscriptionStatuses)),
  ],
);

/**
 * Commission charged to followers: performance fees per settlement period (with the high-water
 * mark they leave) and markups per copied trade. `key` makes each charge happen once.
 */
export const commissionCharges = table(
  'commission_charges',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    kind: text('kind', commissionKinds).notNull(),
    subscriptionId: text('subscription_id').notNull(),
    masterId: text('master_id').notNull(),
    masterUserId: text('master_user_id').notNull(),
    followerId: text('follower_id').notNull(),
    accountId: text('account_id').notNull(),
    currency: text('currency').notNull(),
    period: text('period').notNull(),
    periodStart: timestamp('period_start'),
    periodEnd: timestamp('period_end').notNull(),
    tradeId: text('trade_id'),
    profit: money('profit').notNull(),
    equity: money('equity'),
    closedCopies: integer('closed_copies'),
    hwmBefore: money('hwm_before'),
    hwmAfter: money('hwm_after'),
    rateBps: integer('rate_bps').notNull(),
    fee: money('fee').notNull(),
    charged: money('charged').notNull(),
    masterAmount: money('master_amount').notNull(),
    platformAmount: money('platform_amount').notNull(),
    affiliateAmount: money('affiliate_amount').notNull(),
    affiliateUserId: text('affiliate_user_id'),
    entryId: text('entry_id'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('commission_charges_key_unique').on(t.key),
    index('commission_charges_fee_idx').on(t.subscriptionId, t.accountId, t.kind, t.periodEnd),
    index('commission_charges_follower_idx').on(t.followerId, t.id),
    index('commission_charges_master_idx').on(t.masterUserId, t.id),
    index('commission_charges_trade_idx').on(t.tradeId),
    index('commission_charges_affiliate_idx').on(t.affiliateUserId),
    check('commission_charges_split_check', sql`${t.charged} = ${t.masterAmount} + ${t.platformAmount} + ${t.affiliateAmount} and ${t.charged} >= 0 and ${t.charged} <= ${t.fee}`),
  ],
);
