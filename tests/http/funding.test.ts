import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

let keys = 0;
const idem = () => ({ 'idempotency-key': `funding-${process.pid}-${++keys}` });

/**
 * Real money enters only from a verified source and leaves only through a completed withdrawal;
 * demo money is capped. Every attack here was possible before: a user crediting a real account
 * on their word, and withdrawing it at once.
 */
describe.each(testDatabaseKinds())('real money and demo caps on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  let second: SignedIn;
  beforeAll(async () => {
    server = await startTestServer(kind, {
      wallets: { demo: { balance: '1000.00', maxBalance: '5000.00', topUpsPerDay: 3, maxAccounts: 2 }, operatorCredits: { secondApprovalAbove: '10000' } },
    });
    admin = await signUpAdmin(server);
    second = await signUpAdmin(server);
  });
  afterAll(() => server.close());
  afterEach(async () => {
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  const post = (path: string, user: SignedIn, body?: unknown, headers: Record<string, string> = idem()) => server.request('POST', path, { token: user.access, body, headers });
  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });

  /** A user with a real USD account, at zero. */
  async function realAccountHolder(): Promise<{ user: SignedIn; accountId: string }> {
    const user = await signUp(server);
    const opened = await post('/accounts', user, { currency: 'USD' }, {});
    expect(opened.status, opened.text).toBe(201);
    return { user, accountId: opened.body.id };
  }

  async function credit(accountId: string, amount: string, by = admin) {
    const res = await post(`/admin/accounts/${accountId}/credit`, by, { amount, currency: 'USD', reason: 'bank transfer received', reference: 'bank-1' });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  it('refuses a user’s deposit into a real account, from a session or an API key, and writes nothing', async () => {
    const { user, accountId } = await realAccountHolder();
    const before = await server.db.snapshot();
    const deposit = await post('/wallet/deposit', user, { amount: '1000000000.00', currency: 'USD', account_id: accountId });
    expectProblem(deposit, 403, 'funding_provider_required');

    const key = await post('/api-keys', user, { name: 'bot', scopes: ['wallet:write'] }, {});
    expect(key.status, key.text).toBe(201);
    const byKey = await server.request('POST', '/wallet/deposit', { headers: { 'x-api-key': key.body.key, ...idem() }, body: { amount: '5.00', currency: 'USD', account_id: accountId } });
    expectProblem(byKey, 403, 'funding_provider_required');

    expect(await server.db.snapshot({ except: ['api_keys', 'audit_logs', 'sessions', 'refresh_tokens'] })).toEqual(await snapshotExcept(before, ['api_keys', 'audit_logs', 'sessions', 'refresh_tokens']));
    expect((await get(`/accounts/${accountId}`, user)).body).toMatchObject({ balance: '0.00', available: '0.00' });
  });

  it('credits a real account only by an audited operator credit, with a second operator above the limit', async () => {
    const { user, accountId } = await realAccountHolder();
    const small = await credit(accountId, '250.00');
    expect(small).toMatchObject({ status: 'completed', amount: '250.00', requested_by: admin.id, resolved_by: admin.id, reason: 'bank transfer received' });
    expect((await get(`/accounts/${accountId}`, user)).body.balance).toBe('250.00');
    const history = await get(`/wallet/transactions?account=${accountId}`, user);
    expect(history.body.transactions[0]).toMatchObject({ kind: 'deposit', amount: '250.00', entry_id: small.entry_id });

    const large = await credit(accountId, '20000.00');
    expect(large).toMatchObject({ status: 'pending_approval', entry_id: null });
    expect((await get(`/accounts/${accountId}`, user)).body.balance).toBe('250.00');
    expectProblem(await post(`/admin/credits/${large.id}/approve`, admin, undefined, {}), 403, 'forbidden');
    expect((await get(`/accounts/${accountId}`, user)).body.balance).toBe('250.00');
    const approved = await post(`/admin/credits/${large.id}/approve`, second, undefined, {});
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toMatchObject({ status: 'completed', resolved_by: second.id });
    expect((await get(`/accounts/${accountId}`, user)).body.balance).toBe('20250.00');
    expectProblem(await post(`/admin/credits/${large.id}/approve`, second, undefined, {}), 409, 'credit_not_pending');

    const refused = await credit(accountId, '50000.00');
    const rejected = await post(`/admin/credits/${refused.id}/reject`, second, { reason: 'no matching bank transfer' }, {});
    expect(rejected.body).toMatchObject({ status: 'rejected', note: 'no matching bank transfer' });
    expectProblem(await post(`/admin/credits/${refused.id}/approve`, second, undefined, {}), 409, 'credit_not_pending');
    expect((await get(`/accounts/${accountId}`, user)).body.balance).toBe('20250.00');

    const pending = await get('/admin/credits?status=pending_approval', admin);
    expect(pending.body.credits.map((c: { id: string }) => c.id)).not.toContain(large.id);
    const actions = (await server.engine.admin.auditLogs({ limit: 200 })).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['credit.posted', 'credit.requested', 'credit.approved', 'credit.rejected']));

    // A correction is no back door around the second operator.
    const adjust = await post(`/admin/accounts/${accountId}/adjust`, admin, { direction: 'credit', amount: '20000.00', currency: 'USD', reason: 'fat finger' });
    expectProblem(adjust, 409, 'second_approval_required');
    expect((await get(`/accounts/${accountId}`, user)).body.balance).toBe('20250.00');
    // Only real accounts take operator credits; a user cannot reach the route at all.
    const demo = (await get('/wallet', user)).body;
    expectProblem(await post(`/admin/accounts/${demo.id}/credit`, admin, { amount: '1.00', currency: 'USD', reason: 'free money' }), 422, 'transfer_not_allowed');
    expectProblem(await post(`/admin/accounts/${accountId}/credit`, user, { amount: '1.00', currency: 'USD', reason: 'free money' }), 403, 'forbidden');
  });

  it('holds a real withdrawal until an operator approves and completes it; rejected or cancelled, the money is available again', async () => {
    const { user, accountId } = await realAccountHolder();
    await credit(accountId, '100.00');
    const requested = await post('/wallet/withdraw', user, { amount: '60.00', currency: 'USD', account_id: accountId, reference: 'to my bank' });
    expect(requested.status, requested.text).toBe(202);
    expect(requested.body).toMatchObject({ transaction: null, withdrawal: { status: 'pending', amount: '60.00', reference: 'to my bank' }, account: { balance: '100.00', held: '60.00', available: '40.00' } });
    const withdrawalId = requested.body.withdrawal.id;
    expectProblem(await post('/wallet/withdraw', user, { amount: '50.00', currency: 'USD', account_id: accountId }), 409, 'insufficient_funds');
    // Nor can the held money be moved elsewhere meanwhile.
    const other = await post('/accounts', user, { currency: 'USD' }, {});
    expectProblem(await post('/wallet/transfer', user, { from_account_id: accountId, to_account_id: other.body.id, amount: '50.00', currency: 'USD' }), 409, 'insufficient_funds');

    expect((await get('/wallet/withdrawals', user)).body.withdrawals).toEqual([expect.objectContaining({ id: withdrawalId, status: 'pending' })]);
    const intruder = await signUp(server);
    expectProblem(await get(`/wallet/withdrawals/${withdrawalId}`, intruder), 404, 'not_found');
    expectProblem(await post(`/wallet/withdrawals/${withdrawalId}/cancel`, intruder, undefined, {}), 404, 'not_found');
    expectProblem(await post(`/admin/withdrawals/${withdrawalId}/complete`, user, {}, {}), 403, 'forbidden');

    // Paid out only once an operator approved it.
    expectProblem(await post(`/admin/withdrawals/${withdrawalId}/complete`, admin, { reference: 'wire-77' }, {}), 409, 'withdrawal_not_approved');
    expect((await post(`/admin/withdrawals/${withdrawalId}/approve`, admin, undefined, {})).body).toMatchObject({ status: 'approved' });
    const completed = await post(`/admin/withdrawals/${withdrawalId}/complete`, admin, { reference: 'wire-77' }, {});
    expect(completed.status, completed.text).toBe(200);
    expect(completed.body).toMatchObject({ status: 'completed', source: 'operator', source_reference: 'wire-77', resolved_by: admin.id });
    expect((await get(`/accounts/${accountId}`, user)).body).toMatchObject({ balance: '40.00', held: '0.00', available: '40.00' });
    const history = await get(`/wallet/transactions?account=${accountId}&kind=withdrawal`, user);
    expect(history.body.transactions).toEqual([expect.objectContaining({ amount: '-60.00', balance_after: '40.00', entry_id: completed.body.entry_id })]);
    expectProblem(await post(`/admin/withdrawals/${withdrawalId}/reject`, admin, { reason: 'too late' }, {}), 409, 'withdrawal_not_pending');

    const second = await post('/wallet/withdraw', user, { amount: '30.00', currency: 'USD', account_id: accountId });
    const rejected = await post(`/admin/withdrawals/${second.body.withdrawal.id}/reject`, admin, { reason: 'account under review' }, {});
    expect(rejected.body).toMatchObject({ status: 'rejected', note: 'account under review' });
    expect((await get(`/accounts/${accountId}`, user)).body).toMatchObject({ balance: '40.00', held: '0.00', available: '40.00' });

    const third = await post('/wallet/withdraw', user, { amount: '10.00', currency: 'USD', account_id: accountId });
    const cancelled = await post(`/wallet/withdrawals/${third.body.withdrawal.id}/cancel`, user, undefined, {});
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect((await get(`/accounts/${accountId}`, user)).body).toMatchObject({ balance: '40.00', held: '0.00' });
    expectProblem(await post(`/admin/withdrawals/${third.body.withdrawal.id}/complete`, admin, {}, {}), 409, 'withdrawal_not_pending');

    const pending = await get('/admin/withdrawals?status=pending', admin);
    expect(pending.body.withdrawals.filter((w: { user_id: string }) => w.user_id === user.id)).toEqual([]);
    const actions = (await server.engine.admin.auditLogs({ limit: 200 })).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['withdrawal.completed', 'withdrawal.rejected']));
  });

  it('pays a demo withdrawal at once, and replays a real one for a retried request', async () => {
    const { user, accountId } = await realAccountHolder();
    await credit(accountId, '20.00');
    const demo = await post('/wallet/withdraw', user, { amount: '5.00', currency: 'USD' });
    expect(demo.status, demo.text).toBe(200);
    expect(demo.body).toMatchObject({ withdrawal: null, transaction: { kind: 'withdrawal', amount: '-5.00' } });

    const headers = idem();
    const first = await post('/wallet/withdraw', user, { amount: '15.00', currency: 'USD', account_id: accountId }, headers);
    const retry = await post('/wallet/withdraw', user, { amount: '15.00', currency: 'USD', account_id: accountId }, headers);
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(retry.body.withdrawal.id).toBe(first.body.withdrawal.id);
    expect((await get('/wallet/withdrawals', user)).body.withdrawals).toHaveLength(1);
    expect((await get(`/accounts/${accountId}`, user)).body).toMatchObject({ held: '15.00', available: '5.00' });
  });

  it('credits a real account on a funding source’s confirmation once, whatever it retries, and never a demo account', async () => {
    const { user, accountId } = await realAccountHolder();
    const confirmation = { sourceReference: 'pi_123', accountId, amount: '75.00', currency: 'USD' };
    const first = await server.engine.wallets.funding.confirmDeposit('bank', confirmation);
    const again = await server.engine.wallets.funding.confirmDeposit('bank', confirmation);
    expect(again.transaction.entryId).toBe(first.transaction.entryId);
    expect(first.transaction).toMatchObject({ kind: 'deposit', amount: '75.00', metadata: { funding_source: 'bank', source_reference: 'pi_123' } });
    expect((await get(`/accounts/${accountId}`, user)).body.balance).toBe('75.00');
    await expect(server.engine.wallets.funding.confirmDeposit('bank', { ...confirmation, amount: '76.00' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    const demo = (await get('/wallet', user)).body;
    await expect(server.engine.wallets.funding.confirmDeposit('bank', { ...confirmation, sourceReference: 'pi_124', accountId: demo.id })).rejects.toMatchObject({ code: 'transfer_not_allowed' });
    expect((await get('/wallet', user)).body.balance).toBe('1000.00');
  });

  it('caps demo money: a balance cap, top-ups per day and demo accounts per user', async () => {
    const user = await signUp(server);
    expectProblem(await post('/wallet/deposit', user, { amount: '4000.01', currency: 'USD' }), 409, 'demo_limit_reached');
    expect((await get('/wallet', user)).body.balance).toBe('1000.00');
    for (let i = 0; i < 3; i++) expect((await post('/wallet/deposit', user, { amount: '10.00', currency: 'USD' })).status).toBe(200);
    const fourth = await post('/wallet/deposit', user, { amount: '10.00', currency: 'USD' });
    expectProblem(fourth, 409, 'demo_limit_reached');
    expect((await get('/wallet', user)).body.balance).toBe('1030.00');

    expect((await post('/accounts/demo', user, {}, {})).status).toBe(201);
    expectProblem(await post('/accounts/demo', user, {}, {}), 409, 'account_limit_reached');
  });
});

function snapshotExcept(snapshot: Record<string, unknown>, except: string[]) {
  return Object.fromEntries(Object.entries(snapshot).filter(([name]) => !except.includes(name)));
}
