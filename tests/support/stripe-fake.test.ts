import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhook, startStripeFake, type StripeFake } from './stripe-fake.js';

// The component schemas of Stripe's OpenAPI spec the fake answers with (scripts/stripe-openapi-subset.mjs).
const subset = JSON.parse(readFileSync(new URL('./stripe-openapi.json', import.meta.url), 'utf8')) as {
  'x-source': { commit: string; apiVersion: string };
  components: { schemas: Record<string, unknown> };
};

/** OpenAPI 3.0 `nullable: true` as JSON Schema: `null` joins the type, the enum or the anyOf. */
function fromOpenApi(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fromOpenApi);
  if (node === null || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    out[key] = key === '$ref' ? (value as string).replace('#/components/schemas/', '#/$defs/') : key === 'properties' ? mapValues(value, fromOpenApi) : fromOpenApi(value);
  }
  if (nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    if (Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: 'null' }];
    if (out.type === undefined && out.anyOf === undefined) throw new Error('nullable without type or anyOf');
  }
  return out;
}
const mapValues = (value: unknown, f: (v: unknown) => unknown) => Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, f(v)]));

/**
 * The recorded spec predates API version 2025-03-31, which moved a subscription's billing period
 * onto its items (Stripe's changelog: "current_period_start and current_period_end removed from
 * Subscription, added to Subscription Item"). The SDK pins a later version, so the recorded
 * schemas get that one change, and nothing else.
 */
function withItemPeriods(schemas: Record<string, any>): Record<string, any> {
  const out = structuredClone(schemas);
  const period = ['current_period_end', 'current_period_start'];
  out.subscription.required = out.subscription.required.filter((name: string) => !period.includes(name));
  for (const name of period) {
    out.subscription_item.properties[name] = out.subscription.properties[name];
    delete out.subscription.properties[name];
  }
  out.subscription_item.required = [...out.subscription_item.required, ...period];
  return out;
}

const ajv = new Ajv({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: true });
ajv.addFormat('unix-time', /^\d+$/);
ajv.addFormat('decimal', /^-?\d+(\.\d+)?$/);
ajv.addSchema({ $id: 'stripe', $defs: mapValues(withItemPeriods(subset.components.schemas), fromOpenApi) });

/** Objects of the fake that the recorded subset has no schema for (their shape follows the SDK's types). */
const UNRECORDED = new Set(['checkout.session']);
const validators = new Map<string, ValidateFunction>();

/** Fails with ajv's errors unless `value` is a valid `name` of Stripe's spec. */
function expectSchema(name: string, value: unknown): void {
  const validate = validators.get(name) ?? ajv.getSchema(`stripe#/$defs/${name}`);
  if (!validate) throw new Error(`no schema ${name} in stripe-openapi.json`);
  validators.set(name, validate);
  const valid = validate(JSON.parse(JSON.stringify(value)));
  expect(valid ? [] : validate.errors, `${name} ${JSON.stringify(value).slice(0, 200)}`).toEqual([]);
}

/** An event, and its `data.object` against the schema of that object's type. */
function expectEvent(event: Stripe.Event, type?: string): void {
  expectSchema('event', event);
  if (type) expect(event.type).toBe(type);
  expect(event.id).toMatch(/^evt_[A-Za-z0-9]{24}$/);
  expect(event.livemode).toBe(false);
  expect(event.api_version).toBe(Stripe.API_VERSION);
  const object = event.data.object as unknown as { object: string };
  if (!UNRECORDED.has(object.object)) expectSchema(object.object, object);
}

/** The object Stripe would answer with: the SDK's response without its `lastResponse`. */
const body = <T extends object>(value: T) => JSON.parse(JSON.stringify(value)) as T;

let fake: StripeFake;
let stripe: Stripe;
beforeAll(async () => {
  fake = await startStripeFake();
  stripe = fake.client();
});
afterAll(() => fake.close());

