import { Webhook } from 'standardwebhooks';
import { type BillingEvent, type BillingProvider, type BillingSubscriptionStatus, type PlanCheckoutRequest, TradeplaneError, verifyStandardWebhook } from '@tradeplane/core';

/** A subscription as the billing gateway keeps it. */
export interface GatewaySubscription {
  id: string;
  customer: string;
  /** The user the checkout was opened for (the gateway's `client_reference_id`). */
  userId: string;
  price: string;
  status: BillingSubscriptionStatus;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
}

/** A signed callback as the gateway sends it. */
export interface SignedCallback {
  id: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * A small billing gateway: the outside system a platform buys plans through. It hosts checkout
 * pages (answered with a URL), keeps subscriptions, and tells the platform of every
 * subscription's state with a Standard Webhooks callback signed by the reference
 * implementation (`standardwebhooks`). `provider` is what the platform plugs in: its
 * `verifyEvent` believes a callback only once core's `verifyStandardWebhook` has checked it.
 */
export function createBillingGateway(options: { name?: string; secret: string }) {
  const name = options.name ?? 'gateway';
  const checkouts = new Map<string, PlanCheckoutRequest>();
  const subscriptions = new Map<string, GatewaySubscription>();
  const customers = new Map<string, string>();
  const cancelRequests: string[] = [];
  let sequence = 0;
  const next = (prefix: string) => `${prefix}_${process.pid}_${++sequence}`;

  const provider: BillingProvider = {
    name,
    async createCheckout(request) {
      const id = next('cs');
      checkouts.set(id, request);
      return { url: `https://billing.example.test/checkout/${id}`, reference: id };
    },
    async cancelAtPeriodEnd(subscriptionReference) {
      const subscription = subscriptions.get(subscriptionReference);
      if (!subscription) throw new Error(`no subscription ${subscriptionReference}`);
      subscription.cancelAtPeriodEnd = true;
      cancelRequests.push(subscriptionReference);
    },
    async verifyEvent(webhook): Promise<BillingEvent> {
      const { id, payload } = verifyStandardWebhook({ secret: options.secret, headers: webhook.headers, rawBody: webhook.rawBody });
      const event = payload as { type?: unknown; data?: Record<string, unknown> };
      if (event.type !== 'subscription.updated') return { id, type: 'ignored', providerType: String(event.type) };
      const d = event.data ?? {};
      const text = (key: string) => {
        if (typeof d[key] !== 'string') throw new TradeplaneError('validation_failed', `data.${key} must be a string`);
        return d[key] as string;
      };
      return {
        id,
        type: 'subscription.updated',
        subscriptionReference: text('subscription'),
        customerReference: text('customer'),
        userId: typeof d.client_reference_id === 'string' ? d.client_reference_id : null,
        price: text('price'),
        status: text('status') as BillingSubscriptionStatus,
        currentPeriodEnd: new Date(text('current_period_end')),
        cancelAtPeriodEnd: d.cancel_at_period_end === true,
        occurredAt: new Date(text('occurred_at')),
      };
    },
  };

  /** Signs a payload as the gateway does (another key: a forged callback). */
  function sign(payload: unknown, signing: { id?: string; at?: Date; key?: string } = {}): SignedCallback {
    const id = signing.id ?? next('msg');
    const at = signing.at ?? new Date();
    const body = JSON.stringify(payload);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(signing.key ?? options.secret).sign(id, at, body) };
    return { id, body, headers };
  }

  return {
    provider,
    checkouts,
    cancelRequests,
    /** The payer completes the checkout at `url`: the gateway opens a subscription on the plan's price. */
    pay(url: string, status: BillingSubscriptionStatus = 'active'): GatewaySubscription {
      const checkoutId = url.slice(url.lastIndexOf('/') + 1);
      const checkout = checkouts.get(checkoutId);
      if (!checkout) throw new Error(`no checkout ${checkoutId}`);
      const customer = checkout.customerReference ?? customers.get(checkout.userId) ?? next('cus');
      customers.set(checkout.userId, customer);
      const subscription: GatewaySubscription = { id: next('sub'), customer, userId: checkout.userId, price: checkout.price, status, currentPeriodEnd: new Date(Date.now() + 30 * 86_400_000), cancelAtPeriodEnd: false };
      subscriptions.set(subscription.id, subscription);
      return subscription;
    },
    /** The subscription's current state as a signed `subscription.updated` callback, produced at `occurredAt`. */
    stateOf(subscription: GatewaySubscription, occurredAt = new Date(), signing: { id?: string; key?: string; withoutUser?: boolean } = {}): SignedCallback {
      return sign(
        {
          type: 'subscription.updated',
          data: {
            subscription: subscription.id,
            customer: subscription.customer,
            client_reference_id: signing.withoutUser ? undefined : subscription.userId,
            price: subscription.price,
            status: subscription.status,
            current_period_end: subscription.currentPeriodEnd.toISOString(),
            cancel_at_period_end: subscription.cancelAtPeriodEnd,
            occurred_at: occurredAt.toISOString(),
          },
        },
        signing,
      );
    },
    sign,
  };
}
