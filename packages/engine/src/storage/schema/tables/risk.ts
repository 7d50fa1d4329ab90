import { integer, money, text, timestamp } from '../columns.js';
import { index, table, uniqueIndex } from '../kit.js';
import { lockScopes, protectionSources, tradeSides } from '../values.js';
import { users } from './auth.js';

/*
 * The risk module's tables: limits, losing streaks, locks and refusals.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** A user's risk limits; users without a row get the engine's defaults. */
export const riskProfiles = table('risk_profiles', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.columns.id, { onDelete: 'cascade' }),
  currency: text('currency').notNull(),
  minStake: money('min_stake').notNull(),
  maxStake: money('max_stake').notNull(),
  maxDailyLoss: money('max_daily_loss').notNull(),
  maxConsecutiveLosses: integer('max_consecutive_losses').notNull(),
  /** JSON array of decimal strings. */
  stakeProgression: text('stake_progression').notNull(),
  maxOpenPositions: integer('max_open_positions').notNull(),
  maxExposurePerSymbol: money('max_exposure_per_symbol').notNull(),
  lossCooldownMinutes: integer('loss_cooldown_minutes').notNull(),
  timeZone: text('time_zone').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
});

/** Each user's losing streak, updated by every settlement in its transaction. */
export const riskStreaks = table('risk_streaks', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.columns.id, { onDelete: 'cascade' }),
  consecutiveLosses: integer('consecutive_losses').notNull(),
  lastLossAt: timestamp('last_loss_at'),
});

export const riskLocks = table(
  'risk_locks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    scope: text('scope', lockScopes).notNull(),
    symbol: text('symbol'),
    side: text('side', tradeSides),
    reason: text('reason').notNull(),
    until: timestamp('until').notNull(),
    createdAt: timestamp('created_at').notNull(),
    clearedAt: timestamp('cleared_at'),
    clearedBy: text('cleared_by'),
  },
  (t) => [index('risk_locks_user_idx').on(t.userId, t.until)],
);

/** Refused signals and trades: the risk manager's rejections and those reported by trading terminals. */
export const protectionEvents = table(
  'protection_events',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    source: text('source', protectionSources).notNull(),
    subscriptionId: text('subscription_id'),
    externalId: text('external_id'),
    reason: text('reason').notNull(),
    symbol: text('symbol'),
    side: text('side', tradeSides),
    stake: money('stake'),
    currency: text('currency'),
    /** JSON. */
    details: text('details'),
    occurredAt: timestamp('occurred_at').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    index('protection_events_user_idx').on(t.userId, t.id),
    index('protection_events_reason_idx').on(t.reason, t.occurredAt),
    uniqueIndex('protection_events_external_unique').on(t.userId, t.externalId),
  ],
);
