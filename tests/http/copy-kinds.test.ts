import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const T0 = Date.parse('2026-07-01T10:00:00.000Z');
const MINUTE = 60_000;

/**
 * Demo and real money never meet in copy trading: a copy opens only on a follower account of
 * the master trade's kind, commission is paid in the kind that earned it, and a master's
 * followers and results are shown per kind.
 */
describe.each(testDatabaseKinds())('copy trading keeps demo and real apart on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  const clock = manualClock(new Date(T0));
  let minute = 0;
  let keys = 0;

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 30 * 24 * 3600 } });
    admin = await signUpAdmin(server);
  });
  afterAll(() => server.close());
  afterEach(async () => {
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  const post = (path: string, user: SignedIn, body?: Record<string, unknown>, headers?: Record<string, string>) =>
    server.request('POST', path, { token: user.access, body, headers: headers ?? { 'idempotency-key': `k-${(keys += 1)}` } });
  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });
  async function price(symbol: string, close: number) {
    const candle = { symbol, interval: '1m', open_time: new Date(T0 + minute * MINUTE).toISOString(), open: close, high: close, low: close, close, volume: 1 };
    minute += 1;
    clock.set(new Date(T0 + minute * MINUTE));
    const res = await post('/market/candles', admin, { candles: [candle] });
    expect(res.status, res.text).toBe(200);
  }
  /** Opens the user's real USD account and credits it the way real money arrives: an audited operator credit. */
  async function realAccount(user: SignedIn, amount: string): Promise<string> {
    const opened = await post('/accounts', user, { currency: 'USD' });
    expect(opened.status, opened.text).toBe(201);
    expect(opened.body.kind).toBe('real');
    const credited = await post(`/admin/accounts/${opened.body.id}/adjust`, admin, { direction: 'credit', amount, currency: 'USD', reason: 'test funding' });
    expect(credited.status, credited.text).toBe(200);
    return opened.body.id as string;
  }
  /** A system account's balance in minor units, read straight from the database. */
  async function systemBalance(code: string): Promise<bigint> {
    const rows = (await server.db.snapshot()).accounts!.filter((a) => a.system_code === code && a.currency === 'USD');
    return rows.length === 0 ? 0n : BigInt(String(rows[0]!.balance));
  }
  const account = async (user: SignedIn, id: string) => (await get(`/accounts/${id}`, user)).body as { balance: string; held: string; kind: string };
  const defaultAccount = async (user: SignedIn) => (await get('/accounts/default', user)).body as { id: string; balance: string; held: string; kind: string };
  const trades = async (user: SignedIn) => (await get('/trades', user)).body.trades as { account_id: string; stake: string; status: string; reference: string; pnl: string | null }[];
  async function master(name: string) {
    const user = await signUp(server);
    const res = await post('/masters', user, { display_name: name });
    expect(res.status, res.text).toBe(201);
    return { user, id: res.body.id as string };
  }
  async function round(boss: SignedIn, symbol: string, exit: number, accountId?: string) {
    await price(symbol, 100);
    const opened = await post('/trades/execute', boss, { symbol, side: 'BUY', stake: '10.00', ...(accountId ? { account_id: accountId } : {}) });
    expect(opened.status, opened.text).toBe(201);
    await price(symbol, exit);
    const closed = await post(`/trades/${opened.body.id}/close`, boss);
    expect(closed.status, closed.text).toBe(200);
    return opened.body.id as string;
  }

  it('copies a demo trade only onto demo accounts and a real trade only onto real accounts', async () => {
    const { user: boss, id } = await master('Kinds');
    const bossReal = await realAccount(boss, '1000.00');
    const realFollower = await signUp(server);
    const followerReal = await realAccount(realFollower, '1000.00');
    const demoFollower = await signUp(server);
    // The real follower stakes 500.00 real per copy.
    expect((await post('/subscriptions', realFollower, { master_id: id, account_id: followerReal, copy_mode: 'fixed', stake: '500.00' })).status).toBe(201);
    expect((await post('/subscriptions', demoFollower, { master_id: id, copy_mode: 'fixed', stake: '20.00' })).status).toBe(201);

    // A demo trade of the master: the demo follower copies it, the real follower's money does not move.
    await price('KNDUSD', 100);
    const demoTrade = await post('/trades/execute', boss, { symbol: 'KNDUSD', side: 'BUY', stake: '10.00' });
    expect(demoTrade.status, demoTrade.text).toBe(201);
    expect(await trades(realFollower)).toEqual([]);
    expect(await account(realFollower, followerReal)).toMatchObject({ balance: '1000.00', held: '0.00' });
    expect(await trades(demoFollower)).toMatchObject([{ stake: '20.00', status: 'open', reference: demoTrade.body.id, account_id: (await defaultAccount(demoFollower)).id }]);

    // A real trade of the master: the real follower copies it on the real account, the demo follower does not.
    const realTrade = await post('/trades/execute', boss, { symbol: 'KNDUSD', side: 'BUY', stake: '10.00', account_id: bossReal });
    expect(realTrade.status, realTrade.text).toBe(201);
    expect(await trades(realFollower)).toMatchObject([{ stake: '500.00', status: 'open', reference: realTrade.body.id, account_id: followerReal }]);
    expect(await account(realFollower, followerReal)).toMatchObject({ balance: '1000.00', held: '500.00' });
    expect((await trades(demoFollower)).map((t) => t.reference)).toEqual([demoTrade.body.id]);
  });

  it('follows the default account’s kind when the subscription names no account', async () => {
    const { user: boss, id } = await master('Default');
    const bossReal = await realAccount(boss, '1000.00');
    const follower = await signUp(server);
    const followerReal = await realAccount(follower, '1000.00');
    expect((await post('/subscriptions', follower, { master_id: id, copy_mode: 'fixed', stake: '5.00' })).status).toBe(201);
    // The default account is the demo one: a real trade is not copied onto it.
    await price('DEFUSD', 100);
    expect((await post('/trades/execute', boss, { symbol: 'DEFUSD', side: 'BUY', stake: '10.00', account_id: bossReal })).status).toBe(201);
    expect(await trades(follower)).toEqual([]);
    expect(await defaultAccount(follower)).toMatchObject({ kind: 'demo', held: '0.00' });
    expect(await account(follower, followerReal)).toMatchObject({ balance: '1000.00', held: '0.00' });
  });

  it('pays markup and performance fees in the kind of money that earned them', async () => {
    const { user: boss, id } = await master('Paid');
    const bossReal = await realAccount(boss, '1000.00');
    const bossDemo = (await defaultAccount(boss)).id;
    const realFollower = await signUp(server);
    const followerReal = await realAccount(realFollower, '1000.00');
    const demoFollower = await signUp(server);
    expect((await post('/subscriptions', realFollower, { master_id: id, account_id: followerReal, copy_mode: 'fixed', stake: '100.00' })).status).toBe(201);
    expect((await post('/subscriptions', demoFollower, { master_id: id, copy_mode: 'fixed', stake: '100.00' })).status).toBe(201);

    // A profitable demo trade: the demo copy earns 10.00 demo, markup 1.00 demo (master 0.80).
    const platform = await systemBalance('commission');
    await round(boss, 'PAYUSD', 110);
    // The platform's 0.20 of it is demo money: it goes back to the faucet, not into the commission account.
    expect(await systemBalance('commission')).toBe(platform);
    expect(await account(boss, bossReal)).toMatchObject({ balance: '1000.00' });
    expect(await account(realFollower, followerReal)).toMatchObject({ balance: '1000.00', held: '0.00' });
    expect((await account(boss, bossDemo)).balance).toBe('10001.80');
    expect((await get('/commission/statements', demoFollower)).body.charges).toMatchObject([{ kind: 'markup', account_id: (await defaultAccount(demoFollower)).id, charged: '1.00' }]);
    expect((await get('/commission/statements', realFollower)).body.charges).toEqual([]);

    // A profitable real trade: markup in real money, to the master's real account.
    await round(boss, 'PAYUSD', 120, bossReal);
    expect(await account(realFollower, followerReal)).toMatchObject({ balance: '1018.00', held: '0.00' }); // +20.00 − markup 2.00
    expect(await account(boss, bossReal)).toMatchObject({ balance: '1003.60' }); // own +2.00, 80 % of 2.00
    expect((await account(boss, bossDemo)).balance).toBe('10001.80');
    expect(await systemBalance('commission')).toBe(platform + 40n);

    // Performance fees: each account's copies, in its own money.
    clock.set(new Date(T0 + 2 * 86_400_000));
    minute = Math.ceil((clock.now().getTime() - T0) / MINUTE);
    const settled = await post('/admin/commission/settle', admin, { period: '2026-07-01' });
    expect(settled.status, settled.text).toBe(200);
    expect(await account(realFollower, followerReal)).toMatchObject({ balance: '1014.00' }); // 20 % of 20.00
    expect(await account(boss, bossReal)).toMatchObject({ balance: '1006.80' });
    expect((await account(boss, bossDemo)).balance).toBe('10003.40'); // 80 % of 20 % of 10.00
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  it('shows a master’s followers and results per kind: demo gains are not real performance', async () => {
    const { user: boss, id } = await master('Stats');
    const bossReal = await realAccount(boss, '1000.00');
    const realFollower = await signUp(server);
    const followerReal = await realAccount(realFollower, '1000.00');
    expect((await post('/subscriptions', realFollower, { master_id: id, account_id: followerReal, copy_mode: 'fixed', stake: '5.00' })).status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await post('/subscriptions', await signUp(server), { master_id: id, copy_mode: 'fixed', stake: '5.00' })).status).toBe(201);

    await round(boss, 'STAUSD', 150); // demo: +50 %
    await round(boss, 'STAUSD', 90, bossReal); // real: −10 %
    const shown = (await get(`/masters/${id}`, realFollower)).body;
    expect(shown.followers).toEqual({ real: 1, demo: 2 });
    expect(shown.stats).toEqual({
      real: { closed_trades: 1, return: -0.1, max_drawdown: expect.closeTo(0.1, 12) },
      demo: { closed_trades: 1, return: 0.5, max_drawdown: 0 },
    });
    const listed = (await get('/masters?limit=100', realFollower)).body.masters.find((m: { id: string }) => m.id === id);
    expect(listed).toMatchObject({ followers: shown.followers, stats: shown.stats });
  });
});
