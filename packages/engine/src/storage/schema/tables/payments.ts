import { sql } from 'drizzle-orm';
import { money, text, timestamp } from '../columns.js';
import { check, index, oneOf, primaryKey, table, uniqueIndex } from '../kit.js';
import { depositStatuses, disputeStatuses, receivableCauses, receivableStatuses } from '../values.js';
import { users } from './auth.js';
import { accounts } from './wallets.js';

/*
 * The payments module's tables: deposits asked of payment providers, the provider events
 * already recorded, chargebacks, and what users owe after a provider took money back.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/**
 * Deposits through a payment provider. The provider's events name the payment by its own id
 * (`provider_reference`), so that pair is unique: an event finds exactly one deposit. The money
 * reaches the account only once the provider confirms it (`entry_id`).
 */
export const deposits = table(
  'deposits',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    provider: text('provider').notNull(),
    providerReference: text('provider_reference'),
    idempotencyKey: text('idempotency_key'),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', depositStatuses).notNull(),
    refundedAmount: money('refunded_amount').notNull().default(0n),
    entryId: text('entry_id'),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deposits_provider_reference_unique').on(t.provider, t.providerReference),
    uniqueIndex('deposits_idempotency_key_unique').on(t.userId, t.idempotencyKey),
    index('deposits_user_idx').on(t.userId, t.id),
    index('deposits_account_updated_idx').on(t.accountId, t.updatedAt),
    check('deposits_amount_check', sql`${t.amount} > 0`),
    check('deposits_refunded_check', sql`${t.refundedAmount} >= 0 and ${t.refundedAmount} <= ${t.amount}`),
    check('deposits_status_check', oneOf(t.status, depositStatuses)),
  ],
);

/** Provider events, one row per provider and event id: a redelivered event finds its row and is not acted on again. */
export const providerEvents = table(
  'provider_events',
  {
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    /** The provider's object the event is about (a PaymentIntent id), when it names one. */
    objectId: text('object_id'),
    receivedAt: timestamp('received_at').notNull(),
  },
  (t) => [primaryKey(t.provider, t.eventId)],
);

/** Chargebacks, one row per provider dispute; an open one holds the disputed amount on the account. */
export const disputes = table(
  'disputes',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    disputeId: text('dispute_id').notNull(),
    depositId: text('deposit_id')
      .notNull()
      .references(() => deposits.columns.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', disputeStatuses).notNull(),
    reason: text('reason').notNull(),
    holdId: text('hold_id'),
    entryId: text('entry_id'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('disputes_provider_dispute_unique').on(t.provider, t.disputeId),
    index('disputes_account_status_idx').on(t.accountId, t.status),
    check('disputes_amount_check', sql`${t.amount} > 0`),
    check('disputes_status_check', oneOf(t.status, disputeStatuses)),
  ],
);

/** What users owe after a provider took back money that had already left their account. */
export const receivables = table(
  'receivables',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', receivableStatuses).notNull(),
    cause: text('cause', receivableCauses).notNull(),
    sourceId: text('source_id').notNull(),
    entryId: text('entry_id').notNull(),
    createdAt: timestamp('created_at').notNull(),
    settledAt: timestamp('settled_at'),
  },
  (t) => [
    index('receivables_user_idx').on(t.userId, t.id),
    check('receivables_amount_check', sql`${t.amount} > 0`),
    check('receivables_status_check', oneOf(t.status, receivableStatuses)),
    check('receivables_cause_check', oneOf(t.cause, receivableCauses)),
  ],
);
