import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

const T0 = Date.parse('2026-06-01T10:00:00.000Z');
const MINUTE = 60_000;

describe.each(testDatabaseKinds())('copy trading on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  const clock = manualClock(new Date(T0));
  let minute = 0;

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 30 * 24 * 3600 } });
    admin = await signUpAdmin(server);
  });
  afterAll(() => server.close());

  const post = (path: string, user: SignedIn, body?: Record<string, unknown>, headers?: Record<string, string>) => server.request('POST', path, { token: user.access, body, headers });
  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });
  const verify = (token: string) => server.request('GET', '/license/verify', { headers: { authorization: `License ${token}` } });
  async function price(symbol: string, close: number) {
    const candle = { symbol, interval: '1m', open_time: new Date(T0 + minute * MINUTE).toISOString(), open: close, high: close, low: close, close, volume: 1 };
    minute += 1;
    clock.set(new Date(T0 + minute * MINUTE));
    expect((await post('/market/candles', admin, { candles: [candle] })).status).toBe(200);
  }
  async function master(name = 'Alpha') {
    const user = await signUp(server);
    const res = await post('/masters', user, { display_name: name });
    expect(res.status, res.text).toBe(201);
    return { user, id: res.body.id as string };
  }

  it('makes a user a master once, with rates in range, listed publicly', async () => {
    const { user, id } = await master('Listed');
    expectProblem(await post('/masters', user, { display_name: 'Again' }), 409, 'conflict');
    const other = await signUp(server);
    const bad = await post('/masters', other, { display_name: 'Greedy', markup_rate: '0.60', performance_fee_rate: 'lots' });
    expectProblem(bad, 422, 'validation_failed');
    expect(bad.body.errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`)).toEqual(['markup_rate:out_of_range', 'performance_fee_rate:not_a_rate']);
    const listed = (await get('/masters?limit=100', other)).body.masters;
    expect(listed.find((m: { id: string }) => m.id === id)).toMatchObject({ display_name: 'Listed', markup_rate: '0.10', performance_fee_rate: '0.20', followers: { real: 0, demo: 0 }, stats: { real: { closed_trades: 0, return: null }, demo: { closed_trades: 0, return: null } } });
  });

  it('shows the license token once, in seed 000’s shape, and the terminal verifies with it', async () => {
    const { id } = await master();
    const follower = await signUp(server);
    const res = await post('/subscriptions', follower, { master_id: id, copy_mode: 'fixed', stake: '5.00' });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ subscription_id: expect.any(String), license_token: expect.stringMatching(/^tpl_[0-9A-Za-z]{40}$/), expires_at: null, message: "Save this token - it won't be shown again" });
    const stored = await get(`/subscriptions/${res.body.subscription_id}`, follower);
    expect(stored.body).toMatchObject({ status: 'active', copy_mode: 'fixed', stake: '5.00' });
    expect(JSON.stringify(stored.body)).not.toContain(res.body.license_token);
    expect(JSON.stringify((await get('/subscriptions', follower)).body)).not.toContain(res.body.license_token);

    const verified = await verify(res.body.license_token);
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({ copy: true, master: { id }, subscription: { id: res.body.subscription_id }, limits: { currency: 'USD', max_stake: '1000.00' } });
    expectProblem(await verify('tpl_' + 'x'.repeat(40)), 401, 'invalid_token');
    expectProblem(await server.request('GET', '/license/verify', { token: follower.access }), 401, 'unauthenticated');
  });

  it('refuses subscribing to yourself, twice, or without the mode’s settings', async () => {
    const { user, id } = await master();
    const self = await post('/subscriptions', user, { master_id: id, copy_mode: 'proportional' });
    expectProblem(self, 422, 'validation_failed');
    expect(self.body.errors[0]).toMatchObject({ path: 'master_id', code: 'own_master' });
    const follower = await signUp(server);
    const missing = await post('/subscriptions', follower, { master_id: id, copy_mode: 'multiplier', stake: '1.00' });
    expect(missing.body.errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`)).toEqual(['stake:not_allowed', 'multiplier:required']);
    expect((await post('/subscriptions', follower, { master_id: id, copy_mode: 'proportional' })).status).toBe(201);
    expectProblem(await post('/subscriptions', follower, { master_id: id, copy_mode: 'proportional' }), 409, 'conflict');
    expectProblem(await post('/subscriptions', follower, { master_id: 'nope', copy_mode: 'proportional' }), 404, 'not_found');
  });

  it('moves active ⇄ paused → cancelled, refuses the rest with the current state, and rotates the token', async () => {
    const { id } = await master();
    const follower = await signUp(server);
    const created = (await post('/subscriptions', follower, { master_id: id, copy_mode: 'multiplier', multiplier: '2' })).body;
    const sid = created.subscription_id;
    expect((await post(`/subscriptions/${sid}/pause`, follower)).body.status).toBe('paused');
    expect((await verify(created.license_token)).body.copy).toBe(false);
    const again = await post(`/subscriptions/${sid}/pause`, follower);
    expectProblem(again, 409, 'conflict');
    expect(again.body.errors[0].code).toBe('is_paused');
    expect((await post(`/subscriptions/${sid}/resume`, follower)).body.status).toBe('active');

    const rotated = await post(`/subscriptions/${sid}/rotate-token`, follower);
    expect(rotated.status).toBe(200);
    expect(rotated.body.license_token).not.toBe(created.license_token);
    expectProblem(await verify(created.license_token), 401, 'invalid_token');
    expect((await verify(rotated.body.license_token)).body.copy).toBe(true);

    expect((await post(`/subscriptions/${sid}/cancel`, follower)).body.status).toBe('cancelled');
    const resumed = await post(`/subscriptions/${sid}/resume`, follower);
    expectProblem(resumed, 409, 'conflict');
    expect(resumed.body.errors[0].code).toBe('is_cancelled');
    expectProblem(await post(`/subscriptions/${sid}/rotate-token`, follower), 409, 'conflict');
    // A cancelled subscription no longer blocks a new one to the same master.
    expect((await post('/subscriptions', follower, { master_id: id, copy_mode: 'proportional' })).status).toBe(201);

    const other = await signUp(server);
    expectProblem(await get(`/subscriptions/${sid}`, other), 404, 'not_found');
    expectProblem(await post(`/subscriptions/${sid}/pause`, other), 404, 'not_found');
  });

  it('expires a subscription once its time has passed', async () => {
    const { id } = await master();
    const follower = await signUp(server);
    const created = (await post('/subscriptions', follower, { master_id: id, copy_mode: 'proportional', expires_at: new Date(clock.now().getTime() + 60 * MINUTE).toISOString() })).body;
    expect((await verify(created.license_token)).body.copy).toBe(true);
    await price('EXPUSD', 10);
    clock.set(new Date(clock.now().getTime() + 61 * MINUTE));
    minute += 61;
    expect((await verify(created.license_token)).body).toMatchObject({ copy: false, subscription: { status: 'expired' } });
    expectProblem(await post(`/subscriptions/${created.subscription_id}/resume`, follower), 409, 'conflict');
  });

  it('mirrors a master’s trades by copy mode, within the follower’s limits, and closes the copies with it', async () => {
    const { user: boss, id } = await master('Copied');
    const fixed = await signUp(server);
    const doubled = await signUp(server);
    const proportional = await signUp(server);
    const capped = await signUp(server);
    const paused = await signUp(server);
    expect((await post('/subscriptions', fixed, { master_id: id, copy_mode: 'fixed', stake: '5.00' })).status).toBe(201);
    expect((await post('/subscriptions', doubled, { master_id: id, copy_mode: 'multiplier', multiplier: '2.5' })).status).toBe(201);
    expect((await post('/subscriptions', proportional, { master_id: id, copy_mode: 'proportional' })).status).toBe(201);
    expect((await post('/subscriptions', capped, { master_id: id, copy_mode: 'multiplier', multiplier: '10', max_stake: '30.00' })).status).toBe(201);
    const p = (await post('/subscriptions', paused, { master_id: id, copy_mode: 'fixed', stake: '5.00' })).body;
    await post(`/subscriptions/${p.subscription_id}/pause`, paused);
    // The proportional follower holds as much as the master (both start with the demo 10,000.00).

    await price('CPYUSD', 100);
    const opened = await post('/trades/execute', boss, { symbol: 'CPYUSD', side: 'BUY', stake: '10.00', stop_loss: 90 }, { 'idempotency-key': 'boss-1' });
    expect(opened.status, opened.text).toBe(201);
    const copyOf = async (user: SignedIn) => (await get('/trades', user)).body.trades as Record<string, unknown>[];
    expect(await copyOf(fixed)).toMatchObject([{ side: 'BUY', stake: '5.00', status: 'open', source: 'copy', reference: opened.body.id, stop_loss: 90 }]);
    expect(await copyOf(doubled)).toMatchObject([{ stake: '25.00', source: 'copy' }]);
    expect(await copyOf(proportional)).toMatchObject([{ stake: '10.00', source: 'copy' }]);
    expect(await copyOf(capped)).toMatchObject([{ stake: '30.00', source: 'copy' }]);
    expect(await copyOf(paused)).toEqual([]);
    expect((await get(`/masters/${id}`, fixed)).body.followers).toEqual({ real: 0, demo: 4 });

    await price('CPYUSD', 110);
    const closed = await post(`/trades/${opened.body.id}/close`, boss);
    expect(closed.body).toMatchObject({ status: 'closed', pnl: '1.00' });
    expect(await copyOf(fixed)).toMatchObject([{ status: 'closed', close_reason: 'copy', exit_price: 110, pnl: '0.50' }]);
    expect(await copyOf(doubled)).toMatchObject([{ status: 'closed', close_reason: 'copy', pnl: '2.50' }]);
    expect((await get(`/masters/${id}`, fixed)).body.stats).toMatchObject({ real: { closed_trades: 0, return: null }, demo: { closed_trades: 1, return: 0.1, max_drawdown: 0 } });
  });

  it('logs a copy the follower’s risk manager refuses as a protection event of the subscription', async () => {
    const { user: boss, id } = await master();
    const follower = await signUp(server);
    const sub = (await post('/subscriptions', follower, { master_id: id, copy_mode: 'fixed', stake: '0.10' })).body;
    await price('RSKUSD', 50);
    expect((await post('/trades/execute', boss, { symbol: 'RSKUSD', side: 'SELL', stake: '10.00' }, { 'idempotency-key': 'boss-2' })).status).toBe(201);
    expect((await get('/trades', follower)).body.trades).toEqual([]);
    expect((await get('/protection-events', follower)).body.events).toMatchObject([{ reason: 'stake_below_min', subscription_id: sub.subscription_id, symbol: 'RSKUSD', side: 'SELL' }]);
  });
});
