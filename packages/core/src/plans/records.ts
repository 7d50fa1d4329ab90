/**
 * Storage records and repository of the plans module: each user's plan subscription, as the
 * billing provider last reported it (or an operator set it).
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */

/** A subscription's state as the billing provider reports it (Stripe's subscription statuses, less the paused ones). */
export type PlanSubscriptionStatus = 'incomplete' | 'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled';

/** A user's plan subscription: one row per user. */
export interface PlanSubscriptionRecord {
  userId: string;
  /** The plan's name in the options (`pro`). */
  plan: string;
  status: PlanSubscriptionStatus;
  /** The billing provider's name, or `operator` for a plan an operator set. */
  provider: string;
  /** The provider's customer billing this user (one per user), once known. */
  customerReference: string | null;
  /** The provider's subscription, once known. */
  subscriptionReference: string | null;
  currentPeriodEnd: Date | null;
  /** The subscription ends at `currentPeriodEnd` (back to the default plan). */
  cancelAtPeriodEnd: boolean;
  /** When the provider produced this state (or the operator acted): an older state never replaces it. */
  stateAt: Date;
  updatedAt: Date;
}

/** How much of each counted entitlement a user holds. */
export interface PlanUsage {
  /** Strategy bots. */
  maxBots: number;
  /** Backtests started since the `since` given (the start of the UTC day). */
  backtestsPerDay: number;
  /** API keys not revoked. */
  maxApiKeys: number;
  /** Copy subscriptions active or paused. */
  maxCopySubscriptions: number;
}

export interface PlanSubscriptionsRepository {
  find(userId: string): Promise<PlanSubscriptionRecord | undefined>;
  /** The user a provider's customer bills, when an event does not name the user. */
  findByCustomer(provider: string, customerReference: string): Promise<PlanSubscriptionRecord | undefined>;
  /** Writes the user's row, replacing the one there. */
  put(record: PlanSubscriptionRecord): Promise<void>;
  /** Every user's plan subscription, by user id descending, keyset-paged. */
  list(filter: { cursor?: string; limit: number }): Promise<PlanSubscriptionRecord[]>;
  /** Counts what the user holds of each counted entitlement (`backtestsPerDay`: created at or after `since`). */
  usage(userId: string, since: Date): Promise<PlanUsage>;
}
