import type { BillingEvent, BillingProvider, BillingSubscriptionStatus } from '@tradeplane/core';
import type Stripe from 'stripe';
import { idOf, verifiedStripeEvent } from './webhook.js';

export interface StripeBillingOptions {
  /** A `stripe` SDK instance with the secret key. */
  stripe: Stripe;
  /** The billing webhook endpoint's signing secret (`whsec_…`). */
  webhookSecret: string;
  /** The provider's name, the `{provider}` of its webhook route (default `stripe_billing`). */
  name?: string;
  /** How old a delivery's signature timestamp may be, in seconds (default 300). */
  toleranceSeconds?: number;
}

/** Stripe's subscription statuses in tradeplane's: `incomplete_expired` never started, `paused` is not being paid. */
function subscriptionStatus(status: string): BillingSubscriptionStatus {
  switch (status) {
    case 'incomplete':
    case 'trialing':
    case 'active':
    case 'past_due':
    case 'unpaid':
    case 'canceled':
      return status;
    case 'incomplete_expired':
      return 'canceled';
    default:
      return 'unpaid';
  }
}

/**
 * The end of the paid period. Since API version 2025-03-31 Stripe reports periods per item; an
 * SDK pinned to an older version still has them on the subscription.
 */
function periodEnd(subscription: Stripe.Subscription): Date {
  const item = subscription.items.data[0] as (Stripe.SubscriptionItem & { current_period_end?: number }) | undefined;
  const seconds = item?.current_period_end ?? (subscription as Stripe.Subscription & { current_period_end?: number }).current_period_end;
  if (typeof seconds !== 'number') throw new Error(`Stripe subscription ${subscription.id} has no current_period_end`);
  return new Date(seconds * 1000);
}

/**
 * Stripe Billing as tradeplane's `BillingProvider`: a paid plan is bought through a Checkout
 * Session in `subscription` mode (a hosted page), and the plan follows the subscription's
 * `customer.subscription.*` events. Each event is answered with the subscription as Stripe holds
 * it when the event arrives (re-read), stamped with the event's time, so late or repeated
 * deliveries do not roll a plan back.
 */
export function stripeBilling(options: StripeBillingOptions): BillingProvider {
  const { stripe, webhookSecret, name = 'stripe_billing', toleranceSeconds = 300 } = options;
  if (!webhookSecret) throw new TypeError('stripeBilling: webhookSecret is required (whsec_…)');
  return {
    name,

    async createCheckout({ checkoutId, userId, email, plan, price, customerReference, successUrl, cancelUrl }) {
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          line_items: [{ price, quantity: 1 }],
          client_reference_id: userId,
          ...(customerReference ? { customer: customerReference } : { customer_email: email }),
          subscription_data: { metadata: { tradeplane_user_id: userId, tradeplane_plan: plan } },
          metadata: { tradeplane_checkout_id: checkoutId, tradeplane_user_id: userId, tradeplane_plan: plan },
          success_url: successUrl,
          cancel_url: cancelUrl,
        },
        { idempotencyKey: checkoutId },
      );
      if (!session.url) throw new Error(`Stripe answered Checkout Session ${session.id} without a URL`);
      return { url: session.url, reference: session.id };
    },

    async cancelAtPeriodEnd(subscriptionReference) {
      await stripe.subscriptions.update(subscriptionReference, { cancel_at_period_end: true });
    },

    async verifyEvent(webhook): Promise<BillingEvent> {
      const event = await verifiedStripeEvent(stripe, webhook, webhookSecret, toleranceSeconds);
      if (event.type !== 'customer.subscription.created' && event.type !== 'customer.subscription.updated' && event.type !== 'customer.subscription.deleted') {
        return { id: event.id, type: 'ignored', providerType: event.type };
      }
      const subscription = await stripe.subscriptions.retrieve(event.data.object.id);
      const price = subscription.items.data[0]?.price.id;
      if (!price) throw new Error(`Stripe subscription ${subscription.id} has no item`);
      return {
        id: event.id,
        type: 'subscription.updated',
        subscriptionReference: subscription.id,
        customerReference: idOf(subscription.customer)!,
        userId: subscription.metadata?.tradeplane_user_id ?? null,
        price,
        status: event.type === 'customer.subscription.deleted' ? 'canceled' : subscriptionStatus(subscription.status),
        currentPeriodEnd: periodEnd(subscription),
        cancelAtPeriodEnd: subscription.cancel_at_period_end,
        occurredAt: new Date(event.created * 1000),
      };
    },
  };
}
