import type { ProviderWebhook } from '../payments/provider.js';

/** What a checkout for a paid plan asks of the billing provider. */
export interface PlanCheckoutRequest {
  /** tradeplane's id for this checkout: the provider's idempotency key. */
  checkoutId: string;
  userId: string;
  email: string;
  /** The plan's name in tradeplane (`pro`). */
  plan: string;
  /** The provider's price for it, from the plan's options (a Stripe Price id). */
  price: string;
  /** The provider's customer already billing this user, if any: one customer per user. */
  customerReference: string | null;
  successUrl: string;
  cancelUrl: string;
}

/** A subscription's state as the provider reports it; state, not a delta, so redeliveries and reordering are harmless. */
export type BillingSubscriptionStatus = 'incomplete' | 'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled';

/** A billing provider event in tradeplane's terms. */
export type BillingEvent =
  | {
      /** The provider's event id: a redelivery repeats it. */
      id: string;
      type: 'subscription.updated';
      /** The provider's subscription id. */
      subscriptionReference: string;
      customerReference: string;
      /** The user it was bought for (the checkout's `client_reference_id` / metadata), when the provider carries it. */
      userId: string | null;
      /** The provider's price the subscription is on; mapped back to a plan through the plans' options. */
      price: string;
      status: BillingSubscriptionStatus;
      currentPeriodEnd: Date;
      /** The subscription ends (back to the free plan) at `currentPeriodEnd`. */
      cancelAtPeriodEnd: boolean;
      /** When the provider produced this state: an older state never overwrites a newer one. */
      occurredAt: Date;
    }
  | { id: string; type: 'ignored'; providerType: string };

/**
 * A provider that bills paid plans (Stripe Billing). Its events are believed only once
 * `verifyEvent` has checked their signature; a plan changes only on a verified event or an
 * audited operator action.
 */
export interface BillingProvider {
  /** The `{provider}` of the billing webhook route. */
  readonly name: string;
  /** A hosted checkout the user is sent to for a paid plan. */
  createCheckout(request: PlanCheckoutRequest): Promise<{ url: string; reference: string }>;
  /** Ends a subscription at the end of the paid period (a downgrade). */
  cancelAtPeriodEnd(subscriptionReference: string): Promise<void>;
  verifyEvent(webhook: ProviderWebhook): Promise<BillingEvent>;
}
