import { stripeBilling } from '@tradeplane/funding-stripe';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { expectProblem, signUp, type SignedIn } from '../support/auth.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedWebhook, startStripeFake, type StripeFake } from '../support/stripe-fake.js';

const webhookSecret = 'whsec_tradeplane_billing_e2e';

/**
 * A paid plan bought through Stripe Billing, over HTTP: the user is sent to a Checkout Session,
 * and the plan follows the subscription's signed `customer.subscription.*` events — paid, past
 * due, set to cancel, ended.
 */
describe.each(testDatabaseKinds())('Stripe Billing plans on %s', (kind) => {
  let fake: StripeFake;
  let server: TestServer;
  let pro: Stripe.Price;
  beforeAll(async () => {
    fake = await startStripeFake();
    const stripe = fake.client({ maxNetworkRetries: 0 });
    pro = await stripe.prices.create({ currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
    server = await startTestServer(kind, {
      plans: {
        default: 'free',
        plans: { free: { entitlements: { maxBots: 1 } }, pro: { price: pro.id, entitlements: { maxBots: 10 } } },
        providers: [stripeBilling({ stripe, webhookSecret })],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const deliver = (event: Stripe.Event, secret = webhookSecret) => {
    const signed = signedWebhook(event, secret);
    return server.request('POST', '/billing/webhooks/stripe_billing', { body: signed.body, headers: signed.headers });
  };
  const planOf = async (user: SignedIn) => (await server.request('GET', '/billing/subscription', { token: user.access })).body;

  async function checkout(user: SignedIn): Promise<string> {
    const res = await server.request('POST', '/billing/checkout', { token: user.access, body: { plan: 'pro', success_url: 'https://app.example/ok', cancel_url: 'https://app.example/no' } });
    expect(res.status, res.text).toBe(200);
    const session = [...fake.state.checkoutSessions.values()].find((s) => s.url === res.body.url);
    expect(session).toMatchObject({ mode: 'subscription', client_reference_id: user.id, status: 'open' });
    return session!.id;
  }

  it('puts the user on the plan when Stripe says the subscription is paid, keeps it past due, and ends it at the period end', async () => {
    const user = await signUp(server);
    const sessionId = await checkout(user);
    expect(await planOf(user)).toMatchObject({ plan: 'free' });

    const created = fake.completeCheckout(sessionId);
    const subscription = created.data.object as Stripe.Subscription;
    expect(subscription.metadata).toMatchObject({ tradeplane_user_id: user.id });
    const answers = await Promise.all(Array.from({ length: 3 }, () => deliver(created)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    // The session's own event is not one the plan follows.
    expect((await deliver(fake.state.events.findLast((e) => e.type === 'checkout.session.completed')!)).status).toBe(200);
    const periodEnd = new Date(subscription.items.data[0]!.current_period_end * 1000).toISOString();
    expect(await planOf(user)).toMatchObject({ plan: 'pro', status: 'active', provider: 'stripe_billing', current_period_end: periodEnd, cancel_at_period_end: false });

    expect((await deliver(fake.failRenewal(subscription.id))).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'pro', status: 'past_due' });

    const canceled = await server.request('POST', '/billing/subscription/cancel', { token: user.access });
    expect(canceled.status, canceled.text).toBe(200);
    expect(fake.state.subscriptions.get(subscription.id)).toMatchObject({ cancel_at_period_end: true });
    expect((await deliver(fake.state.events.findLast((e) => e.type === 'customer.subscription.updated')!)).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'pro', cancel_at_period_end: true });

    expect((await deliver(fake.endPeriod(subscription.id))).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'free' });
  });

  it('refuses a delivery signed with another secret, and changes nothing', async () => {
    const user = await signUp(server);
    const created = fake.completeCheckout(await checkout(user));
    expectProblem(await deliver(created, 'whsec_someone_else'), 400, 'invalid_signature');
    expect(await planOf(user)).toMatchObject({ plan: 'free' });
    expect((await deliver(created)).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'pro' });
  });
});