describe('the Stripe fake, through the stripe SDK', () => {
  it('reads its schemas from a recorded version of the spec', () => {
    expect(subset['x-source'].commit).toMatch(/^[0-9a-f]{40}$/);
    for (const name of ['payment_intent', 'refund', 'charge', 'dispute', 'event', 'transfer', 'customer', 'error', 'subscription', 'subscription_item', 'price']) {
      expect(subset.components.schemas[name], name).toBeDefined();
    }
    // The check has teeth: a status outside the enum, a string amount, a missing required field.
    const validate = ajv.getSchema('stripe#/$defs/payment_intent')!;
    const intent = { id: 'pi_1', object: 'payment_intent', amount: 100, capture_method: 'automatic', confirmation_method: 'automatic', created: 1, currency: 'usd', livemode: false, payment_method_types: ['card'], status: 'succeeded' };
    expect(validate(intent)).toBe(true);
    expect(validate({ ...intent, status: 'paid' })).toBe(false);
    expect(validate({ ...intent, amount: '100' })).toBe(false);
    expect(validate({ ...intent, created: undefined })).toBe(false);
    expect(validate({ ...intent, canceled_at: null, last_payment_error: null })).toBe(true);
    expect(validate({ ...intent, last_payment_error: { code: 'card_declined' } })).toBe(false);
  });

  it('creates a PaymentIntent once per idempotency key, and refuses the key with other parameters', async () => {
    const customer = await stripe.customers.create({ email: 'trader@example.com', metadata: { user: 'u1' } });
    expectSchema('customer', body(customer));
    expect(customer.id).toMatch(/^cus_/);

    const params = { amount: 5000, currency: 'USD', customer: customer.id, metadata: { deposit: 'd1' } };
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'deposit-d1' });
    const again = await stripe.paymentIntents.create(params, { idempotencyKey: 'deposit-d1' });
    expectSchema('payment_intent', body(first));
    expect(body(again)).toEqual(body(first));
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.id).toMatch(/^pi_[A-Za-z0-9]{24}$/);
    expect(first.client_secret).toMatch(new RegExp(`^${first.id}_secret_[A-Za-z0-9]+$`));
    expect(first).toMatchObject({ object: 'payment_intent', amount: 5000, currency: 'usd', status: 'requires_payment_method', customer: customer.id, metadata: { deposit: 'd1' }, livemode: false });
    expect([...fake.state.paymentIntents.values()].filter((pi) => pi.metadata.deposit === 'd1')).toHaveLength(1);

    const conflict = await stripe.paymentIntents.create({ ...params, amount: 6000 }, { idempotencyKey: 'deposit-d1' }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(conflict).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });

    const retrieved = await stripe.paymentIntents.retrieve(first.id);
    expect(body(retrieved)).toEqual(body(first));
  });

  it('pays, refunds in parts and refuses to refund more than was paid', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 10_000, currency: 'eur', allowed_payment_method_types: ['card'] });
    const succeeded = fake.succeedPaymentIntent(intent.id);
    expectEvent(succeeded, 'payment_intent.succeeded');
    const paid = await stripe.paymentIntents.retrieve(intent.id);
    expectSchema('payment_intent', body(paid));
    expect(paid).toMatchObject({ status: 'succeeded', amount_received: 10_000 });
    expect(paid.latest_charge).toMatch(/^ch_/);

    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 2500, reason: 'requested_by_customer' });
    expectSchema('refund', body(refund));
    expect(refund).toMatchObject({ object: 'refund', amount: 2500, currency: 'eur', status: 'succeeded', payment_intent: intent.id, charge: paid.latest_charge });
    expect(refund.id).toMatch(/^re_/);

    const charge = await stripe.charges.retrieve(paid.latest_charge as string);
    expectSchema('charge', body(charge));
    expect(charge).toMatchObject({ amount: 10_000, amount_captured: 10_000, amount_refunded: 2500, refunded: false, paid: true, status: 'succeeded' });

    const tooMuch = await stripe.refunds.create({ payment_intent: intent.id, amount: 9000 }).catch((e: unknown) => e);
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });

    const rest = fake.refund(intent.id);
    expectEvent(rest, 'charge.refunded');
    expect(rest.data.object).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(rest.data.previous_attributes).toEqual({ amount_refunded: 2500, refunded: false });
  });

  it('declines a card on confirm with a 402 card error and a failed charge', async () => {
    const declined = await stripe.paymentIntents.create({ amount: 700, currency: 'usd', payment_method: 'pm_card_chargeDeclinedInsufficientFunds', confirm: true }).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'insufficient_funds' });
    const intent = (declined as Stripe.errors.StripeCardError).payment_intent!;
    expectSchema('payment_intent', intent);
    expect(intent.status).toBe('requires_payment_method');
    expectSchema('charge', body(await stripe.charges.retrieve(intent.latest_charge as string)));

    const other = await stripe.paymentIntents.create({ amount: 800, currency: 'usd' });
    expectEvent(fake.processPaymentIntent(other.id), 'payment_intent.processing');
    expectEvent(fake.failPaymentIntent(other.id), 'payment_intent.payment_failed');
    const failed = await stripe.paymentIntents.retrieve(other.id);
    expect(failed.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
  });

  it('cancels a PaymentIntent once', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1200, currency: 'gbp' });
    const canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned' });
    expectSchema('payment_intent', body(canceled));
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    const twice = await stripe.paymentIntents.cancel(intent.id).catch((e: unknown) => e);
    expect(twice).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('opens and closes a dispute, during which the charge cannot be refunded', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 4200, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    expect(intent.status).toBe('succeeded');
    const opened = fake.openDispute(intent.id);
    expectEvent(opened, 'charge.dispute.created');
    const dispute = opened.data.object as Stripe.Dispute;
    expect(dispute).toMatchObject({ amount: 4200, status: 'needs_response', charge: intent.latest_charge, payment_intent: intent.id });
    expect(dispute.id).toMatch(/^dp_/);
    const refused = await stripe.refunds.create({ payment_intent: intent.id }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400, code: 'charge_disputed' });
    const reviewed = fake.updateDispute(dispute.id, 'under_review');
    expectEvent(reviewed, 'charge.dispute.updated');
    expect(reviewed.data.previous_attributes).toEqual({ status: 'needs_response' });
    const closed = fake.closeDispute(dispute.id, 'lost');
    expectEvent(closed, 'charge.dispute.closed');
    expect(closed.data.object).toMatchObject({ status: 'lost' });
    const read = await stripe.disputes.retrieve(dispute.id);
    expectSchema('dispute', body(read));
    expect(read).toMatchObject({ id: dispute.id, status: 'lost', payment_intent: intent.id });
    const missingDispute = await stripe.disputes.retrieve('dp_missing').catch((e: unknown) => e);
    expect(missingDispute).toMatchObject({ statusCode: 404, code: 'resource_missing' });

    const second = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const won = fake.openDispute(second.id).data.object as Stripe.Dispute;
    expectEvent(fake.closeDispute(won.id, 'won'), 'charge.dispute.closed');
    expect((await stripe.disputes.retrieve(won.id)).status).toBe('won');
    expect((await stripe.charges.retrieve(intent.latest_charge as string)).disputed).toBe(true);
  });

  it('transfers to a connected account, within the available balance', async () => {
    fake.state.balance.set('usd', 10_000);
    const transfer = await stripe.transfers.create({ amount: 7500, currency: 'usd', destination: 'acct_1PayoutTarget', transfer_group: 'payout-p1' });
    expectSchema('transfer', body(transfer));
    expect(transfer).toMatchObject({ object: 'transfer', amount: 7500, currency: 'usd', destination: 'acct_1PayoutTarget', reversed: false, amount_reversed: 0 });
    expect(transfer.id).toMatch(/^tr_/);
    expect(body(await stripe.transfers.retrieve(transfer.id))).toEqual(body(transfer));
    const short = await stripe.transfers.create({ amount: 7500, currency: 'usd', destination: 'acct_1PayoutTarget' }).catch((e: unknown) => e);
    expect(short).toMatchObject({ statusCode: 400, code: 'balance_insufficient' });
    fake.state.balance.delete('usd');

    const created = fake.state.events.find((e) => e.type === 'transfer.created')!;
    const event = await stripe.events.retrieve(created.id);
    expectEvent(body(event), 'transfer.created');
    expect(event.request).toMatchObject({ id: expect.stringMatching(/^req_/) });
  });

  it('sells a subscription through Checkout, renews it, fails a renewal and ends it', async () => {
    const monthly = await stripe.prices.create({ currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' }, product_data: { name: 'Pro' } });
    expectSchema('price', body(monthly));
    expect(body(await stripe.prices.retrieve(monthly.id))).toEqual(body(monthly));
    const once = await stripe.prices.create({ currency: 'usd', unit_amount: 500, product: 'prod_OneOff' });
    const refused = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: once.id, quantity: 1 }], success_url: 'https://app.example/ok' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400, param: 'line_items[0][price]' });

    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
      client_reference_id: 'user-1',
      customer_email: 'pro@example.com',
      subscription_data: { metadata: { tradeplane_user_id: 'user-1' } },
      success_url: 'https://app.example/ok',
      cancel_url: 'https://app.example/cancel',
    };
    const session = await stripe.checkout.sessions.create(params, { idempotencyKey: 'checkout-1' });
    expect(body(await stripe.checkout.sessions.create(params, { idempotencyKey: 'checkout-1' }))).toEqual(body(session));
    expect(session).toMatchObject({ object: 'checkout.session', mode: 'subscription', status: 'open', client_reference_id: 'user-1', customer_email: 'pro@example.com', subscription: null });
    expect(session.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const both = await stripe.checkout.sessions.create({ ...params, customer: 'cus_any' }).catch((e: unknown) => e);
    expect(both).toMatchObject({ statusCode: 400, param: 'customer_email' });

    const created = fake.completeCheckout(session.id);
    expectEvent(created, 'customer.subscription.created');
    const completed = await stripe.checkout.sessions.retrieve(session.id);
    const subscriptionId = (created.data.object as Stripe.Subscription).id;
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', subscription: subscriptionId, customer: expect.stringMatching(/^cus_/) });
    const sub = await stripe.subscriptions.retrieve(subscriptionId);
    expectSchema('subscription', body(sub));
    expect(sub).toMatchObject({ status: 'active', customer: completed.customer, cancel_at_period_end: false, metadata: { tradeplane_user_id: 'user-1' } });
    const item = sub.items.data[0]!;
    expect(item.price.id).toBe(monthly.id);
    expect(item.current_period_end - item.current_period_start).toBe(30 * 86_400);
    expect('current_period_end' in sub).toBe(false);
    expectSchema('customer', body(await stripe.customers.retrieve(completed.customer as string)));

    const renewed = fake.endPeriod(subscriptionId);
    expectEvent(renewed, 'customer.subscription.updated');
    expect((renewed.data.object as Stripe.Subscription).items.data[0]!.current_period_start).toBe(item.current_period_end);
    const pastDue = fake.failRenewal(subscriptionId);
    expectEvent(pastDue, 'customer.subscription.updated');
    expect(pastDue.data.previous_attributes).toMatchObject({ status: 'active' });
    expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');

    const canceling = await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    expectSchema('subscription', body(canceling));
    expect(canceling).toMatchObject({ cancel_at_period_end: true, cancel_at: canceling.items.data[0]!.current_period_end });
    const updated = fake.state.events.at(-1)!;
    expectEvent(updated, 'customer.subscription.updated');
    expect(updated.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });

    const deleted = fake.endPeriod(subscriptionId);
    expectEvent(deleted, 'customer.subscription.deleted');
    expect(await stripe.subscriptions.retrieve(subscriptionId)).toMatchObject({ status: 'canceled', ended_at: expect.any(Number) });
    const late = await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: false }).catch((e: unknown) => e);
    expect(late).toMatchObject({ statusCode: 400 });
  });

  it('records a valid event for every change', () => {
    const events = fake.takeEvents();
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        'customer.created', 'payment_intent.created', 'payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.processing',
        'payment_intent.canceled', 'charge.succeeded', 'charge.failed', 'charge.refunded', 'refund.created', 'charge.dispute.created',
        'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated', 'transfer.created',
        'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted', 'checkout.session.completed',
      ]),
    );
    for (const event of events) expectEvent(event);
    expect(fake.takeEvents()).toEqual([]);
  });

  it('answers errors in Stripe shape: unknown URL, missing object, bad parameters, bad key', async () => {
    const raw = async (method: string, path: string, form?: string, key = fake.apiKey) => {
      const response = await fetch(`${fake.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        ...(form === undefined ? {} : { body: form }),
      });
      const json = await response.json();
      expectSchema('error', json);
      return { status: response.status, error: (json as { error: Record<string, unknown> }).error };
    };
    expect(await raw('GET', '/v1/balance_transactions')).toMatchObject({ status: 404, error: { type: 'invalid_request_error' } });
    expect(await raw('GET', '/v1/payment_intents/pi_missing')).toMatchObject({ status: 404, error: { code: 'resource_missing', param: 'intent' } });
    expect(await raw('POST', '/v1/payment_intents', 'currency=usd')).toMatchObject({ status: 400, error: { code: 'parameter_missing', param: 'amount' } });
    expect(await raw('POST', '/v1/payment_intents', 'amount=1.5&currency=usd')).toMatchObject({ status: 400, error: { code: 'parameter_invalid_integer' } });
    expect(await raw('POST', '/v1/payment_intents', 'amount=100&currency=usd&amout=100')).toMatchObject({ status: 400, error: { code: 'parameter_unknown', param: 'amout' } });
    expect(await raw('GET', '/v1/charges/ch_missing', undefined, 'sk_test_wrong_key_000000')).toMatchObject({ status: 401, error: { type: 'invalid_request_error' } });

    const stranger = new Stripe('sk_test_not_the_fakes_key', { host: fake.host, port: fake.port, protocol: fake.protocol });
    await expect(stranger.charges.retrieve('ch_any')).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('drops a connection after the request took effect: the SDK retries with its key and gets the replay', async () => {
    const before = fake.state.paymentIntents.size;
    const sent = fake.state.requests.length;
    fake.faults.drop('/v1/payment_intents', { method: 'POST', when: 'after' });
    const intent = await fake.client({ maxNetworkRetries: 1 }).paymentIntents.create({ amount: 300, currency: 'usd' });
    expect(fake.state.paymentIntents.size).toBe(before + 1);
    const attempts = fake.state.requests.slice(sent);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.idempotencyKey).toBeDefined();
    expect(attempts[1]!.idempotencyKey).toBe(attempts[0]!.idempotencyKey);
    expect(fake.state.paymentIntents.get(intent.id)).toBeDefined();
  });

  it('answers slowly on demand, so a client timeout can be tested', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    fake.faults.delay(`/v1/payment_intents/${intent.id}`, 1000);
    const impatient = fake.client({ timeout: 100, maxNetworkRetries: 0 });
    await expect(impatient.paymentIntents.retrieve(intent.id)).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect((await stripe.paymentIntents.retrieve(intent.id)).id).toBe(intent.id);

    // Late after taking effect: the object exists while its creator is still waiting for the answer.
    const before = fake.state.paymentIntents.size;
    fake.faults.delay('/v1/payment_intents', 1000, { method: 'POST', when: 'after' });
    const late = impatient.paymentIntents.create({ amount: 400, currency: 'usd' }, { idempotencyKey: 'late-answer' });
    await expect(late).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(fake.state.paymentIntents.size).toBe(before + 1);
    const replayed = await stripe.paymentIntents.create({ amount: 400, currency: 'usd' }, { idempotencyKey: 'late-answer' });
    expect(fake.state.paymentIntents.size).toBe(before + 1);
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
  });
});

describe('signedWebhook', () => {
  const secret = 'whsec_test_fake_secret';

  it('is accepted by stripe.webhooks.constructEvent, tampered or stale it is not', async () => {
    const event = fake.state.events.find((e) => e.type === 'payment_intent.succeeded')!;
    const { body: payload, headers } = signedWebhook(event, secret);
    const received = Stripe.webhooks.constructEvent(payload, headers['stripe-signature'], secret);
    expect(received).toEqual(event);
    expect((await stripe.webhooks.constructEventAsync(payload, headers['stripe-signature'], secret)).id).toBe(event.id);

    const tampered = payload.replace('"amount_received": 10000', '"amount_received": 99999');
    expect(tampered).not.toBe(payload);
    expect(() => Stripe.webhooks.constructEvent(tampered, headers['stripe-signature'], secret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => Stripe.webhooks.constructEvent(payload, headers['stripe-signature'], 'whsec_other')).toThrow(Stripe.errors.StripeSignatureVerificationError);

    const stale = signedWebhook(event, secret, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(() => Stripe.webhooks.constructEvent(stale.body, stale.headers['stripe-signature'], secret)).toThrow(/timestamp outside the tolerance zone/i);
    expect(Stripe.webhooks.constructEvent(stale.body, stale.headers['stripe-signature'], secret, 900).id).toBe(event.id);
  });
});
