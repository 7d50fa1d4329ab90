import type { BillingEvent, BillingProvider, PlanCheckoutRequest } from '@tradeplane/core';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhook, startStripeFake, type StripeFake } from '../../../tests/support/stripe-fake.js';
import { stripeBilling } from './billing.js';

const secret = 'whsec_billing_test_secret';
let fake: StripeFake;
let stripe: Stripe;
let billing: BillingProvider;
let price: Stripe.Price;
let checkouts = 0;
beforeAll(async () => {
  fake = await startStripeFake();
  stripe = fake.client();
  billing = stripeBilling({ stripe, webhookSecret: secret });
  price = await stripe.prices.create({ currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
});
afterAll(() => fake.close());

const deliver = (event: Stripe.Event, key = secret): Promise<BillingEvent> => {
  const signed = signedWebhook(event, key);
  return billing.verifyEvent({ headers: signed.headers, rawBody: signed.body });
};
const checkoutRequest = (overrides: Partial<PlanCheckoutRequest> = {}): PlanCheckoutRequest => ({
  checkoutId: `chk_${process.pid}_${++checkouts}`,
  userId: 'user-42',
  email: 'pro@example.com',
  plan: 'pro',
  price: price.id,
  customerReference: null,
  successUrl: 'https://app.example/billing/done',
  cancelUrl: 'https://app.example/billing',
  ...overrides,
});

describe('stripeBilling', () => {
  it('opens one subscription-mode Checkout Session per checkout, for the known customer or by email', async () => {
    const request = checkoutRequest();
    const checkout = await billing.createCheckout(request);
    expect(checkout.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect(fake.state.checkoutSessions.get(checkout.reference)).toMatchObject({
      mode: 'subscription',
      client_reference_id: 'user-42',
      customer: null,
      customer_email: 'pro@example.com',
      success_url: request.successUrl,
      cancel_url: request.cancelUrl,
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      idempotencyKey: request.checkoutId,
      params: { line_items: [{ price: price.id, quantity: '1' }], subscription_data: { metadata: { tradeplane_user_id: 'user-42' } } },
    });
    expect(await billing.createCheckout(request)).toEqual(checkout);
    expect(fake.state.checkoutSessions.size).toBe(1);

    const customer = await stripe.customers.create({ email: 'pro@example.com' });
    const again = await billing.createCheckout(checkoutRequest({ customerReference: customer.id }));
    expect(fake.state.checkoutSessions.get(again.reference)).toMatchObject({ customer: customer.id, customer_email: null });
  });

  it('follows the subscription through checkout, a failed renewal, a downgrade and its end', async () => {
    const checkout = await billing.createCheckout(checkoutRequest());
    const created = fake.completeCheckout(checkout.reference);
    const subscription = created.data.object as Stripe.Subscription;
    const item = subscription.items.data[0]!;
    const expected = {
      type: 'subscription.updated',
      subscriptionReference: subscription.id,
      customerReference: subscription.customer,
      userId: 'user-42',
      price: price.id,
    };
    expect(await deliver(created)).toEqual({
      id: created.id,
      ...expected,
      status: 'active',
      currentPeriodEnd: new Date(item.current_period_end * 1000),
      cancelAtPeriodEnd: false,
      occurredAt: new Date(created.created * 1000),
    });
    const completed = fake.state.events.findLast((e) => e.type === 'checkout.session.completed')!;
    expect(await deliver(completed)).toEqual({ id: completed.id, type: 'ignored', providerType: 'checkout.session.completed' });

    const pastDue = fake.failRenewal(subscription.id);
    expect(await deliver(pastDue)).toMatchObject({ ...expected, status: 'past_due', currentPeriodEnd: new Date((item.current_period_end + 30 * 86_400) * 1000) });

    await billing.cancelAtPeriodEnd(subscription.id);
    expect(fake.state.subscriptions.get(subscription.id)).toMatchObject({ cancel_at_period_end: true });
    const downgraded = fake.state.events.findLast((e) => e.type === 'customer.subscription.updated')!;
    expect(await deliver(downgraded)).toMatchObject({ ...expected, status: 'past_due', cancelAtPeriodEnd: true });

    const deleted = fake.endPeriod(subscription.id);
    expect(await deliver(deleted)).toMatchObject({ id: deleted.id, ...expected, status: 'canceled', occurredAt: new Date(deleted.created * 1000) });
    // The `created` delivery arriving late reads the subscription as it is now: canceled, not active.
    expect(await deliver(created)).toMatchObject({ id: created.id, status: 'canceled', occurredAt: new Date(created.created * 1000) });
  });

  it('renews at the end of a paid period', async () => {
    const checkout = await billing.createCheckout(checkoutRequest());
    const subscription = fake.completeCheckout(checkout.reference).data.object as Stripe.Subscription;
    const renewed = fake.endPeriod(subscription.id);
    const end = subscription.items.data[0]!.current_period_end;
    expect(await deliver(renewed)).toMatchObject({ status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: new Date((end + 30 * 86_400) * 1000) });
  });

  it('refuses a delivery it cannot verify', async () => {
    const event = fake.state.events.findLast((e) => e.type === 'customer.subscription.created')!;
    await expect(deliver(event, 'whsec_someone_else')).rejects.toMatchObject({ code: 'invalid_signature' });
    const stale = signedWebhook(event, secret, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    await expect(billing.verifyEvent({ headers: stale.headers, rawBody: stale.body })).rejects.toMatchObject({ code: 'stale_webhook' });
  });
});
