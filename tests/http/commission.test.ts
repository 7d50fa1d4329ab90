import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, type Notification } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signIn, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const DAY = 86_400_000;
const D1 = Date.parse('2026-06-01T10:00:00.000Z');

/**
 * Commission over HTTP: performance fees against the high-water mark, markups, the platform's
 * and affiliates' shares, idempotent settlement — money checked to the cent in the ledger.
 */
describe.each(testDatabaseKinds())('commission and affiliates on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  const clock = manualClock(new Date(D1));
  let bar = 0;

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 60 * 24 * 3600 } });
    admin = await signUpAdmin(server);
  });
  afterAll(() => server.close());

  const post = (path: string, user: SignedIn, body?: Record<string, unknown>, headers?: Record<string, string>) => server.request('POST', path, { token: user.access, body, headers });
  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });
  const balance = async (user: SignedIn) => (await get('/wallet', user)).body.balance as string;

  /** Stores a one-minute bar closing at `close`, at `time`, and moves the clock past it. */
  async function price(symbol: string, close: number, time: number) {
    clock.set(new Date(time));
    const candle = { symbol, interval: '1m', open_time: new Date(time).toISOString(), open: close, high: close, low: close, close, volume: 1 };
    expect((await post('/market/candles', admin, { candles: [candle] })).status).toBe(200);
    clock.set(new Date(time + 60_000));
  }

  /** The master opens at 100 and closes at `exit` on `day` (copies follow). */
  async function masterRound(master: SignedIn, symbol: string, day: number, exit: number) {
    await price(symbol, 100, day);
    const opened = await post('/trades/execute', master, { symbol, side: 'BUY', stake: '10.00' }, { 'idempotency-key': `${symbol}-${(bar += 1)}` });
    expect(opened.status, opened.text).toBe(201);
    await price(symbol, exit, day + 2 * 60_000);
    expect((await post(`/trades/${opened.body.id}/close`, master)).status).toBe(200);
  }

  async function settle(period: string) {
    const res = await post('/admin/commission/settle', admin, { period });
    expect(res.status, res.text).toBe(200);
    return res.body as { period: string; statements: number; markups: number; skipped: number };
  }

  it('charges the performance fee on new highs only: gain, loss, recovery below the mark, new high', async () => {
    const master = await signUp(server);
    const masterId = (await post('/masters', master, { display_name: 'Highs' })).body.id as string;
    const follower = await signUp(server);
    const sub = (await post('/subscriptions', follower, { master_id: masterId, copy_mode: 'fixed', stake: '100.00' })).body;

    await masterRound(master, 'HWMUSD', D1, 110); // copy +10.00
    clock.set(new Date(D1 + DAY));
    // Two settlements at once (two instances, or the job and an admin) charge once.
    const both = await Promise.all([settle('2026-06-01'), settle('2026-06-01')]);
    expect(both.map((r) => r.statements).sort()).toEqual([0, 1]);
    await masterRound(master, 'HWMUSD', D1 + DAY, 95); // copy −5.00
    clock.set(new Date(D1 + 2 * DAY));
    expect(await settle('2026-06-02')).toMatchObject({ statements: 1 });
    await masterRound(master, 'HWMUSD', D1 + 2 * DAY, 103); // copy +3.00: equity 8.00, still below 10.00
    clock.set(new Date(D1 + 3 * DAY));
    expect(await settle('2026-06-03')).toMatchObject({ statements: 1 });
    await masterRound(master, 'HWMUSD', D1 + 3 * DAY, 104); // copy +4.00: equity 12.00, 2.00 over the mark
    clock.set(new Date(D1 + 4 * DAY));
    expect(await settle('2026-06-04')).toMatchObject({ statements: 1 });

    // Running it again, or an earlier period, charges nothing more; a quiet day writes nothing.
    expect(await settle('2026-06-04')).toMatchObject({ statements: 0, markups: 0, skipped: 1 });
    expect(await settle('2026-06-02')).toMatchObject({ statements: 0 });
    clock.set(new Date(D1 + 5 * DAY));
    expect(await settle('2026-06-05')).toMatchObject({ statements: 0, skipped: 1 });

    const fees = (await get('/commission/statements?kind=performance_fee', follower)).body.charges as Record<string, unknown>[];
    expect(fees.map((c) => [c.period, c.profit, c.equity, c.high_water_mark, c.fee, c.charged])).toEqual([
      ['2026-06-04', '4.00', '12.00', { before: '10.00', after: '12.00' }, '0.40', '0.40'],
      ['2026-06-03', '3.00', '8.00', { before: '10.00', after: '10.00' }, '0.00', '0.00'],
      ['2026-06-02', '-5.00', '5.00', { before: '10.00', after: '10.00' }, '0.00', '0.00'],
      // No mark yet: seed 002's plain formula, profit × 20 %.
      ['2026-06-01', '10.00', '10.00', { before: null, after: '10.00' }, '2.00', '2.00'],
    ]);
    expect(fees[0]).toMatchObject({ kind: 'performance_fee', subscription_id: sub.subscription_id, rate: '0.20', split: { master: '0.32', platform: '0.08', affiliate: '0.00' }, shortfall: '0.00' });

    // Markups (10 %) on each profitable copy, at its close.
    const markups = (await get('/commission/statements?kind=markup', follower)).body.charges as Record<string, unknown>[];
    expect(markups.map((c) => [c.profit, c.fee])).toEqual([
      ['4.00', '0.40'],
      ['3.00', '0.30'],
      ['10.00', '1.00'],
    ]);
    // Follower: 10,000 + 10 − 5 + 3 + 4 − markups 1.70 − fees 2.40. Master: own trades +1.20, plus 80 % of 4.10.
    expect(await balance(follower)).toBe('10007.90');
    expect(await balance(master)).toBe('10004.48');
    // The master sees the same charges as earned; a stranger sees none.
    expect((await get('/commission/statements?as=master', master)).body.charges).toHaveLength(7);
    expect((await get('/commission/statements?as=master', follower)).body.charges).toEqual([]);
    expect((await get('/commission/statements', await signUp(server))).body.charges).toEqual([]);
    const report = await server.engine.wallets.verifyLedger();
    expect(report.ok).toBe(true);
    // Each charge told both sides; the free statements told nobody.
    const told = (await get('/notifications?limit=200', follower)).body.notifications.filter((n: { type: string }) => n.type === 'commission.charged');
    expect(told.map((n: { title: string }) => n.title)).toEqual([
      'Performance fee charged: 0.40 USD',
      'Markup charged: 0.40 USD',
      'Markup charged: 0.30 USD',
      'Performance fee charged: 2.00 USD',
      'Markup charged: 1.00 USD',
    ]);
    expect((await get('/notifications?limit=200', master)).body.notifications.filter((n: { type: string }) => n.type === 'commission.earned')).toHaveLength(5);
  });

  it('pays the affiliate its share of the platform’s part of fees from users it referred', async () => {
    const affiliate = await signUp(server);
    const code = (await get('/users/affiliate/code', affiliate)).body.code as string;
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    expect((await get('/users/affiliate/code', affiliate)).body.code).toBe(code);
    const referred = await signUp(server, undefined, { referral_code: code.replace('-', '').toLowerCase() });
    const master = await signUp(server);
    const masterId = (await post('/masters', master, { display_name: 'Shared', markup_rate: '0.25' })).body.id as string;
    expect((await post('/subscriptions', referred, { master_id: masterId, copy_mode: 'fixed', stake: '100.00' })).status).toBe(201);

    await masterRound(master, 'AFFUSD', D1 + 10 * DAY, 120); // copy +20.00 → markup 5.00
    const [markup] = (await get('/commission/statements', referred)).body.charges;
    // Platform 20 % of 5.00 = 1.00, of which the affiliate gets 10 %.
    expect(markup).toMatchObject({ kind: 'markup', fee: '5.00', charged: '5.00', split: { master: '4.00', platform: '0.90', affiliate: '0.10' } });
    expect(await balance(affiliate)).toBe('10000.10');
    expect((await get('/users/affiliate/stats', affiliate)).body).toEqual({ code, referred_users: 1, active_users: 1, commission_earned: [{ currency: 'USD', amount: '0.10' }] });
    expect((await get('/users/affiliate/stats', referred)).body).toEqual({ code: null, referred_users: 0, active_users: 0, commission_earned: [] });
  });

  it('charges what the balance holds when it falls short, and refuses periods that are not over or not periods', async () => {
    const master = await signUp(server);
    const masterId = (await post('/masters', master, { display_name: 'Short', performance_fee_rate: '0.50' })).body.id as string;
    const follower = await signUp(server);
    expect((await post('/subscriptions', follower, { master_id: masterId, copy_mode: 'fixed', stake: '100.00' })).status).toBe(201);
    const day = D1 + 20 * DAY;
    await masterRound(master, 'SHRUSD', day, 150); // copy +50.00, markup 5.00
    // The follower moves nearly everything out before the period settles.
    const left = (await balance(follower)).split('.');
    const all = `${Number(left[0]) - 1}.${left[1]}`;
    expect((await post('/wallet/withdraw', follower, { amount: all, currency: 'USD' }, { 'idempotency-key': 'drain' })).status).toBe(200);
    expect(await balance(follower)).toBe('1.00');
    clock.set(new Date(day + DAY));
    await settle('2026-06-21');
    const [fee] = (await get('/commission/statements?kind=performance_fee', follower)).body.charges;
    expect(fee).toMatchObject({ fee: '25.00', charged: '1.00', shortfall: '24.00', high_water_mark: { after: '50.00' } });
    expect(await balance(follower)).toBe('0.00');

    const notOver = await post('/admin/commission/settle', admin, { period: '2026-06-22' });
    expectProblem(notOver, 422, 'validation_failed');
    expect(notOver.body.errors).toEqual([expect.objectContaining({ path: 'period', code: 'not_over' })]);
    expect((await post('/admin/commission/settle', admin, { period: '2026-13-01' })).body.errors).toEqual([expect.objectContaining({ path: 'period', code: 'not_a_period' })]);
    expectProblem(await get('/commission/statements?period=June', follower), 422, 'validation_failed');
    expect((await server.engine.wallets.verifyLedger()).ok).toBe(true);
  });

  it('takes protection events from the terminal once per event id, filters them by subscription and sums them up', async () => {
    const master = await signUp(server);
    const masterId = (await post('/masters', master, { display_name: 'Guarded' })).body.id as string;
    const follower = await signUp(server);
    const sub = (await post('/subscriptions', follower, { master_id: masterId, copy_mode: 'fixed', stake: '5.00' })).body;
    const license = { authorization: `License ${sub.license_token}` };
    const report = (body: Record<string, unknown>, headers = license) => server.request('POST', '/protection-events', { headers, body });
    const at = new Date(D1 + 30 * DAY).toISOString();
    clock.set(new Date(D1 + 30 * DAY + 60_000));

    const first = await report({ event_id: 'ea-1', reason: 'spread_too_wide', symbol: 'EURUSD', side: 'BUY', stake: '5.00', currency: 'USD', details: { spread: 3.2 }, occurred_at: at });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ source: 'ea', subscription_id: sub.subscription_id, reason: 'spread_too_wide', stake: '5.00', details: { spread: 3.2 } });
    const again = await report({ event_id: 'ea-1', reason: 'spread_too_wide', symbol: 'EURUSD', occurred_at: at });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await report({ event_id: 'ea-2', reason: 'slippage', symbol: 'EURUSD', occurred_at: at })).status).toBe(201);
    expect((await report({ event_id: 'ea-3', reason: 'slippage', symbol: 'GBPUSD', occurred_at: new Date(D1 + 31 * DAY).toISOString() })).status).toBe(201);

    // Bad reports change nothing.
    const before = (await get(`/protection-events?subscription_id=${sub.subscription_id}`, follower)).body.events.length;
    expectProblem(await report({ event_id: 'ea-4', reason: 'bored', occurred_at: at }), 422, 'validation_failed');
    expectProblem(await report({ event_id: 'ea-5', reason: 'other', details: { blob: 'x'.repeat(4097) }, occurred_at: at }), 422, 'validation_failed');
    expectProblem(await report({ event_id: 'ea-6', reason: 'other', stake: '5.00', occurred_at: at }), 422, 'validation_failed');
    expectProblem(await report({ event_id: 'ea-7', reason: 'other', occurred_at: at }, { authorization: 'License tpl_' + 'x'.repeat(40) }), 401, 'invalid_token');
    expectProblem(await server.request('POST', '/protection-events', { token: follower.access, body: { event_id: 'ea-8', reason: 'other', occurred_at: at } }), 401, 'unauthenticated');
    expect((await get(`/protection-events?subscription_id=${sub.subscription_id}`, follower)).body.events).toHaveLength(before);
    expect(before).toBe(3);

    const summary = async (groupBy: string) => (await get(`/protection-events/summary?group_by=${groupBy}&subscription_id=${sub.subscription_id}`, follower)).body;
    expect(await summary('reason')).toEqual({ group_by: 'reason', total: 3, groups: [{ key: 'slippage', count: 2 }, { key: 'spread_too_wide', count: 1 }] });
    expect(await summary('symbol')).toEqual({ group_by: 'symbol', total: 3, groups: [{ key: 'EURUSD', count: 2 }, { key: 'GBPUSD', count: 1 }] });
    expect(await summary('day')).toEqual({ group_by: 'day', total: 3, groups: [{ key: '2026-07-01', count: 2 }, { key: '2026-07-02', count: 1 }] });
    // Another user's summary of the same subscription is empty; only admins may name a user.
    const stranger = await signUp(server);
    expect((await get(`/protection-events/summary?subscription_id=${sub.subscription_id}`, stranger)).body.total).toBe(0);
    expectProblem(await get(`/protection-events/summary?user_id=${follower.id}`, stranger), 403, 'forbidden');
    expect((await get(`/protection-events/summary?user_id=${follower.id}`, admin)).body.total).toBe(3);

    // A cancelled subscription's license can no longer report.
    expect((await post(`/subscriptions/${sub.subscription_id}/cancel`, follower)).status).toBe(200);
    const late = await report({ event_id: 'ea-9', reason: 'other', occurred_at: at });
    expectProblem(late, 409, 'conflict');
  });

  it('notifies users of deposits, subscriptions, fees, refusals and admins’ actions, and announces each after commit', async () => {
    const heard: Notification[] = [];
    const stop = server.engine.notifications.subscribe((n) => void heard.push(n));
    try {
      let user = await signUp(server);
      const deposited = await post('/wallet/deposit', user, { amount: '25.00', currency: 'USD' }, { 'idempotency-key': 'n-dep' });
      expect(deposited.status).toBe(200);
      // A replay is not a second deposit, nor a second notification.
      expect((await post('/wallet/deposit', user, { amount: '25.00', currency: 'USD' }, { 'idempotency-key': 'n-dep' })).status).toBe(200);
      // A refused withdrawal writes no notification.
      expect((await post('/wallet/withdraw', user, { amount: '999999.00', currency: 'USD' }, { 'idempotency-key': 'n-wd' })).status).toBe(409);
      const master = await signUp(server);
      const masterId = (await post('/masters', master, { display_name: 'Noisy' })).body.id as string;
      const sub = (await post('/subscriptions', user, { master_id: masterId, copy_mode: 'fixed', stake: '5.00' })).body;
      // Refused for the user's protection: a stake below the minimum.
      await price('NOTUSD', 10, D1 + 40 * DAY);
      expect((await post('/trades/execute', user, { symbol: 'NOTUSD', side: 'BUY', stake: '0.01' }, { 'idempotency-key': 'n-tiny' })).status).toBe(409);
      expect((await post(`/subscriptions/${sub.subscription_id}/pause`, user)).status).toBe(200);
      expect((await post(`/admin/users/${user.id}/disable`, admin)).status).toBe(200);
      expect((await post(`/admin/users/${user.id}/enable`, admin)).status).toBe(200);
      user = await signIn(server, user.email, user.password, user.id); // disabling ended the sessions

      const list = (await get('/notifications', user)).body;
      expect(list.notifications.map((n: { type: string }) => n.type)).toEqual(['admin.action', 'admin.action', 'subscription.paused', 'protection.event', 'subscription.created', 'wallet.deposit']);
      expect(list.unread).toBe(6);
      expect(list.notifications[0]).toMatchObject({ title: 'Your account was enabled again', data: { action: 'admin.user_enabled' } });
      expect(list.notifications[3]).toMatchObject({ data: { reason: 'stake_below_min', symbol: 'NOTUSD', source: 'risk' } });
      expect(list.notifications[5]).toMatchObject({ title: 'Deposit of 25.00 USD', read: false, read_at: null, data: { amount: '25.00', currency: 'USD', balance: deposited.body.account.balance } });
      expect((await get('/notifications', master)).body.notifications.map((n: { type: string }) => n.type)).toEqual(['master.follower_joined']);
      // The hook heard each one, after its commit.
      expect(heard.filter((n) => n.userId === user.id).map((n) => n.type).sort()).toEqual(['admin.action', 'admin.action', 'protection.event', 'subscription.created', 'subscription.paused', 'wallet.deposit']);
      expect(heard.find((n) => n.type === 'wallet.deposit' && n.userId === user.id)).toMatchObject({ id: list.notifications[5].id, data: list.notifications[5].data });

      const one = await post(`/notifications/${list.notifications[5].id}/read`, user);
      expect(one.body).toMatchObject({ read: true, read_at: expect.any(String) });
      expect((await get('/notifications?unread=true', user)).body).toMatchObject({ unread: 5 });
      expectProblem(await post(`/notifications/${list.notifications[0].id}/read`, master), 404, 'not_found');
      expect((await post('/notifications/read-all', user)).body).toEqual({ updated: 5 });
      expect((await get('/notifications?unread=true', user)).body).toEqual({ notifications: [], unread: 0, next_cursor: null });
    } finally {
      stop();
    }
  });
});
