import { sql } from 'drizzle-orm';
import { money, text, timestamp } from '../columns.js';
import { check, index, oneOf, primaryKey, table, uniqueIndex } from '../kit.js';
import { depositStatuses } from '../values.js';
import { users } from './auth.js';
import { accounts } from './wallets.js';

/*
 * The payments module's tables: deposits asked of payment providers, and the provider events
 * already recorded.
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
    providerReference: text('provider_reference').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', depositStatuses).notNull(),
    entryId: text('entry_id'),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deposits_provider_reference_unique').on(t.provider, t.providerReference),
    index('deposits_user_idx').on(t.userId, t.id),
    check('deposits_amount_check', sql`${t.amount} > 0`),
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
