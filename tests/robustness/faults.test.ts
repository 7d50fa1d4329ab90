import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOptionsSchema, createTradeplane, manualClock, silentLogger, uuidV7Ids, walletOptionsSchema, type HttpRequest, type Repositories, type Storage, type Tradeplane } from '@tradeplane/core';
import { openStorage, type MigratableStorage } from '@tradeplane/engine';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';
import { wrapMethods } from '../../packages/engine/src/storage/query-kit.js';

/**
 * Fault injection (issue 9): a storage wrapper makes the Nth repository call of an operation
 * fail (in a transaction or a single statement), for every N the operation reaches. Each failure must leave nothing partial (the
 * database as it was), answer a clear 500 problem+json, and keep the ledger verifying — on
 * both databases.
 */
class InjectedFault extends Error {}

function faulty(inner: Storage) {
  const plan = { failAt: 0, calls: 0 };
  // The engine's own method wrapper (the one that redacts driver errors), here counting calls.
  const wrap = (repos: Repositories): Repositories =>
    wrapMethods(repos, (operation, call) => {
      plan.calls += 1;
      return plan.calls === plan.failAt ? Promise.reject(new InjectedFault(`injected fault in ${operation}`)) : call();
    });
  const storage: Storage = {
    get dialect() {
      return inner.dialect;
    },
    // Statements inside transactions and single statements alike.
    get repos() {
      return wrap(inner.repos);
    },
    ping: () => inner.ping(),
    close: () => inner.close(),
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
  };
  return { storage, plan };
}

