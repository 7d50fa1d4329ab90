import type { Currency } from '@tradeplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeFake, type StripeFake } from '../../../tests/support/stripe-fake.js';
import { payoutIdempotencyKey, stripeConnectPayouts } from './payouts.js';

const USD: Currency = { code: 'USD', exponent: 2 };
let fake: StripeFake;
let withdrawals = 0;
beforeAll(async () => {
  fake = await startStripeFake();
});
afterAll(() => fake.close());

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
const nextId = () => `wd_${process.pid}_${++withdrawals}`;
const transfersFor = (withdrawalId: string) => [...fake.state.transfers.values()].filter((t) => t.transfer_group === withdrawalId);

describe('stripeConnectPayouts', () => {
  it('checks that a destination is a connected account id', () => {
    const payouts = stripeConnectPayouts({ stripe: fake.client() });
    expect(payouts.name).toBe('stripe_connect');
    expect(() => payouts.validateDestination!('acct_1PayoutTarget')).not.toThrow();
    for (const bad of ['GB33BUKB20201555555555', 'acct_', 'cus_123', ' acct_1PayoutTarget']) {
      expect(() => payouts.validateDestination!(bad), bad).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });

  it('pays a withdrawal as one transfer to the connected account, keyed by the withdrawal', async () => {
    const payouts = stripeConnectPayouts({ stripe: fake.client(), name: 'connect' });
    const withdrawalId = nextId();
    const paid = await payouts.pay({ withdrawalId, userId: 'user-7', amount: 12_345n, currency: USD, destination: 'acct_1PayoutTarget' });
    expect(paid.status).toBe('paid');
    expect(paid.reference).toMatch(/^tr_/);
    expect(fake.state.transfers.get(paid.reference!)).toMatchObject({
      amount: 12_345,
      currency: 'usd',
      destination: 'acct_1PayoutTarget',
      transfer_group: withdrawalId,
      metadata: { tradeplane_withdrawal_id: withdrawalId, tradeplane_user_id: 'user-7' },
    });
    expect(fake.state.requests.at(-1)!.idempotencyKey).toBe(payoutIdempotencyKey(withdrawalId));
  });

  it('rethrows a dropped answer unchanged; the retry gets the transfer that was made, not a second one', async () => {
    const payouts = stripeConnectPayouts({ stripe: fake.client({ maxNetworkRetries: 0 }) });
    const request = { withdrawalId: nextId(), userId: 'user-7', amount: 5000n, currency: USD, destination: 'acct_1PayoutTarget' };
    // The SDK re-sends once on a closed connection even with retries off: drop both answers.
    fake.faults.drop('/v1/transfers', { method: 'POST', when: 'after', times: 2 });
    const lost = await rejection(payouts.pay(request));
    expect(lost).toMatchObject({ type: 'StripeConnectionError' });
    expect(lost).not.toHaveProperty('code', 'payout_failed');
    expect(transfersFor(request.withdrawalId)).toHaveLength(1);
    expect(fake.state.requests.filter((r) => r.path === '/v1/transfers').slice(-2).map((r) => r.idempotencyKey)).toEqual([payoutIdempotencyKey(request.withdrawalId), payoutIdempotencyKey(request.withdrawalId)]);

    const retried = await payouts.pay(request);
    expect(retried).toEqual({ status: 'paid', reference: transfersFor(request.withdrawalId)[0]!.id });
    expect(transfersFor(request.withdrawalId)).toHaveLength(1);
  });

  it('rethrows a timeout; once Stripe has finished the first request the retry pays nothing more', async () => {
    const payouts = stripeConnectPayouts({ stripe: fake.client({ maxNetworkRetries: 0, timeout: 100 }) });
    const request = { withdrawalId: nextId(), userId: 'user-7', amount: 800n, currency: USD, destination: 'acct_1PayoutTarget' };
    const sent = fake.state.requests.length;
    fake.faults.delay('/v1/transfers', 400, { method: 'POST' });
    expect(await rejection(payouts.pay(request))).toMatchObject({ type: 'StripeConnectionError' });
    await expect.poll(() => fake.state.requests.length, { timeout: 5000 }).toBe(sent + 1);

    const retried = await payouts.pay(request);
    expect(retried.status).toBe('paid');
    expect(transfersFor(request.withdrawalId)).toHaveLength(1);
    expect(retried.reference).toBe(transfersFor(request.withdrawalId)[0]!.id);
  });

  it("turns Stripe's refusals into payout_failed with Stripe's message", async () => {
    const payouts = stripeConnectPayouts({ stripe: fake.client() });
    fake.state.balance.set('usd', 1000);
    try {
      const short = await rejection(payouts.pay({ withdrawalId: nextId(), userId: 'u', amount: 5000n, currency: USD, destination: 'acct_1PayoutTarget' }));
      expect(short).toMatchObject({ code: 'payout_failed', detail: expect.stringContaining('insufficient available funds') });
    } finally {
      fake.state.balance.delete('usd');
    }
    const unknown = await rejection(payouts.pay({ withdrawalId: nextId(), userId: 'u', amount: 100n, currency: { code: 'XX1', exponent: 2 }, destination: 'acct_1PayoutTarget' }));
    expect(unknown).toMatchObject({ code: 'payout_failed', detail: expect.stringContaining('Invalid currency') });
  });

  it('refuses what it cannot send before calling Stripe, and rethrows a bad key as it is', async () => {
    const payouts = stripeConnectPayouts({ stripe: fake.client() });
    const sent = fake.state.requests.length;
    expect(await rejection(payouts.pay({ withdrawalId: nextId(), userId: 'u', amount: 100n, currency: USD, destination: 'DE89370400440532013000' }))).toMatchObject({ code: 'validation_failed' });
    expect(await rejection(payouts.pay({ withdrawalId: nextId(), userId: 'u', amount: 100n, currency: { code: 'ISK', exponent: 0 }, destination: 'acct_1PayoutTarget' }))).toMatchObject({ code: 'validation_failed' });
    expect(fake.state.requests.length).toBe(sent);

    const Stripe = (await import('stripe')).default;
    const misconfigured = stripeConnectPayouts({ stripe: new Stripe('sk_test_not_the_key', { host: fake.host, port: fake.port, protocol: fake.protocol }) });
    expect(await rejection(misconfigured.pay({ withdrawalId: nextId(), userId: 'u', amount: 100n, currency: USD, destination: 'acct_1PayoutTarget' }))).toMatchObject({ type: 'StripeAuthenticationError' });
  });
});
