import { randomUUID } from 'node:crypto';
import { manualClock } from '@tradeplane/core';
import { payoutIdempotencyKey, stripeConnectPayouts } from '@tradeplane/funding-stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startStripeFake, type StripeFake } from '../support/stripe-fake.js';

/**
 * Withdrawals paid out through Stripe Connect, over HTTP: the approval pays a Transfer to the
 * user's connected account, Stripe's refusal fails the withdrawal and releases the money, and an
 * answer lost after the transfer was made leaves the withdrawal paying until the retry job gets
 * the same transfer back.
 */
describe.each(testDatabaseKinds())('Stripe Connect payouts on %s', (kind) => {
  let fake: StripeFake;
  let server: TestServer;
  let admin: SignedIn;
  const clock = manualClock(new Date('2026-06-01T09:00:00.000Z'));
  beforeAll(async () => {
    fake = await startStripeFake();
    server = await startTestServer(kind, {
      clock,
      auth: { accessTokenTtl: 7 * 24 * 3600 },
      payments: { payouts: [stripeConnectPayouts({ stripe: fake.client({ maxNetworkRetries: 0 }) })] },
    });
    admin = await signUpAdmin(server);
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });
  afterEach(async () => {
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  const post = (path: string, user: SignedIn, body?: unknown) => server.request('POST', path, { token: user.access, body, headers: { 'idempotency-key': randomUUID() } });
  const account = async (user: SignedIn, id: string) => (await server.request('GET', `/accounts/${id}`, { token: user.access })).body;
  const transfersFor = (withdrawalId: string) => [...fake.state.transfers.values()].filter((t) => t.transfer_group === withdrawalId);

  async function holder(amount: string): Promise<{ user: SignedIn; accountId: string }> {
    const user = await signUp(server);
    const opened = await post('/accounts', user, { currency: 'USD' });
    expect(opened.status, opened.text).toBe(201);
    const credited = await post(`/admin/accounts/${opened.body.id}/credit`, admin, { amount, currency: 'USD', reason: 'bank transfer received' });
    expect(credited.status, credited.text).toBe(201);
    return { user, accountId: opened.body.id };
  }
  async function withdrawal(user: SignedIn, accountId: string, amount: string, destination = 'acct_1TraderPayouts') {
    const res = await post('/wallet/withdrawals', user, { account_id: accountId, amount, currency: 'USD', destination, payout_provider: 'stripe_connect' });
    expect(res.status, res.text).toBe(201);
    return res.body.withdrawal.id as string;
  }

  it('pays an approved withdrawal as one transfer to the connected account', async () => {
    const { user, accountId } = await holder('500.00');
    const id = await withdrawal(user, accountId, '120.00');
    const approved = await post(`/admin/withdrawals/${id}/approve`, admin);
    expect(approved.status, approved.text).toBe(200);
    const [transfer] = transfersFor(id);
    expect(approved.body).toMatchObject({ status: 'completed', payout_provider: 'stripe_connect', payout_reference: transfer!.id });
    expect(transfer).toMatchObject({ amount: 12_000, currency: 'usd', destination: 'acct_1TraderPayouts', metadata: { tradeplane_withdrawal_id: id } });
    expect(await account(user, accountId)).toMatchObject({ balance: '380.00', held: '0.00' });

    // Not a connected account: refused when asked, before any approval.
    const { body } = await post('/wallet/withdrawals', user, { account_id: accountId, amount: '10.00', currency: 'USD', destination: 'DE89370400440532013000', payout_provider: 'stripe_connect' });
    expect(body).toMatchObject({ code: 'validation_failed' });
  });

  it("fails the withdrawal with Stripe's reason and releases the money when Stripe refuses the transfer", async () => {
    const { user, accountId } = await holder('300.00');
    const id = await withdrawal(user, accountId, '250.00');
    fake.state.balance.set('usd', 10_000);
    try {
      const approved = await post(`/admin/withdrawals/${id}/approve`, admin);
      expect(approved.status, approved.text).toBe(200);
      expect(approved.body).toMatchObject({ status: 'failed', entry_id: null, note: expect.stringContaining('insufficient available funds') });
    } finally {
      fake.state.balance.delete('usd');
    }
    expect(transfersFor(id)).toEqual([]);
    expect(await account(user, accountId)).toMatchObject({ balance: '300.00', held: '0.00', available: '300.00' });
  });

  it('keeps a withdrawal whose answer was lost paying, and the retry job gets the same transfer back', async () => {
    const { user, accountId } = await holder('200.00');
    const id = await withdrawal(user, accountId, '70.00');
    // Stripe made the transfer; both answers (the SDK re-sends once on a closed connection) are lost.
    fake.faults.drop('/v1/transfers', { method: 'POST', when: 'after', times: 2 });
    const approved = await post(`/admin/withdrawals/${id}/approve`, admin);
    expect(approved.body).toMatchObject({ status: 'paying', entry_id: null });
    expect(transfersFor(id)).toHaveLength(1);
    expect(await account(user, accountId)).toMatchObject({ balance: '200.00', held: '70.00' });
    expectProblem(await post(`/wallet/withdrawals/${id}/cancel`, user), 409, 'withdrawal_not_pending');

    clock.advance(61_000);
    await server.engine.jobs.tick();
    const paid = (await server.request('GET', `/wallet/withdrawals/${id}`, { token: user.access })).body;
    expect(transfersFor(id)).toHaveLength(1);
    // The retry sent the same key and Stripe answered with the transfer it had made.
    expect(fake.state.requests.filter((r) => r.path === '/v1/transfers' && r.idempotencyKey === payoutIdempotencyKey(id))).toHaveLength(3);
    expect(paid).toMatchObject({ status: 'completed', payout_reference: transfersFor(id)[0]!.id });
    expect(await account(user, accountId)).toMatchObject({ balance: '130.00', held: '0.00' });
  });
});
