import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';
import { httpPayoutProvider, startPayoutServer, type PayoutServer } from '../support/payout-server.js';

let keys = 0;
const idem = () => ({ 'idempotency-key': `withdrawals-${process.pid}-${++keys}` });
const CLEARING_SECONDS = 3600;

/**
 * Real money leaves only through an approved payout: operators approve (two different ones above
 * the limit, never the holder), risk checks run at the final approval, and a payout provider —
 * or an operator, for manual payouts — pays it, once, whatever retries and races happen.
 */
describe.each(testDatabaseKinds())('withdrawals with approval and payouts on %s', (kind) => {
  let server: TestServer;
  let payouts: PayoutServer;
  let admin: SignedIn;
  let second: SignedIn;
  const clock = manualClock(new Date('2026-06-01T09:00:00.000Z'));
  beforeAll(async () => {
    payouts = await startPayoutServer();
    server = await startTestServer(kind, {
      clock,
      auth: { accessTokenTtl: 7 * 24 * 3600 },
      wallets: { withdrawals: { secondApprovalAbove: '1000', depositClearingSeconds: CLEARING_SECONDS } },
      payments: { payouts: [httpPayoutProvider({ name: 'bank', url: () => payouts.url, timeoutMs: 300 })] },
    });
    admin = await signUpAdmin(server);
    second = await signUpAdmin(server);
  });
  afterAll(async () => {
    await server.close();
    await payouts.close();
  });
  afterEach(async () => {
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  const post = (path: string, user: SignedIn, body?: unknown, headers: Record<string, string> = {}) => server.request('POST', path, { token: user.access, body, headers });
  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });
  const account = async (user: SignedIn, id: string) => (await get(`/accounts/${id}`, user)).body;
  const payoutEntries = async (user: SignedIn, accountId: string) => (await get(`/wallet/transactions?account=${accountId}&kind=withdrawal`, user)).body.transactions;

  /** A user (or `who`) with a real USD account holding `amount`, credited by an operator. */
  async function holder(amount: string, who?: SignedIn): Promise<{ user: SignedIn; accountId: string }> {
    const user = who ?? (await signUp(server));
    const opened = await post('/accounts', user, { currency: 'USD' });
    expect(opened.status, opened.text).toBe(201);
    const credited = await post(`/admin/accounts/${opened.body.id}/credit`, who === admin ? second : admin, { amount, currency: 'USD', reason: 'bank transfer received' }, idem());
    expect(credited.status, credited.text).toBe(201);
    return { user, accountId: opened.body.id };
  }

  async function request(user: SignedIn, accountId: string, amount: string, extra: { destination?: string; payout_provider?: string } = {}) {
    const res = await post('/wallet/withdrawals', user, { account_id: accountId, amount, currency: 'USD', destination: extra.destination ?? 'DE89370400440532013000', ...extra }, idem());
    expect(res.status, res.text).toBe(201);
    expect(res.body.withdrawal).toMatchObject({ status: 'pending', amount, approvals: [], entry_id: null });
    return res.body.withdrawal as { id: string };
  }

  it('asks for two different operators above the limit, never the holder, and one below it', async () => {
    const { user, accountId } = await holder('5000.00');
    const large = await request(user, accountId, '1500.00');
    expect(await account(user, accountId)).toMatchObject({ balance: '5000.00', held: '1500.00', available: '3500.00' });

    const first = await post(`/admin/withdrawals/${large.id}/approve`, admin);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', approvals: [{ approver_id: admin.id }], approved_at: null });
    expectProblem(await post(`/admin/withdrawals/${large.id}/approve`, admin), 409, 'second_approval_required');
    // Still one approval: the repeat changed nothing, and no money moved.
    expect((await get(`/wallet/withdrawals/${large.id}`, user)).body).toMatchObject({ status: 'pending', approvals: [{ approver_id: admin.id }] });
    expectProblem(await post(`/admin/withdrawals/${large.id}/complete`, admin, { reference: 'wire-1' }), 409, 'withdrawal_not_approved');
    expectProblem(await post(`/admin/withdrawals/${large.id}/approve`, user), 403, 'forbidden');

    const approved = await post(`/admin/withdrawals/${large.id}/approve`, second);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', payout_provider: 'manual', destination: 'DE89370400440532013000' });
    expect(approved.body.approvals.map((a: { approver_id: string }) => a.approver_id)).toEqual([admin.id, second.id]);
    expect(approved.body.approved_at).not.toBeNull();
    expectProblem(await post(`/admin/withdrawals/${large.id}/approve`, second), 409, 'withdrawal_not_pending');
    expect((await get('/admin/withdrawals?status=approved', admin)).body.withdrawals.map((w: { id: string }) => w.id)).toContain(large.id);

    const paid = await post(`/admin/withdrawals/${large.id}/complete`, admin, { reference: 'wire-1' });
    expect(paid.status, paid.text).toBe(200);
    expect(paid.body).toMatchObject({ status: 'completed', payout_reference: 'wire-1', source: 'operator', resolved_by: admin.id });
    expect(await account(user, accountId)).toMatchObject({ balance: '3500.00', held: '0.00' });
    expect(await payoutEntries(user, accountId)).toEqual([expect.objectContaining({ amount: '-1500.00', entry_id: paid.body.entry_id })]);

    // An operator withdrawing from their own real account cannot approve it; below the limit another operator's approval suffices.
    const own = await holder('200.00', admin);
    const small = await request(admin, own.accountId, '50.00');
    expectProblem(await post(`/admin/withdrawals/${small.id}/approve`, admin), 403, 'forbidden');
    const once = await post(`/admin/withdrawals/${small.id}/approve`, second);
    expect(once.body).toMatchObject({ status: 'approved', approvals: [{ approver_id: second.id }] });

    const actions = (await server.engine.admin.auditLogs({ limit: 500 })).filter((r) => r.targetId === large.id).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['withdrawal.approval_recorded', 'withdrawal.approved', 'withdrawal.completed']));
  });

  it('releases the hold when rejected (pending or approved) or cancelled, and cancels only while pending', async () => {
    const { user, accountId } = await holder('300.00');
    const pending = await request(user, accountId, '100.00');
    const rejected = await post(`/admin/withdrawals/${pending.id}/reject`, admin, { reason: 'account under review' });
    expect(rejected.body).toMatchObject({ status: 'rejected', note: 'account under review', entry_id: null });
    expect(await account(user, accountId)).toMatchObject({ balance: '300.00', held: '0.00' });

    const approved = await request(user, accountId, '100.00');
    expect((await post(`/admin/withdrawals/${approved.id}/approve`, admin)).body.status).toBe('approved');
    expectProblem(await post(`/wallet/withdrawals/${approved.id}/cancel`, user), 409, 'withdrawal_not_pending');
    expect((await post(`/admin/withdrawals/${approved.id}/reject`, second, { reason: 'destination not verified' })).body.status).toBe('rejected');
    expectProblem(await post(`/admin/withdrawals/${approved.id}/complete`, admin, {}), 409, 'withdrawal_not_pending');

    const cancelled = await request(user, accountId, '100.00');
    expectProblem(await post(`/admin/withdrawals/${cancelled.id}/fail`, admin, { reason: 'bank bounced it' }), 409, 'withdrawal_not_approved');
    expect((await post(`/wallet/withdrawals/${cancelled.id}/cancel`, user)).body).toMatchObject({ status: 'cancelled' });
    expectProblem(await post(`/admin/withdrawals/${cancelled.id}/approve`, admin), 409, 'withdrawal_not_pending');

    const failed = await request(user, accountId, '100.00');
    await post(`/admin/withdrawals/${failed.id}/approve`, admin);
    expect((await post(`/admin/withdrawals/${failed.id}/fail`, admin, { reason: 'bank bounced it' })).body).toMatchObject({ status: 'failed', note: 'bank bounced it' });
    expect(await account(user, accountId)).toMatchObject({ balance: '300.00', held: '0.00', available: '300.00' });
    expect(await payoutEntries(user, accountId)).toEqual([]);
    const statuses = (await get('/wallet/withdrawals', user)).body.withdrawals.map((w: { status: string }) => w.status);
    expect(statuses).toEqual(['failed', 'cancelled', 'rejected', 'rejected']);
    expect((await get('/wallet/withdrawals?status=cancelled', user)).body.withdrawals).toHaveLength(1);
  });

  it('captures a manual payout once for five concurrent completions', async () => {
    const { user, accountId } = await holder('100.00');
    const w = await request(user, accountId, '40.00');
    await post(`/admin/withdrawals/${w.id}/approve`, admin);
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => post(`/admin/withdrawals/${w.id}/complete`, i % 2 ? admin : second, { reference: `wire-${i}` })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect(await payoutEntries(user, accountId)).toHaveLength(1);
    expect(await account(user, accountId)).toMatchObject({ balance: '60.00', held: '0.00' });
  });

  it('counts two operators approving at once as both approvals', async () => {
    const { user, accountId } = await holder('3000.00');
    const w = await request(user, accountId, '2000.00');
    const answers = await Promise.all([post(`/admin/withdrawals/${w.id}/approve`, admin), post(`/admin/withdrawals/${w.id}/approve`, second)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['approved', 'pending']);
    expect((await get(`/wallet/withdrawals/${w.id}`, user)).body).toMatchObject({ status: 'approved', approvals: [{}, {}] });
  });

  it('checks the request: a real account, a known payout provider, a destination it accepts, and one withdrawal per Idempotency-Key', async () => {
    const { user, accountId } = await holder('100.00');
    const demo = (await get('/wallet', user)).body;
    const body = { account_id: accountId, amount: '10.00', currency: 'USD', destination: 'acct_42', payout_provider: 'bank' };
    expectProblem(await post('/wallet/withdrawals', user, { ...body, account_id: demo.id }, idem()), 422, 'transfer_not_allowed');
    expectProblem(await post('/wallet/withdrawals', user, { ...body, payout_provider: 'paypal' }, idem()), 422, 'validation_failed');
    expectProblem(await post('/wallet/withdrawals', user, { ...body, destination: 'DE89 3704' }, idem()), 422, 'validation_failed');
    expectProblem(await post('/wallet/withdrawals', user, { ...body, destination: undefined }, idem()), 422, 'validation_failed');
    expectProblem(await post('/wallet/withdrawals', await signUp(server), body, idem()), 404, 'not_found');
    const headers = idem();
    const first = await post('/wallet/withdrawals', user, body, headers);
    const again = await post('/wallet/withdrawals', user, body, headers);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body.withdrawal.id).toBe(first.body.withdrawal.id);
    expectProblem(await post('/wallet/withdrawals', user, { ...body, amount: '11.00' }, headers), 409, 'idempotency_conflict');
    expect(await account(user, accountId)).toMatchObject({ held: '10.00' });
    // The older route still asks for a manual payout, with no destination.
    const legacy = await post('/wallet/withdraw', user, { amount: '5.00', currency: 'USD', account_id: accountId }, idem());
    expect(legacy.status, legacy.text).toBe(202);
    expect(legacy.body.withdrawal).toMatchObject({ status: 'pending', payout_provider: 'manual', destination: null });
  });

  it('pays through a payout provider on the final approval, or fails and releases on its refusal', async () => {
    const { user, accountId } = await holder('500.00');
    const w = await request(user, accountId, '120.00', { payout_provider: 'bank', destination: 'acct_paid' });
    const approved = await post(`/admin/withdrawals/${w.id}/approve`, admin);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toMatchObject({ status: 'completed', payout_provider: 'bank', source: 'bank', payout_reference: payouts.payouts.get(w.id)!.id });
    expect(payouts.calls.filter((c) => c.key === w.id)).toEqual([{ key: w.id, amount: '12000', currency: 'USD', destination: 'acct_paid' }]);
    expect(await payoutEntries(user, accountId)).toEqual([expect.objectContaining({ amount: '-120.00', entry_id: approved.body.entry_id })]);

    payouts.script.push('refuse');
    const refused = await request(user, accountId, '80.00', { payout_provider: 'bank', destination: 'acct_closed' });
    const failed = await post(`/admin/withdrawals/${refused.id}/approve`, admin);
    expect(failed.body).toMatchObject({ status: 'failed', note: 'destination account closed', entry_id: null });
    expect(payouts.payouts.has(refused.id)).toBe(false);
    expect(await account(user, accountId)).toMatchObject({ balance: '380.00', held: '0.00' });
    const audit = (await server.engine.admin.auditLogs({ limit: 500 })).filter((r) => r.targetId === refused.id).map((r) => r.action);
    expect(audit).toEqual(expect.arrayContaining(['withdrawal.approved', 'withdrawal.failed']));

    // A provider that accepts the payout for later leaves it paying until an operator records the outcome.
    payouts.script.push('pending');
    const later = await request(user, accountId, '30.00', { payout_provider: 'bank', destination: 'acct_later' });
    expect((await post(`/admin/withdrawals/${later.id}/approve`, admin)).body).toMatchObject({ status: 'paying', payout_reference: payouts.payouts.get(later.id)!.id });
    expectProblem(await post(`/admin/withdrawals/${later.id}/reject`, admin, { reason: 'too late' }), 409, 'withdrawal_not_pending');
    expect((await post(`/admin/withdrawals/${later.id}/complete`, second, { reference: 'po-confirmed' })).body).toMatchObject({ status: 'completed' });
    expect(await account(user, accountId)).toMatchObject({ balance: '350.00', held: '0.00' });
  });

  it.each(['hang', 'drop'] as const)('keeps a payout whose call %s paying, and the job pays it once with the same key', async (answer) => {
    const { user, accountId } = await holder('200.00');
    const w = await request(user, accountId, '70.00', { payout_provider: 'bank', destination: 'acct_slow' });
    payouts.script.push(answer);
    const approved = await post(`/admin/withdrawals/${w.id}/approve`, admin);
    expect(approved.body).toMatchObject({ status: 'paying', entry_id: null });
    // The bank made the payout; the answer was lost. The money is still held, not taken.
    expect(payouts.payouts.has(w.id)).toBe(true);
    expect(await account(user, accountId)).toMatchObject({ balance: '200.00', held: '70.00' });
    expectProblem(await post(`/wallet/withdrawals/${w.id}/cancel`, user), 409, 'withdrawal_not_pending');

    // Not retried before its backoff has passed.
    await server.engine.wallets.funding.retryPayouts();
    expect(payouts.calls.filter((c) => c.key === w.id)).toHaveLength(1);

    clock.advance(61_000);
    await server.engine.jobs.tick();
    const paid = (await get(`/wallet/withdrawals/${w.id}`, user)).body;
    expect(paid).toMatchObject({ status: 'completed', payout_reference: payouts.payouts.get(w.id)!.id });
    expect(payouts.calls.filter((c) => c.key === w.id).map((c) => c.key)).toEqual([w.id, w.id]);
    expect([...payouts.payouts.keys()].filter((k) => k === w.id)).toHaveLength(1);
    expect(await payoutEntries(user, accountId)).toEqual([expect.objectContaining({ amount: '-70.00' })]);
    expect(await account(user, accountId)).toMatchObject({ balance: '130.00', held: '0.00' });
    // Completed, it is never called again.
    clock.advance(3_600_000);
    await server.engine.wallets.funding.retryPayouts();
    expect(payouts.calls.filter((c) => c.key === w.id)).toHaveLength(2);
  });

  it('keeps money deposited within the clearing window from leaving, and lets it go once cleared', async () => {
    const { user, accountId } = await holder('100.00');
    await server.engine.wallets.funding.confirmDeposit('card', { sourceReference: `pi_${process.pid}_${kind}`, accountId, amount: '300.00', currency: 'USD' });
    // 400 on the account, 300 of it not cleared: the 100 that has cleared may leave.
    const fits = await request(user, accountId, '100.00');
    expect((await post(`/admin/withdrawals/${fits.id}/approve`, admin)).body.status).toBe('approved');
    // Now 100 is held by that withdrawal and 300 has not cleared: nothing more may leave.
    const tooMuch = await request(user, accountId, '150.00');
    expectProblem(await post(`/admin/withdrawals/${tooMuch.id}/approve`, admin), 409, 'funds_not_cleared');
    expect((await get(`/wallet/withdrawals/${tooMuch.id}`, user)).body).toMatchObject({ status: 'pending', approvals: [] });

    clock.advance((CLEARING_SECONDS + 1) * 1000);
    expect((await post(`/admin/withdrawals/${tooMuch.id}/approve`, admin)).body.status).toBe('approved');
    expect(await account(user, accountId)).toMatchObject({ balance: '400.00', held: '250.00' });
  });
});