describe.each(testDatabaseKinds().filter((k) => k !== 'sqlite-file'))('fault injection on %s', (kind) => {
  let db: TestDatabase;
  let raw: MigratableStorage;
  let tp: Tradeplane;
  let plan: { failAt: number; calls: number };
  const clock = manualClock(new Date('2026-11-01T00:00:00.000Z'));
  let token: string;
  let otherAccount: string;
  let realAccount: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    raw = openStorage(db.database);
    await raw.migrate();
    const f = faulty(raw);
    plan = f.plan;
    tp = createTradeplane({
      storage: f.storage,
      clock,
      ids: uuidV7Ids(clock),
      logger: silentLogger,
      version: 'test',
      auth: { ...authOptionsSchema.parse({ passwordHashing: { memoryCost: 1024, timeCost: 1 } }), jwtSecret: 'fault-secret-fault-secret-fault-secret!' },
      wallets: walletOptionsSchema.parse({}),
      operations: { logRequests: false },
    });
    await tp.auth.register({ email: 'faulty@example.com', password: 'faulty-user-passphrase' });
    token = (await tp.auth.login({ email: 'faulty@example.com', password: 'faulty-user-passphrase' })).accessToken;
    const me = await tp.auth.authenticate(token);
    otherAccount = (await tp.wallets.openDemoAccount(me.userId)).id;
    await tp.market.ingest([{ symbol: 'FLTUSD', interval: '1m', openTime: new Date('2026-10-31T23:59:00.000Z'), open: 100, high: 100, low: 100, close: 100, volume: 1 }]);
    // A master per subscription attempt: subscribing twice to one master is refused by design.
    for (let n = 0; n < 40; n++) {
      const m = await tp.auth.register({ email: `master-${kind}-${n}@example.com`, password: 'fault-master-passphrase' });
      masters.push((await tp.copy.becomeMaster(m.id, { displayName: `M${n}` })).id);
    }
    // Users to act on or as, one per attempt: making someone a master, or disabling them, happens once.
    for (let n = 0; n < 40; n++) {
      const u = await tp.auth.register({ email: `extra-${kind}-${n}@example.com`, password: 'fault-extra-passphrase' });
      extras.push({ id: u.id, token: (await tp.auth.login({ email: `extra-${kind}-${n}@example.com`, password: 'fault-extra-passphrase' })).accessToken });
    }
    await tp.admin.setRole(null, me.userId, 'admin');
    token = (await tp.auth.login({ email: 'faulty@example.com', password: 'faulty-user-passphrase' })).accessToken;
    realAccount = (await tp.wallets.openAccount(me.userId, { currency: 'USD' })).id;
    // Twice: the first creates the `external` system account, which the service then remembers, so the probe counts the calls every attempt makes.
    for (const key of ['fault-fixture-1', 'fault-fixture-2']) await tp.wallets.funding.creditByOperator(me.userId, realAccount, { amount: '500.00', currency: 'USD', reason: 'fault fixture', idempotencyKey: key });
  });
  const masters: string[] = [];
  const extras: { id: string; token: string }[] = [];
  afterAll(async () => {
    await raw?.close();
    await db?.cleanup();
  });

  const request = (method: string, path: string, body?: unknown, key?: string): HttpRequest => ({
    method,
    path,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    ip: '192.0.2.1',
  });

  const operations: [string, (n: number) => HttpRequest][] = [
    ['deposit', (n) => request('POST', '/wallet/deposit', { amount: '3.00', currency: 'USD' }, `dep-${n}`)],
    ['withdraw', (n) => request('POST', '/wallet/withdraw', { amount: '2.00', currency: 'USD' }, `wd-${n}`)],
    ['real withdrawal request', (n) => request('POST', '/wallet/withdraw', { amount: '1.00', currency: 'USD', account_id: realAccount }, `rw-${n}`)],
    ['operator credit', (n) => request('POST', `/admin/accounts/${realAccount}/credit`, { amount: '1.00', currency: 'USD', reason: 'fault test' }, `oc-${n}`)],
    ['transfer', (n) => request('POST', '/wallet/transfer', { to_account_id: otherAccount, amount: '1.50', currency: 'USD' }, `tr-${n}`)],
    ['trade', (n) => request('POST', '/trades/execute', { symbol: 'FLTUSD', side: 'BUY', stake: '5.00' }, `tx-${n}`)],
    ['api key', () => request('POST', '/api-keys', { name: 'faulty', scopes: ['wallet:read'] })],
    ['sign-up', (n) => ({ ...request('POST', '/auth/register', { email: `new-${kind}-${n}@example.com`, password: 'fault-signup-passphrase' }), headers: { 'content-type': 'application/json' } })],
    ['demo account', () => request('POST', '/accounts/demo', {})],
    ['limit order', (n) => request('POST', '/orders', { symbol: 'FLTUSD', side: 'BUY', type: 'limit', price: 50, stake: '2.00' }, `lo-${n}`)],
    ['bot', () => request('POST', '/strategies', { name: 'faulty bot', symbol: 'FLTUSD', interval: '1m', strategies: [{ name: 'momentum' }] })],
    ['read all notifications', () => request('POST', '/notifications/read-all')],
    ['subscription', (n) => request('POST', '/subscriptions', { master_id: masters[n], copy_mode: 'fixed', stake: '1.00' })],
    ['commission settlement', () => request('POST', '/admin/commission/settle', { period: '2026-10-31' })],
    ['risk profile', (n) => request('PUT', '/risk/profile', { max_stake: `${900 + n}.00` })],
    ['becoming a master', (n) => ({ ...request('POST', '/masters', { display_name: `Master ${n}` }), headers: { authorization: `Bearer ${extras[n]!.token}`, 'content-type': 'application/json' } })],
    ['admin disabling a user', (n) => request('POST', `/admin/users/${extras[39 - n]!.id}/disable`)],
  ];

  it.each(operations)('%s: a fault at every statement leaves nothing partial, answers 500 problem+json, and the ledger verifies', async (name, make) => {
    // How many repository calls the operation makes when all goes well.
    plan.failAt = 0;
    plan.calls = 0;
    const probe = await tp.handle(make(0));
    expect(probe.status, probe.body ?? '').toBeLessThan(300);
    const total = plan.calls;
    expect(total).toBeGreaterThan(0);
    let recovered = 0;
    for (let n = 1; n <= total; n++) {
      const before = JSON.stringify(await db.snapshot());
      const openBefore = (await tp.trading.trades((await tp.auth.authenticate(token)).userId, { status: 'open' })).trades.length;
      plan.calls = 0;
      plan.failAt = n;
      const res = await tp.handle(make(n));
      plan.failAt = 0;
      const label = `fault at call ${n} of ${total} → ${res.status} ${res.body?.slice(0, 160)}`;
      if (name === 'trade' && res.status === 201) {
        // The fault hit recording the broker's fill, which is retried: the trade opened exactly once.
        const open = (await tp.trading.trades((await tp.auth.authenticate(token)).userId, { status: 'open' })).trades.length;
        expect(open, label).toBe(openBefore + 1);
        expect((await tp.wallets.verifyLedger()).ok, label).toBe(true);
        continue;
      }
      expect(res.status, label).toBe(500);
      expect(String(res.headers['content-type']), label).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body!), label).toMatchObject({ code: 'internal_error', status: 500 });
      expect(res.body, label).not.toContain('injected fault');
      const after = JSON.stringify(await db.snapshot());
      if (after !== before) {
        // A committed step stands (an order stored before the fault): allowed only for
        // idempotent requests. Their retry with the same key completes the operation, and a
        // further retry changes nothing — one effect, however often the client retries.
        const retry = make(n);
        expect(retry.headers['idempotency-key'], `${label}: a non-idempotent operation wrote part of itself`).toBeDefined();
        const again = await tp.handle(retry);
        expect(again.status, `${label}: retry → ${again.body?.slice(0, 160)}`).toBeLessThan(300);
        const completed = JSON.stringify(await db.snapshot());
        const third = await tp.handle(make(n));
        expect(third.status, `${label}: second retry → ${third.body?.slice(0, 160)}`).toBe(again.status);
        expect(JSON.stringify(await db.snapshot()), `${label}: a second retry wrote again`).toBe(completed);
        recovered += 1;
      }
    }
    expect((await tp.wallets.verifyLedger()).ok).toBe(true);
    console.info(`${kind} ${name}: ${total} faults injected, ${recovered} answered only by a retry of the committed operation`);
  });
});
