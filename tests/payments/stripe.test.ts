import { randomUUID } from 'node:crypto';
import { stripeFunding } from '@tradeplane/funding-stripe';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedWebhook, startStripeFake, type StripeFake } from '../support/stripe-fake.js';

const webhookSecret = 'whsec_tradeplane_e2e_secret';

/**
 * Card deposits through `@tradeplane/funding-stripe`, over HTTP: the real `stripe` SDK talks to
 * the local Stripe fake, and Stripe's webhooks are posted to `POST /webhooks/stripe` signed as
 * Stripe signs them. The account is credited once per payment, whatever is delivered.
 */
describe.each(testDatabaseKinds())('Stripe deposits on %s', (kind) => {
  let fake: StripeFake;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startStripeFake();
    server = await startTestServer(kind, { payments: { providers: [stripeFunding({ stripe: fake.client({ maxNetworkRetries: 0 }), webhookSecret })] } });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });
  afterEach(async () => {
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  const deliver = (event: Stripe.Event | Record<string, unknown>, options: { secret?: string; timestamp?: number } = {}) => {
    const signed = signedWebhook(event, options.secret ?? webhookSecret, options.timestamp === undefined ? {} : { timestamp: options.timestamp });
    return server.request('POST', '/webhooks/stripe', { body: signed.body, headers: signed.headers });
  };

  async function realAccount(): Promise<{ user: SignedIn; accountId: string }> {
    const user = await signUp(server);
    const opened = await server.request('POST', '/accounts', { token: user.access, body: { currency: 'USD' } });
    expect(opened.status, opened.text).toBe(201);
    return { user, accountId: opened.body.id };
  }
  async function cardDeposit(amount = '250.00') {
    const { user, accountId } = await realAccount();
    const asked = await server.request('POST', '/wallet/deposits', { token: user.access, headers: { 'idempotency-key': randomUUID() }, body: { account_id: accountId, amount, currency: 'USD' } });
    expect(asked.status, asked.text).toBe(201);
    const reference: string = asked.body.deposit.provider_reference;
    expect(asked.body.deposit).toMatchObject({ status: 'pending', amount, provider: 'stripe', entry_id: null });
    expect(reference).toMatch(/^pi_/);
    expect(asked.body.payment.client_secret).toBe(fake.state.paymentIntents.get(reference)!.client_secret);
    return { user, accountId, depositId: asked.body.deposit.id as string, reference };
  }
  const balanceOf = async (user: SignedIn, accountId: string) => (await server.request('GET', `/accounts/${accountId}`, { token: user.access })).body.balance;
  const depositOf = async (user: SignedIn, depositId: string) => (await server.request('GET', `/wallet/deposits/${depositId}`, { token: user.access })).body;
  const depositEntries = async (user: SignedIn, accountId: string) =>
    (await server.request('GET', `/wallet/transactions?account=${accountId}`, { token: user.access })).body.transactions.filter((t: { kind: string }) => t.kind === 'deposit');

  it('credits the account once when the payment succeeds, for five concurrent deliveries of the event', async () => {
    const { user, accountId, depositId, reference } = await cardDeposit('250.00');
    expect(fake.state.paymentIntents.get(reference)).toMatchObject({ amount: 25_000, currency: 'usd', metadata: { tradeplane_deposit_id: depositId } });
    const succeeded = fake.succeedPaymentIntent(reference);
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(succeeded)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    expect((await deliver(succeeded)).body).toMatchObject({ duplicate: true });

    expect(await balanceOf(user, accountId)).toBe('250.00');
    expect(await depositOf(user, depositId)).toMatchObject({ status: 'succeeded', entry_id: expect.any(String) });
    expect(await depositEntries(user, accountId)).toHaveLength(1);
  });

  it('credits a payment that succeeds after a declined attempt', async () => {
    const { user, accountId, depositId, reference } = await cardDeposit('40.00');
    expect((await deliver(fake.failPaymentIntent(reference, { declineCode: 'insufficient_funds' }))).status).toBe(200);
    expect(await depositOf(user, depositId)).toMatchObject({ status: 'failed', failure_reason: 'insufficient_funds' });
    expect(await balanceOf(user, accountId)).toBe('0.00');

    expect((await deliver(fake.succeedPaymentIntent(reference))).status).toBe(200);
    expect(await depositOf(user, depositId)).toMatchObject({ status: 'succeeded', failure_reason: null });
    expect(await balanceOf(user, accountId)).toBe('40.00');
  });

  it('refuses a forged or stale delivery with 400 and writes nothing', async () => {
    const { user, accountId, depositId, reference } = await cardDeposit('10.00');
    const succeeded = fake.succeedPaymentIntent(reference);
    expectProblem(await deliver(succeeded, { secret: 'whsec_not_the_endpoint_secret' }), 400, 'invalid_signature');
    const signed = signedWebhook(succeeded, webhookSecret);
    const tampered = signed.body.replace('"amount_received": 1000', '"amount_received": 100000');
    expect(tampered).not.toBe(signed.body);
    expectProblem(await server.request('POST', '/webhooks/stripe', { body: tampered, headers: signed.headers }), 400, 'invalid_signature');
    expectProblem(await deliver(succeeded, { timestamp: Math.floor(Date.now() / 1000) - 3600 }), 400, 'stale_webhook');
    expect(await balanceOf(user, accountId)).toBe('0.00');
    expect(await depositOf(user, depositId)).toMatchObject({ status: 'pending' });

    // Nothing was recorded either: the genuine delivery is acted on, not answered as a duplicate.
    const genuine = await deliver(succeeded);
    expect(genuine.body).toMatchObject({ duplicate: false });
    expect(await balanceOf(user, accountId)).toBe('10.00');
  });

  it("answers 200 to events it does not act on, and to payments tradeplane did not create", async () => {
    const customer = await fake.client().customers.create({ email: 'elsewhere@example.com' });
    const created = fake.state.events.findLast((e) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).id === customer.id)!;
    const ignored = await deliver(created);
    expect(ignored.status, ignored.text).toBe(200);
    expect(ignored.body).toMatchObject({ duplicate: false });

    const shop = await fake.client().paymentIntents.create({ amount: 999, currency: 'usd', metadata: { order: 'shop-1' } });
    const foreign = await deliver(fake.succeedPaymentIntent(shop.id));
    expect(foreign.status, foreign.text).toBe(200);
  });

  it('answers 409 to a webhook that beats the deposit to the database, and credits once on the retry', async () => {
    const { user, accountId } = await realAccount();
    const before = new Set(fake.state.paymentIntents.keys());
    // Stripe has made the PaymentIntent, but its answer to tradeplane is late: the deposit row does not exist yet.
    fake.faults.delay('/v1/payment_intents', 1500, { method: 'POST', when: 'after' });
    const asking = server.request('POST', '/wallet/deposits', { token: user.access, headers: { 'idempotency-key': randomUUID() }, body: { account_id: accountId, amount: '75.00', currency: 'USD' } });
    await expect.poll(() => [...fake.state.paymentIntents.keys()].find((id) => !before.has(id)), { timeout: 5000 }).toBeDefined();
    const reference = [...fake.state.paymentIntents.keys()].find((id) => !before.has(id))!;
    const succeeded = fake.succeedPaymentIntent(reference);
    expectProblem(await deliver(succeeded), 409, 'conflict');

    const asked = await asking;
    expect(asked.status, asked.text).toBe(201);
    expect(asked.body.deposit.provider_reference).toBe(reference);
    expect(await balanceOf(user, accountId)).toBe('0.00');
    // Stripe retries the same event: now it is acted on, once.
    expect((await deliver(succeeded)).body).toMatchObject({ duplicate: false });
    expect((await deliver(succeeded)).body).toMatchObject({ duplicate: true });
    expect(await balanceOf(user, accountId)).toBe('75.00');
    expect(await depositEntries(user, accountId)).toHaveLength(1);
  });

  async function paidDeposit(amount: string) {
    const paid = await cardDeposit(amount);
    expect((await deliver(fake.succeedPaymentIntent(paid.reference))).body).toMatchObject({ duplicate: false });
    expect(await balanceOf(paid.user, paid.accountId)).toBe(amount);
    return paid;
  }
  const accountOf = async (user: SignedIn, accountId: string) => (await server.request('GET', `/accounts/${accountId}`, { token: user.access })).body;
  const entriesOf = async (user: SignedIn, accountId: string, kind: string) =>
    (await server.request('GET', `/wallet/transactions?account=${accountId}`, { token: user.access })).body.transactions.filter((t: { kind: string }) => t.kind === kind).map((t: { amount: string }) => t.amount);

  it("refunds through Stripe on an operator's request, and takes back each refunded total once, in any delivery order", async () => {
    const { user, accountId, depositId, reference } = await paidDeposit('100.00');
    const admin = await signUpAdmin(server);
    const asked = await server.request('POST', `/admin/deposits/${depositId}/refund`, { token: admin.access, headers: { 'idempotency-key': randomUUID() }, body: { amount: '30.00', reason: 'customer asked' } });
    expect(asked.status, asked.text).toBe(200);
    // The ledger moves on Stripe's event, not on the request's answer.
    expect(await balanceOf(user, accountId)).toBe('100.00');
    const refunds = [...fake.state.refunds.values()].filter((r) => r.payment_intent === reference);
    expect(refunds).toMatchObject([{ amount: 3000, currency: 'usd', status: 'succeeded' }]);
    const first = fake.state.events.findLast((e) => e.type === 'charge.refunded')!;
    // A second refund from the Dashboard; its event is delivered before the first one's.
    const second = fake.refund(reference, { amount: 2000 });
    expect((await deliver(second)).status).toBe(200);
    expect((await deliver(first)).status).toBe(200);
    expect((await deliver(second)).body).toMatchObject({ duplicate: true });

    expect(await balanceOf(user, accountId)).toBe('50.00');
    expect(await depositOf(user, depositId)).toMatchObject({ status: 'succeeded', refunded_amount: '50.00' });
    expect((await entriesOf(user, accountId, 'refund')).reduce((sum: number, a: string) => sum + Number(a), 0)).toBe(-50);
  });

  it('holds a disputed payment while Stripe reviews it and takes it when the dispute is lost; a late `created` changes nothing', async () => {
    const { user, accountId, reference } = await paidDeposit('80.00');
    const opened = fake.openDispute(reference, { reason: 'fraudulent' });
    const dispute = opened.data.object as Stripe.Dispute;
    expect((await deliver(opened)).status).toBe(200);
    expect(await accountOf(user, accountId)).toMatchObject({ balance: '80.00', held: '80.00', available: '0.00' });

    // Stripe refuses to refund a disputed charge: the operator is told so, and nothing moves.
    const admin = await signUpAdmin(server);
    const depositId = (await server.request('GET', '/wallet/deposits', { token: user.access })).body.deposits[0].id;
    const refused = await server.request('POST', `/admin/deposits/${depositId}/refund`, { token: admin.access, headers: { 'idempotency-key': randomUUID() }, body: { reason: 'customer asked' } });
    expectProblem(refused, 409, 'deposit_not_refundable');
    expect(refused.body.detail).toMatch(/charged back/);

    expect((await deliver(fake.updateDispute(dispute.id, 'under_review'))).status).toBe(200);
    const closed = fake.closeDispute(dispute.id, 'lost');
    const answers = await Promise.all(Array.from({ length: 3 }, () => deliver(closed)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await deliver(opened)).status).toBe(200);
    expect(await accountOf(user, accountId)).toMatchObject({ balance: '0.00', held: '0.00' });
    expect(await entriesOf(user, accountId, 'chargeback')).toEqual(['-80.00']);

    const kept = await paidDeposit('25.00');
    const other = fake.openDispute(kept.reference).data.object as Stripe.Dispute;
    fake.closeDispute(other.id, 'won');
    // Only the won dispute's last event arrives: it is the first news of the dispute, already decided.
    const reinstated = fake.state.events.findLast((e) => e.type === 'charge.dispute.funds_reinstated')!;
    expect((await deliver(reinstated)).status).toBe(200);
    expect(await accountOf(kept.user, kept.accountId)).toMatchObject({ balance: '25.00', held: '0.00', available: '25.00' });
  });
});
