import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { standardWebhooksProvider } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
let events = 0;
let keys = 0;
const idem = (key = `deposit-${process.pid}-${++keys}`) => ({ 'idempotency-key': key });

/** A gateway's callback, signed by the Standard Webhooks reference implementation. */
function callback(payload: unknown, options: { id?: string; at?: Date; key?: string } = {}) {
  const id = options.id ?? `msg_${process.pid}_${++events}`;
  const at = options.at ?? new Date();
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(options.key ?? secret).sign(id, at, body) };
  return { id, body, headers };
}

/**
 * Real money through a payment provider: a deposit waits for the provider's signed callback,
 * which credits the account once, whatever the number and order of deliveries.
 */
describe.each(testDatabaseKinds())('deposits through a payment provider on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind, { payments: { providers: [standardWebhooksProvider({ name: 'bank', secret })] } });
  });
  afterAll(() => server.close());
  afterEach(async () => {
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  const webhook = (signed: { body: string; headers: Record<string, string> }, provider = 'bank') => server.request('POST', `/webhooks/${provider}`, { body: signed.body, headers: signed.headers });

  async function realDeposit(amount = '250.00'): Promise<{ user: SignedIn; accountId: string; depositId: string; reference: string }> {
    const user = await signUp(server);
    const opened = await server.request('POST', '/accounts', { token: user.access, body: { currency: 'USD' } });
    expect(opened.status, opened.text).toBe(201);
    const asked = await server.request('POST', '/wallet/deposits', { token: user.access, headers: idem(), body: { account_id: opened.body.id, amount, currency: 'USD' } });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.body.deposit).toMatchObject({ status: 'pending', amount, currency: 'USD', provider: 'bank', entry_id: null });
    expect(asked.body.payment.instructions.reference).toBe(asked.body.deposit.provider_reference);
    return { user, accountId: opened.body.id, depositId: asked.body.deposit.id, reference: asked.body.deposit.provider_reference };
  }
  const balanceOf = async (user: SignedIn, accountId: string) => (await server.request('GET', `/accounts/${accountId}`, { token: user.access })).body.balance;

  it('credits the account once the provider confirms the payment, and once only for five concurrent redeliveries', async () => {
    const { user, accountId, depositId, reference } = await realDeposit('250.00');
    const processing = await webhook(callback({ type: 'deposit.processing', data: { reference } }));
    expect(processing.status, processing.text).toBe(200);
    expect(await balanceOf(user, accountId)).toBe('0.00');

    const succeeded = callback({ type: 'deposit.succeeded', data: { reference, amount: 25000, currency: 'USD' } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => webhook(succeeded)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    // A second event for the same payment (another attempt's confirmation) changes nothing either.
    expect((await webhook(callback({ type: 'deposit.succeeded', data: { reference, amount: '25000', currency: 'USD' } }))).status).toBe(200);

    expect(await balanceOf(user, accountId)).toBe('250.00');
    const deposit = (await server.request('GET', `/wallet/deposits/${depositId}`, { token: user.access })).body;
    expect(deposit).toMatchObject({ status: 'succeeded', entry_id: expect.any(String) });
    const history = (await server.request('GET', `/wallet/transactions?account=${accountId}`, { token: user.access })).body;
    expect(history.transactions.filter((t: { kind: string }) => t.kind === 'deposit')).toHaveLength(1);
    const listed = (await server.request('GET', '/wallet/deposits?status=succeeded', { token: user.access })).body;
    expect(listed.deposits.map((d: { id: string }) => d.id)).toEqual([depositId]);
  });

  it('credits a payment that succeeds after a failed attempt, and never one whose amount differs', async () => {
    const retried = await realDeposit('40.00');
    await webhook(callback({ type: 'deposit.failed', data: { reference: retried.reference, reason: 'card_declined' } }));
    expect((await server.request('GET', `/wallet/deposits/${retried.depositId}`, { token: retried.user.access })).body).toMatchObject({ status: 'failed', failure_reason: 'card_declined' });
    await webhook(callback({ type: 'deposit.succeeded', data: { reference: retried.reference, amount: 4000, currency: 'USD' } }));
    expect(await balanceOf(retried.user, retried.accountId)).toBe('40.00');
    // The earlier attempt's reason no longer describes the deposit.
    expect((await server.request('GET', `/wallet/deposits/${retried.depositId}`, { token: retried.user.access })).body).toMatchObject({ status: 'succeeded', failure_reason: null });

    const short = await realDeposit('40.00');
    expect((await webhook(callback({ type: 'deposit.succeeded', data: { reference: short.reference, amount: 3999, currency: 'USD' } }))).status).toBe(200);
    expect(await balanceOf(short.user, short.accountId)).toBe('0.00');
    const flagged = (await server.request('GET', `/wallet/deposits/${short.depositId}`, { token: short.user.access })).body;
    expect(flagged).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('amount_mismatch') });
    const audit = await server.engine.admin.auditLogs({ action: 'deposit.mismatch', limit: 10 });
    expect(audit.map((a: { targetId: string | null }) => a.targetId)).toContain(short.depositId);
  });

  it('refuses a bad or stale signature with 400 and writes nothing; an unknown payment is 409 for the provider to retry', async () => {
    const { user, accountId, reference } = await realDeposit('10.00');
    const payload = { type: 'deposit.succeeded', data: { reference, amount: 1000, currency: 'USD' } };
    const forged = callback(payload, { key: `whsec_${randomBytes(24).toString('base64')}` });
    expectProblem(await webhook(forged), 400, 'invalid_signature');
    const tampered = callback(payload);
    expectProblem(await webhook({ ...tampered, body: tampered.body.replace('1000', '100000') }), 400, 'invalid_signature');
    expectProblem(await webhook(callback(payload, { at: new Date(Date.now() - 3_600_000) })), 400, 'stale_webhook');
    expect(await balanceOf(user, accountId)).toBe('0.00');

    const early = callback({ type: 'deposit.succeeded', data: { reference: 'not-yet-recorded', amount: 1000, currency: 'USD' } });
    expectProblem(await webhook(early), 409, 'conflict');
    // Its event was not recorded: the retry is acted on, not answered as a duplicate.
    const again = await webhook(early);
    expect(again.status).toBe(409);

    // An amount JavaScript cannot hold exactly as a number is refused, not rounded.
    const unsafe = `{"type":"deposit.succeeded","data":{"reference":"${reference}","amount":9007199254740993,"currency":"USD"}}`;
    expectProblem(await webhook(callback(unsafe)), 422, 'validation_failed');
    expect(await balanceOf(user, accountId)).toBe('0.00');

    expectProblem(await webhook(callback(payload), 'nobody'), 404, 'not_found');
    const ignored = await webhook(callback({ type: 'customer.updated', data: {} }));
    expect(ignored.status, ignored.text).toBe(200);
  });

  it('takes deposits into real accounts only, in their currency', async () => {
    const user = await signUp(server);
    expectProblem(await server.request('POST', '/wallet/deposits', { token: user.access, headers: idem(), body: { amount: '10.00', currency: 'USD' } }), 422, 'transfer_not_allowed');
    const opened = await server.request('POST', '/accounts', { token: user.access, body: { currency: 'USD' } });
    expectProblem(await server.request('POST', '/wallet/deposits', { token: user.access, headers: idem(), body: { account_id: opened.body.id, amount: '10.00', currency: 'EUR' } }), 422, 'currency_mismatch');
    expectProblem(await server.request('POST', '/wallet/deposits', { token: user.access, headers: idem(), body: { account_id: opened.body.id, amount: '0.00', currency: 'USD' } }), 422, 'validation_failed');
    const other = await signUp(server);
    expectProblem(await server.request('POST', '/wallet/deposits', { token: other.access, headers: idem(), body: { account_id: opened.body.id, amount: '10.00', currency: 'USD' } }), 404, 'not_found');
  });

  it('answers a retried deposit request with the same deposit and payment, and refuses the key for another request', async () => {
    const user = await signUp(server);
    const opened = await server.request('POST', '/accounts', { token: user.access, body: { currency: 'USD' } });
    const headers = idem();
    const body = { account_id: opened.body.id, amount: '75.00', currency: 'USD' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => server.request('POST', '/wallet/deposits', { token: user.access, headers, body })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    const ids = new Set(answers.map((a) => a.body.deposit.id));
    expect(ids.size).toBe(1);
    expect(new Set(answers.map((a) => a.body.payment.instructions.reference)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotency-replayed') === 'true').length).toBeGreaterThanOrEqual(4);
    const listed = (await server.request('GET', '/wallet/deposits', { token: user.access })).body;
    expect(listed.deposits).toHaveLength(1);
    expectProblem(await server.request('POST', '/wallet/deposits', { token: user.access, headers, body: { ...body, amount: '76.00' } }), 409, 'idempotency_conflict');
    expectProblem(await server.request('POST', '/wallet/deposits', { token: user.access, body }), 422, 'validation_failed');
  });

  it('takes a refund back from the account once per refunded total, in any order, and books what is gone as owed', async () => {
    const { user, accountId, depositId, reference } = await realDeposit('100.00');
    // A refund reported before the payment's own success is refused for the provider to retry; nothing is recorded.
    const early = callback({ type: 'deposit.refunded', data: { reference, refunded_total: 3000, currency: 'USD' } });
    expectProblem(await webhook(early), 409, 'conflict');
    await webhook(callback({ type: 'deposit.succeeded', data: { reference, amount: 10000, currency: 'USD' } }));
    expect((await webhook(early)).status).toBe(200);
    expect(await balanceOf(user, accountId)).toBe('70.00');
    // A later total first, then the older one delivered late: 50.00 refunded in all, never 80.00.
    await webhook(callback({ type: 'deposit.refunded', data: { reference, refunded_total: 5000, currency: 'USD' } }));
    await webhook(callback({ type: 'deposit.refunded', data: { reference, refunded_total: 3000, currency: 'USD' } }));
    expect(await balanceOf(user, accountId)).toBe('50.00');
    expect((await server.request('GET', `/wallet/deposits/${depositId}`, { token: user.access })).body).toMatchObject({ status: 'succeeded', refunded_amount: '50.00' });

    // The user moves 45.00 out of reach (a pending withdrawal holds it); the provider then refunds the rest.
    const held = await server.engine.wallets.withdraw(user.id, { accountId, amount: '45.00', currency: 'USD', idempotencyKey: `pay-hold-${process.pid}-${++keys}` });
    expect('withdrawal' in held && held.withdrawal).toBeTruthy();
    const full = callback({ type: 'deposit.refunded', data: { reference, refunded_total: 10000, currency: 'USD' } });
    const deliveries = await Promise.all(Array.from({ length: 5 }, () => webhook(full)));
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    // 5.00 was available; the other 45.00 is owed, and the held 45.00 is untouched.
    const account = (await server.request('GET', `/accounts/${accountId}`, { token: user.access })).body;
    expect(account).toMatchObject({ balance: '45.00', held: '45.00', available: '0.00' });
    const history = (await server.request('GET', `/wallet/transactions?account=${accountId}`, { token: user.access })).body;
    expect(history.transactions.filter((t: { kind: string }) => t.kind === 'refund').map((t: { amount: string }) => t.amount)).toEqual(['-5.00', '-20.00', '-30.00']);
    const admin = await signUpAdmin(server);
    const owed = await server.request('GET', `/admin/receivables?user_id=${user.id}`, { token: admin.access });
    expect(owed.status, owed.text).toBe(200);
    expect(owed.body.receivables).toEqual([expect.objectContaining({ account_id: accountId, amount: '45.00', currency: 'USD', status: 'open', cause: 'refund', source_id: depositId })]);
    const audit = await server.engine.admin.auditLogs({ action: 'receivable.opened', limit: 50 });
    expect(audit.map((a: { targetId: string | null }) => a.targetId)).toContain(accountId);

    // Collecting needs the money: refused until the withdrawal is cancelled and 45.00 is available again.
    const receivableId = owed.body.receivables[0].id;
    const settle = (how: string) => server.request('POST', `/admin/receivables/${receivableId}/settle`, { token: admin.access, body: { how, note: 'recovered' } });
    expectProblem(await settle('collect'), 409, 'insufficient_funds');
    expectProblem(await server.request('POST', `/admin/receivables/${receivableId}/settle`, { token: user.access, body: { how: 'collect', note: 'me' } }), 403, 'forbidden');
    await server.engine.wallets.funding.cancelWithdrawal(user.id, 'withdrawal' in held && held.withdrawal ? held.withdrawal.id : '');
    const collected = await settle('collect');
    expect(collected.status, collected.text).toBe(200);
    expect(collected.body).toMatchObject({ status: 'settled', settled_at: expect.any(String) });
    expectProblem(await settle('collect'), 409, 'conflict');
    expect((await server.request('GET', `/accounts/${accountId}`, { token: user.access })).body).toMatchObject({ balance: '0.00', held: '0.00' });
    const collectedAudit = await server.engine.admin.auditLogs({ action: 'receivable.collected', limit: 50 });
    expect(collectedAudit.map((a: { targetId: string | null }) => a.targetId)).toContain(accountId);
  });

  it('holds a disputed amount while the dispute is open, releases it when won and returns it when lost', async () => {
    const won = await realDeposit('60.00');
    await webhook(callback({ type: 'deposit.succeeded', data: { reference: won.reference, amount: 6000, currency: 'USD' } }));
    const opened = callback({ type: 'deposit.disputed', data: { reference: won.reference, dispute_id: `dp_won_${keys}`, status: 'open', amount: 6000, currency: 'USD', reason: 'fraudulent' } });
    await Promise.all(Array.from({ length: 3 }, () => webhook(opened)));
    expect((await server.request('GET', `/accounts/${won.accountId}`, { token: won.user.access })).body).toMatchObject({ balance: '60.00', held: '60.00', available: '0.00' });
    const admin = await signUpAdmin(server);
    const open = (await server.request('GET', '/admin/disputes?status=open', { token: admin.access })).body.disputes;
    expect(open.filter((d: { account_id: string }) => d.account_id === won.accountId)).toEqual([expect.objectContaining({ amount: '60.00', status: 'open', reason: 'fraudulent', hold_id: expect.any(String) })]);
    await webhook(callback({ type: 'deposit.disputed', data: { reference: won.reference, dispute_id: `dp_won_${keys}`, status: 'won', amount: 6000, currency: 'USD' } }));
    // The `open` state delivered again after the decision changes nothing.
    await webhook(callback({ type: 'deposit.disputed', data: { reference: won.reference, dispute_id: `dp_won_${keys}`, status: 'open', amount: 6000, currency: 'USD' } }));
    expect((await server.request('GET', `/accounts/${won.accountId}`, { token: won.user.access })).body).toMatchObject({ balance: '60.00', held: '0.00', available: '60.00' });

    const lost = await realDeposit('80.00');
    await webhook(callback({ type: 'deposit.succeeded', data: { reference: lost.reference, amount: 8000, currency: 'USD' } }));
    await server.engine.wallets.withdraw(lost.user.id, { accountId: lost.accountId, amount: '30.00', currency: 'USD', idempotencyKey: `pay-hold-${process.pid}-${++keys}` });
    const disputeId = `dp_lost_${keys}`;
    await webhook(callback({ type: 'deposit.disputed', data: { reference: lost.reference, dispute_id: disputeId, status: 'open', amount: 8000, currency: 'USD', reason: 'product_not_received' } }));
    // Only the 50.00 not already held for the withdrawal can be held for the dispute.
    expect((await server.request('GET', `/accounts/${lost.accountId}`, { token: lost.user.access })).body).toMatchObject({ balance: '80.00', held: '80.00', available: '0.00' });
    const closed = callback({ type: 'deposit.disputed', data: { reference: lost.reference, dispute_id: disputeId, status: 'lost', amount: 8000, currency: 'USD' } });
    await Promise.all(Array.from({ length: 5 }, () => webhook(closed)));
    expect((await server.request('GET', `/accounts/${lost.accountId}`, { token: lost.user.access })).body).toMatchObject({ balance: '30.00', held: '30.00', available: '0.00' });
    const history = (await server.request('GET', `/wallet/transactions?account=${lost.accountId}`, { token: lost.user.access })).body;
    expect(history.transactions.filter((t: { kind: string }) => t.kind === 'chargeback').map((t: { amount: string }) => t.amount)).toEqual(['-50.00']);
    const owed = (await server.request('GET', `/admin/receivables?user_id=${lost.user.id}`, { token: admin.access })).body.receivables;
    expect(owed).toEqual([expect.objectContaining({ amount: '30.00', cause: 'chargeback', status: 'open' })]);
    // The platform absorbs it: the account is untouched, the receivable settled.
    const writtenOff = await server.request('POST', `/admin/receivables/${owed[0].id}/settle`, { token: admin.access, body: { how: 'write_off', note: 'uncollectable' } });
    expect(writtenOff.status, writtenOff.text).toBe(200);
    expect((await server.request('GET', `/admin/receivables?user_id=${lost.user.id}&status=open`, { token: admin.access })).body.receivables).toEqual([]);
    const listed = (await server.request('GET', '/admin/disputes?status=lost', { token: admin.access })).body.disputes;
    expect(listed.find((d: { dispute_id: string }) => d.dispute_id === disputeId)).toMatchObject({ status: 'lost', entry_id: expect.any(String) });

    // A dispute first heard of when it is already lost takes the money without a hold.
    const late = await realDeposit('20.00');
    await webhook(callback({ type: 'deposit.succeeded', data: { reference: late.reference, amount: 2000, currency: 'USD' } }));
    await webhook(callback({ type: 'deposit.disputed', data: { reference: late.reference, dispute_id: `dp_late_${keys}`, status: 'lost', amount: 2000, currency: 'USD' } }));
    expect(await balanceOf(late.user, late.accountId)).toBe('0.00');
  });

  it('refunds a deposit on an operator’s request only through a provider that can, and refuses users', async () => {
    const { user, depositId, reference } = await realDeposit('15.00');
    const admin = await signUpAdmin(server);
    expectProblem(await server.request('POST', `/admin/deposits/${depositId}/refund`, { token: admin.access, headers: idem(), body: { reason: 'customer asked' } }), 409, 'deposit_not_refundable');
    await webhook(callback({ type: 'deposit.succeeded', data: { reference, amount: 1500, currency: 'USD' } }));
    // This gateway has no refund API: the operator is told to return the money by hand.
    expectProblem(await server.request('POST', `/admin/deposits/${depositId}/refund`, { token: admin.access, headers: idem(), body: { reason: 'customer asked' } }), 409, 'deposit_not_refundable');
    expectProblem(await server.request('POST', `/admin/deposits/${depositId}/refund`, { token: user.access, headers: idem(), body: { reason: 'me' } }), 403, 'forbidden');
    expectProblem(await server.request('POST', '/admin/deposits/nope/refund', { token: admin.access, headers: idem(), body: { reason: 'x' } }), 404, 'not_found');
  });

  it('keeps money under dispute from leaving, and books a refund after it was withdrawn as owed', async () => {
    const { user, accountId, reference, depositId } = await realDeposit('100.00');
    await webhook(callback({ type: 'deposit.succeeded', data: { reference, amount: 10000, currency: 'USD' } }));
    const admin = await signUpAdmin(server);
    const disputeId = `dp_block_${++keys}`;
    await webhook(callback({ type: 'deposit.disputed', data: { reference, dispute_id: disputeId, status: 'open', amount: 4000, currency: 'USD' } }));
    const asked = await server.request('POST', '/wallet/withdrawals', { token: user.access, headers: idem(), body: { account_id: accountId, amount: '60.00', currency: 'USD', destination: 'DE89370400440532013000' } });
    expect(asked.status, asked.text).toBe(201);
    const withdrawalId = asked.body.withdrawal.id;
    expectProblem(await server.request('POST', `/admin/withdrawals/${withdrawalId}/approve`, { token: admin.access }), 409, 'dispute_open');
    await webhook(callback({ type: 'deposit.disputed', data: { reference, dispute_id: disputeId, status: 'won', amount: 4000, currency: 'USD' } }));
    const approved = await server.request('POST', `/admin/withdrawals/${withdrawalId}/approve`, { token: admin.access });
    expect(approved.status, approved.text).toBe(200);
    const paid = await server.request('POST', `/admin/withdrawals/${withdrawalId}/complete`, { token: admin.access, body: { reference: 'wire-77' } });
    expect(paid.status, paid.text).toBe(200);
    expect(await balanceOf(user, accountId)).toBe('40.00');

    // The payer is refunded in full after 60.00 left: 40.00 comes back from the account, 60.00 is owed.
    await webhook(callback({ type: 'deposit.refunded', data: { reference, refunded_total: 10000, currency: 'USD' } }));
    expect((await server.request('GET', `/accounts/${accountId}`, { token: user.access })).body).toMatchObject({ balance: '0.00', held: '0.00' });
    const owed = (await server.request('GET', `/admin/receivables?user_id=${user.id}`, { token: admin.access })).body.receivables;
    expect(owed).toEqual([expect.objectContaining({ amount: '60.00', cause: 'refund', source_id: depositId, status: 'open' })]);
  });
});
