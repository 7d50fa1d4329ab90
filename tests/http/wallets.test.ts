import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

let keys = 0;
const idem = () => ({ 'idempotency-key': `http-${process.pid}-${++keys}` });

describe.each(testDatabaseKinds())('wallet routes on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind, { wallets: { demo: { balance: '100.00' }, currencies: [{ code: 'BTC', exponent: 8 }] } });
  });
  afterAll(() => server.close());

  const post = (path: string, user: SignedIn, body: unknown, headers: Record<string, string> = idem()) => server.request('POST', path, { token: user.access, body, headers });

  it('shows the default demo account opened at sign-up, and its history', async () => {
    const alice = await signUp(server);
    const wallet = await server.request('GET', '/wallet', { token: alice.access });
    expect(wallet.status).toBe(200);
    expect(wallet.body).toMatchObject({ currency: 'USD', kind: 'demo', is_default: true, balance: '100.00', held: '0.00', available: '100.00' });
    const history = await server.request('GET', '/wallet/transactions', { token: alice.access });
    expect(history.body).toMatchObject({ transactions: [{ kind: 'demo_faucet', amount: '100.00', balance_after: '100.00' }], next_cursor: null });
  });

  it('requires an Idempotency-Key on money routes, and replays a retry with Idempotency-Replayed', async () => {
    const alice = await signUp(server);
    const before = await server.db.snapshot();
    const missing = await post('/wallet/deposit', alice, { amount: '5.00', currency: 'USD' }, {});
    expectProblem(missing, 422, 'validation_failed');
    expect(missing.body.errors).toEqual([expect.objectContaining({ in: 'header', path: 'Idempotency-Key', code: 'required' })]);
    expect(await server.db.snapshot()).toEqual(before);

    const headers = idem();
    const first = await post('/wallet/deposit', alice, { amount: '5.00', currency: 'USD', reference: 'psp-42' }, headers);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    expect(first.body).toMatchObject({ transaction: { kind: 'deposit', amount: '5.00', balance_after: '105.00', reference: 'psp-42' }, account: { balance: '105.00' } });
    const retry = await post('/wallet/deposit', alice, { amount: '5.00', currency: 'USD', reference: 'psp-42' }, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(retry.text).toBe(first.text);
    const conflict = await post('/wallet/deposit', alice, { amount: '6.00', currency: 'USD', reference: 'psp-42' }, headers);
    expectProblem(conflict, 409, 'idempotency_conflict');
    expect((await server.request('GET', '/wallet', { token: alice.access })).body.balance).toBe('105.00');

    // A business failure is stored and replayed too.
    const withdrawal = idem();
    expectProblem(await post('/wallet/withdraw', alice, { amount: '500.00', currency: 'USD' }, withdrawal), 409, 'insufficient_funds');
    const replayed = await post('/wallet/withdraw', alice, { amount: '500.00', currency: 'USD' }, withdrawal);
    expectProblem(replayed, 409, 'insufficient_funds');
    expect(replayed.headers.get('idempotency-replayed')).toBe('true');
  });

  it('answers malformed amounts with 422 field errors and writes nothing', async () => {
    const alice = await signUp(server);
    const before = await server.db.snapshot();
    for (const [amount, code] of [
      ['1.001', 'too_many_decimals'],
      ['-5.00', 'invalid_format'],
      ['0', 'not_positive'],
      ['1e3', 'invalid_format'],
      ['92233720368547758.08', 'too_large'],
    ] as const) {
      const res = await post('/wallet/deposit', alice, { amount, currency: 'USD' });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', path: 'amount', code })]);
    }
    const numeric = await post('/wallet/deposit', alice, { amount: 5, currency: 'USD' });
    expect(numeric.body.errors).toEqual([expect.objectContaining({ path: 'amount', code: 'invalid_type' })]);
    const wrongCurrency = await post('/wallet/deposit', alice, { amount: '5.00', currency: 'EUR' });
    expectProblem(wrongCurrency, 422, 'currency_mismatch');
    expect(await server.db.snapshot()).toEqual(before);
  });

  it('lets exactly 100 of 200 concurrent withdrawals of 1.00 through against 100.00', async () => {
    const bob = await signUp(server);
    const responses = await Promise.all(Array.from({ length: 200 }, () => post('/wallet/withdraw', bob, { amount: '1.00', currency: 'USD' })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(responses.filter((r) => r.status === 409 && r.body.code === 'insufficient_funds')).toHaveLength(100);
    expect((await server.request('GET', '/wallet', { token: bob.access })).body).toMatchObject({ balance: '0.00', available: '0.00' });
  });

  it('manages accounts: list, open, default, balance; other users’ accounts are 404', async () => {
    const carol = await signUp(server);
    const dave = await signUp(server);
    const real = await post('/accounts', carol, { currency: 'BTC' });
    expect(real.status).toBe(201);
    expect(real.body).toMatchObject({ currency: 'BTC', kind: 'real', is_default: false, balance: '0.00000000' });
    const demo = await post('/accounts/demo', carol, undefined);
    expect(demo.status).toBe(201);
    expect(demo.body).toMatchObject({ kind: 'demo', balance: '100.00' });
    const switched = await server.request('PUT', `/accounts/${demo.body.id}/default`, { token: carol.access });
    expect(switched.body.is_default).toBe(true);
    expect((await server.request('GET', '/accounts/default', { token: carol.access })).body.id).toBe(demo.body.id);
    const list = await server.request('GET', '/accounts', { token: carol.access });
    expect(list.body.accounts.map((a: { is_default: boolean }) => a.is_default)).toEqual([false, false, true]);
    expect((await server.request('GET', `/accounts/${real.body.id}/balance`, { token: carol.access })).body).toEqual({
      account_id: real.body.id,
      currency: 'BTC',
      balance: '0.00000000',
      held: '0.00000000',
      available: '0.00000000',
    });
    expectProblem(await server.request('GET', `/accounts/${real.body.id}`, { token: dave.access }), 404, 'not_found');
    expectProblem(await post('/wallet/transfer', dave, { to_account_id: real.body.id, amount: '1.00', currency: 'USD' }), 404, 'not_found');

    const moved = await post('/wallet/transfer', carol, { to_account_id: list.body.accounts[0].id, amount: '2.50', currency: 'USD' });
    expect(moved.body).toMatchObject({ transaction: { kind: 'transfer', amount: '-2.50' }, account: { id: demo.body.id, balance: '97.50' } });
    const totals = await server.request('GET', '/billing/balance', { token: carol.access });
    expect(totals.body.totals).toEqual([
      { currency: 'BTC', kind: 'real', balance: '0.00000000', held: '0.00000000', available: '0.00000000', accounts: 1 },
      { currency: 'USD', kind: 'demo', balance: '200.00', held: '0.00', available: '200.00', accounts: 2 },
    ]);
    const all = await server.request('GET', '/billing/transactions?kind=transfer', { token: carol.access });
    expect(all.body.transactions.map((t: { amount: string }) => t.amount).sort()).toEqual(['-2.50', '2.50']);
  });

  it('honours API key scopes: wallet:read reads, only wallet:write moves money', async () => {
    const erin = await signUp(server);
    const created = await server.request('POST', '/api-keys', { token: erin.access, body: { name: 'reader', scopes: ['wallet:read'] } });
    expect(created.status).toBe(201);
    const apiKey = { 'x-api-key': created.body.key };
    expect((await server.request('GET', '/wallet', { headers: apiKey })).status).toBe(200);
    expectProblem(await server.request('POST', '/wallet/withdraw', { headers: { ...apiKey, ...idem() }, body: { amount: '1.00', currency: 'USD' } }), 403, 'insufficient_scope');
  });

  it('gives admins audited adjustments, reversals and a ledger check; users get 403', async () => {
    const admin = await signUpAdmin(server);
    const frank = await signUp(server);
    const account = (await server.request('GET', '/wallet', { token: frank.access })).body;
    expectProblem(await post(`/admin/accounts/${account.id}/adjust`, frank, { direction: 'credit', amount: '1.00', currency: 'USD', reason: 'self-service' }), 403, 'forbidden');
    const missingReason = await post(`/admin/accounts/${account.id}/adjust`, admin, { direction: 'credit', amount: '1.00', currency: 'USD' });
    expect(missingReason.body.errors).toEqual([expect.objectContaining({ path: 'reason' })]);
    const adjusted = await post(`/admin/accounts/${account.id}/adjust`, admin, { direction: 'credit', amount: '15.00', currency: 'USD', reason: 'goodwill credit' });
    expect(adjusted.body).toMatchObject({ transaction: { kind: 'adjustment', amount: '15.00', metadata: { reason: 'goodwill credit' } }, account: { balance: '115.00' } });
    const reversed = await post(`/admin/ledger/entries/${adjusted.body.transaction.entry_id}/reverse`, admin, { reason: 'credited the wrong user' });
    expect(reversed.status).toBe(200);
    expect(reversed.body.transactions).toContainEqual(expect.objectContaining({ account_id: account.id, amount: '-15.00', reverses_entry_id: adjusted.body.transaction.entry_id }));
    expectProblem(await post(`/admin/ledger/entries/${adjusted.body.transaction.entry_id}/reverse`, admin, { reason: 'once more' }), 409, 'already_reversed');
    const audit = await server.request('GET', `/admin/audit-logs?target_id=${account.id}`, { token: admin.access });
    expect(audit.body.audit_logs).toContainEqual(expect.objectContaining({ action: 'ledger.adjusted', actor_id: admin.id, details: expect.objectContaining({ reason: 'goodwill credit' }) }));
    const verified = await server.request('GET', '/admin/ledger/verify', { token: admin.access });
    expect(verified.body).toMatchObject({ ok: true, balance_mismatches: [], unbalanced_entries: [], currency_imbalances: [] });
    expect(verified.body.entries_checked).toBeGreaterThan(0);
  });
});
