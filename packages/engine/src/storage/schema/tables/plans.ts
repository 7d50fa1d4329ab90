import { boolean, text, timestamp } from '../columns.js';
import { check, index, oneOf, table } from '../kit.js';
import { planSubscriptionStatuses } from '../values.js';
import { users } from './auth.js';

/*
 * The plans module's table: each user's plan subscription.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/**
 * One row per user with a paid (or operator-set) plan; a user without one is on the default plan.
 * `state_at` is when the provider produced the stored state: an older state never replaces it.
 * Events that do not name the user find them by their provider's customer.
 */
export const planSubscriptions = table(
  'plan_subscriptions',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    plan: text('plan').notNull(),
    status: text('status', planSubscriptionStatuses).notNull(),
    provider: text('provider').notNull(),
    customerReference: text('customer_reference'),
    subscriptionReference: text('subscription_reference'),
    currentPeriodEnd: timestamp('current_period_end'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    stateAt: timestamp('state_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('plan_subscriptions_customer_idx').on(t.provider, t.customerReference), check('plan_subscriptions_status_check', oneOf(t.status, planSubscriptionStatuses))],
);
