import type { Currency, FundingProvider, ProviderEvent } from '@tradeplane/core';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhook, startStripeFake, type StripeFake } from '../../../tests/support/stripe-fake.js';
import { stripeFunding } from './funding.js';

const USD: Currency = { code: 'USD', exponent: 2 };
const secret = 'whsec_funding_test_secret';

let fake: StripeFake;
let stripe: Stripe;
let provider: FundingProvider;
let deposits = 0;
beforeAll(async () => {
  fake = await startStripeFake();
  stripe = fake.client({ maxNetworkRetries: 0 });
  provider = stripeFunding({ stripe, webhookSecret: secret });
});
afterAll(() => fake.close());

const deliver = (event: Stripe.Event, options: { secret?: string; timestamp?: number } = {}, to = provider): Promise<ProviderEvent> => {
  const signed = signedWebhook(event, options.secret ?? secret, options.timestamp === undefined ? {} : { timestamp: options.timestamp });
  return to.verifyEvent({ headers: signed.headers, rawBody: signed.body });
};
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

async function deposit(amount = 5000n, currency = USD) {
  const depositId = `dep_${process.pid}_${++deposits}`;
  const intent = await provider.createDeposit({ depositId, userId: 'user-1', accountId: 'acc-1', amount, currency });
  return { depositId, reference: intent.providerReference, intent };
}

describe('stripeFunding: deposits', () => {
  it('creates one PaymentIntent per deposit, in minor units with tradeplane metadata, and hands back its client secret', async () => {
    const { depositId, reference, intent } = await deposit(1234n);
    expect(reference).toMatch(/^pi_/);
    expect(intent.clientSecret).toMatch(new RegExp(`^${reference}_secret_`));
    expect(fake.state.paymentIntents.get(reference)).toMatchObject({
      amount: 1234,
      currency: 'usd',
      metadata: { tradeplane_deposit_id: depositId, tradeplane_user_id: 'user-1', tradeplane_account_id: 'acc-1' },
      automatic_payment_methods: { enabled: true },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/v1/payment_intents', idempotencyKey: depositId });

    // The same deposit asked again (a retried request) is the same payment.
    const again = await provider.createDeposit({ depositId, userId: 'user-1', accountId: 'acc-1', amount: 1234n, currency: USD });
    expect(again).toEqual(intent);
    expect([...fake.state.paymentIntents.values()].filter((pi) => pi.metadata.tradeplane_deposit_id === depositId)).toHaveLength(1);
  });

  it("takes zero- and three-decimal currencies as Stripe counts them, and refuses what Stripe would read differently", async () => {
    const yen = await deposit(500n, { code: 'JPY', exponent: 0 });
    expect(fake.state.paymentIntents.get(yen.reference)).toMatchObject({ amount: 500, currency: 'jpy' });
    const dinar = await deposit(12_340n, { code: 'KWD', exponent: 3 });
    expect(fake.state.paymentIntents.get(dinar.reference)).toMatchObject({ amount: 12_340, currency: 'kwd' });

    const sent = fake.state.requests.length;
    // tradeplane's ISK has no decimals; Stripe reads ISK amounts as hundredths: 100 ISK would be charged as 1.
    expect(await rejection(deposit(100n, { code: 'ISK', exponent: 0 }))).toMatchObject({ code: 'validation_failed', fields: [{ path: 'currency', code: 'unsupported_currency' }] });
    expect(await rejection(deposit(100_000_000n, { code: 'BTC', exponent: 8 }))).toMatchObject({ code: 'validation_failed' });
    expect(await rejection(deposit(12_345n, { code: 'KWD', exponent: 3 }))).toMatchObject({ code: 'validation_failed', fields: [{ path: 'amount' }] });
    expect(await rejection(deposit(BigInt(Number.MAX_SAFE_INTEGER) + 1n))).toMatchObject({ code: 'validation_failed', fields: [{ path: 'amount', code: 'too_big' }] });
    expect(fake.state.requests.length).toBe(sent);
    await deposit(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('limits the payment method types when asked, in the parameter the API version understands', async () => {
    const cards = stripeFunding({ stripe, webhookSecret: secret, paymentMethodTypes: ['card'] });
    const now = await cards.createDeposit({ depositId: `dep_types_${process.pid}`, userId: 'u', accountId: 'a', amount: 100n, currency: USD });
    expect(fake.state.requests.at(-1)!.params).toMatchObject({ allowed_payment_method_types: ['card'] });
    expect(fake.state.paymentIntents.get(now.providerReference)).toMatchObject({ allowed_payment_method_types: ['card'], automatic_payment_methods: null });

    const older = stripeFunding({ stripe: fake.client({ apiVersion: '2024-06-20' as Stripe.LatestApiVersion }), webhookSecret: secret, paymentMethodTypes: ['card'] });
    await older.createDeposit({ depositId: `dep_types_old_${process.pid}`, userId: 'u', accountId: 'a', amount: 100n, currency: USD });
    expect(fake.state.requests.at(-1)!.params).toMatchObject({ payment_method_types: ['card'] });
    expect(fake.state.requests.at(-1)!.params.allowed_payment_method_types).toBeUndefined();
  });
});

describe('stripeFunding: events', () => {
  it('maps a payment that processes, fails on one attempt, then succeeds', async () => {
    const { reference } = await deposit(5000n);
    expect(await deliver(fake.processPaymentIntent(reference))).toMatchObject({ type: 'deposit.processing', reference });
    const failed = fake.failPaymentIntent(reference, { declineCode: 'insufficient_funds' });
    expect(await deliver(failed)).toEqual({ id: failed.id, type: 'deposit.failed', reference, reason: 'insufficient_funds' });
    const succeeded = fake.succeedPaymentIntent(reference);
    expect(await deliver(succeeded)).toEqual({ id: succeeded.id, type: 'deposit.succeeded', reference, amount: 5000n, currency: 'USD' });
  });

  it('maps a canceled PaymentIntent with its cancellation reason', async () => {
    const { reference } = await deposit(700n);
    await stripe.paymentIntents.cancel(reference, { cancellation_reason: 'abandoned' });
    const canceled = fake.state.events.findLast((e) => e.type === 'payment_intent.canceled')!;
    expect(await deliver(canceled)).toEqual({ id: canceled.id, type: 'deposit.canceled', reference, reason: 'abandoned' });
  });

  it("reports a refund as the charge's refunded total now, whatever order the deliveries come in", async () => {
    const { reference } = await deposit(10_000n);
    fake.succeedPaymentIntent(reference);
    const refund = await provider.refund!({ refundId: `ref_${process.pid}_1`, reference, amount: 2500n, currency: USD, reason: 'requested_by_customer' });
    expect(refund.providerReference).toMatch(/^re_/);
    // The same refund asked twice (a retry) refunds once.
    expect(await provider.refund!({ refundId: `ref_${process.pid}_1`, reference, amount: 2500n, currency: USD, reason: 'requested_by_customer' })).toEqual(refund);
    const first = fake.state.events.findLast((e) => e.type === 'charge.refunded')!;
    const second = fake.refund(reference, { amount: 1000 });
    expect((first.data.object as Stripe.Charge).amount_refunded).toBe(2500);

    // The later delivery first, then the earlier one: both report 35.00 refunded, never 25.00 after 35.00.
    expect(await deliver(second)).toEqual({ id: second.id, type: 'deposit.refunded', reference, refundedTotal: 3500n, currency: 'USD' });
    expect(await deliver(first)).toEqual({ id: first.id, type: 'deposit.refunded', reference, refundedTotal: 3500n, currency: 'USD' });
    expect([...fake.state.refunds.values()].filter((r) => r.payment_intent === reference)).toHaveLength(2);

    const tooMuch = await rejection(provider.refund!({ refundId: `ref_${process.pid}_2`, reference, amount: 9000n, currency: USD }));
    expect(tooMuch).toMatchObject({ code: 'deposit_not_refundable', detail: expect.stringContaining('greater than unrefunded amount') });
  });

  it("reports a dispute's current status on every dispute event, so a late delivery does not reopen it", async () => {
    const { reference } = await deposit(4200n);
    fake.succeedPaymentIntent(reference);
    const opened = fake.openDispute(reference, { reason: 'fraudulent' });
    const dispute = opened.data.object as Stripe.Dispute;
    const withdrawn = fake.state.events.findLast((e) => e.type === 'charge.dispute.funds_withdrawn')!;
    const expected = { type: 'deposit.disputed', reference, disputeId: dispute.id, amount: 4200n, currency: 'USD', reason: 'fraudulent' };
    expect(await deliver(opened)).toEqual({ id: opened.id, ...expected, status: 'open' });
    expect(await deliver(withdrawn)).toMatchObject({ ...expected, status: 'open' });
    expect(await deliver(fake.updateDispute(dispute.id, 'under_review'))).toMatchObject({ ...expected, status: 'open' });

    const closed = fake.closeDispute(dispute.id, 'lost');
    expect(await deliver(closed)).toEqual({ id: closed.id, ...expected, status: 'lost' });
    // `created` delivered again after the close still reads the dispute as lost.
    expect(await deliver(opened)).toMatchObject({ id: opened.id, status: 'lost' });

    const other = await deposit(1500n);
    fake.succeedPaymentIntent(other.reference);
    const warned = fake.openDispute(other.reference).data.object as Stripe.Dispute;
    fake.closeDispute(warned.id, 'won');
    const reinstated = fake.state.events.findLast((e) => e.type === 'charge.dispute.funds_reinstated')!;
    expect(await deliver(reinstated)).toMatchObject({ type: 'deposit.disputed', reference: other.reference, disputeId: warned.id, status: 'won', amount: 1500n });
  });

  it("ignores events about PaymentIntents tradeplane did not create, and event types it does not act on", async () => {
    const foreign = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', metadata: { order: 'shop-17' } });
    const succeeded = fake.succeedPaymentIntent(foreign.id);
    expect(await deliver(succeeded)).toEqual({ id: succeeded.id, type: 'ignored', providerType: 'payment_intent.succeeded' });
    const refunded = fake.refund(foreign.id, { amount: 100 });
    expect(await deliver(refunded)).toEqual({ id: refunded.id, type: 'ignored', providerType: 'charge.refunded' });
    const disputed = fake.openDispute(foreign.id);
    expect(await deliver(disputed)).toEqual({ id: disputed.id, type: 'ignored', providerType: 'charge.dispute.created' });

    const customer = await stripe.customers.create({ email: 'someone@example.com' });
    const created = fake.state.events.findLast((e) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).id === customer.id)!;
    expect(await deliver(created)).toEqual({ id: created.id, type: 'ignored', providerType: 'customer.created' });
  });

  it('refuses a forged, tampered, unsigned or stale delivery', async () => {
    const { reference } = await deposit(300n);
    const event = fake.succeedPaymentIntent(reference);
    expect(await rejection(deliver(event, { secret: 'whsec_someone_else' }))).toMatchObject({ code: 'invalid_signature' });
    const signed = signedWebhook(event, secret);
    const tampered = signed.body.replace('"amount_received": 300', '"amount_received": 30000');
    expect(tampered).not.toBe(signed.body);
    expect(await rejection(provider.verifyEvent({ headers: signed.headers, rawBody: tampered }))).toMatchObject({ code: 'invalid_signature' });
    expect(await rejection(provider.verifyEvent({ headers: { 'content-type': 'application/json' }, rawBody: signed.body }))).toMatchObject({ code: 'invalid_signature' });
    expect(await rejection(provider.verifyEvent({ headers: { 'stripe-signature': 'garbage' }, rawBody: signed.body }))).toMatchObject({ code: 'invalid_signature' });

    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    expect(await rejection(deliver(event, { timestamp: tenMinutesAgo }))).toMatchObject({ code: 'stale_webhook' });
    const patient = stripeFunding({ stripe, webhookSecret: secret, toleranceSeconds: 900 });
    expect(await deliver(event, { timestamp: tenMinutesAgo }, patient)).toMatchObject({ type: 'deposit.succeeded', reference });
  });
});
