import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, type StreamEvent } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { expectProblem, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';
import { createBillingGateway, type GatewaySubscription } from '../support/billing-gateway.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openTransport, transportKinds } from '../support/transports.js';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const MINUTE = 60_000;
const DAY = 86_400_000;

const plans = {
  default: 'free',
  plans: {
    free: { description: 'Paper trading', entitlements: { maxBots: 1, backtestsPerDay: 1, maxApiKeys: 1, maxCopySubscriptions: 1, realMoneyTrading: false, rateLimitTier: 'basic' } },
    pro: { price: 'price_pro', entitlements: { maxBots: 3, backtestsPerDay: null, maxApiKeys: 5, maxCopySubscriptions: 5, realMoneyTrading: true, rateLimitTier: 'pro' } },
  },
};

const idem = () => ({ 'idempotency-key': randomUUID() });
const bot = (name: string) => ({ name, symbol: 'PLAN', interval: '1m', strategies: [{ name: 'momentum', params: { period: 6 } }], consensus: { min_votes: 1 }, stake: '10.00' });

/** A plan's refusal: 403 `plan_limit` naming the entitlement, the limit and the plan. */
function expectPlanLimit(res: Awaited<ReturnType<TestServer['request']>>, entitlement: string, limit: number | boolean, plan: string) {
  expectProblem(res, 403, 'plan_limit');
  expect(res.body).toMatchObject({ entitlement, limit, plan });
}

describe.each(testDatabaseKinds())('plans on %s', (kind) => {
  const gateway = createBillingGateway({ secret });
  // Backtests are counted per UTC day of the engine's clock, which the tests move on.
  const clock = manualClock(new Date());
  const T0 = Math.floor(clock.now().getTime() / MINUTE) * MINUTE - 120 * MINUTE;
  let server: TestServer;
  let admin: SignedIn;
  const events: StreamEvent[] = [];
  let unsubscribe: () => void;

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { accessTokenTtl: 7 * 24 * 3600 }, plans: { ...plans, providers: [gateway.provider] } });
    unsubscribe = server.engine.stream.subscribe((e) => void events.push(e));
    admin = await signUpAdmin(server);
    const candles = Array.from({ length: 60 }, (_, i) => {
      const close = 100 + Math.sin(i / 3) * 5;
      return { symbol: 'PLAN', interval: '1m', open_time: new Date(T0 + i * MINUTE).toISOString(), open: close, high: close + 1, low: close - 1, close, volume: 1 };
    });
    const res = await server.request('POST', '/market/candles', { token: admin.access, body: { candles } });
    expect(res.status, res.text).toBe(200);
  });
  afterAll(async () => {
    unsubscribe();
    await server.close();
  });

  const get = (path: string, user: SignedIn) => server.request('GET', path, { token: user.access });
  const post = (path: string, user: SignedIn, body?: unknown, headers: Record<string, string> = {}) => server.request('POST', path, { token: user.access, body, headers });
  const webhook = (signed: { body: string; headers: Record<string, string> }, provider = 'gateway') => server.request('POST', `/billing/webhooks/${provider}`, { body: signed.body, headers: signed.headers });
  const audit = async (action: string, targetId: string) =>
    (await server.request('GET', `/admin/audit-logs?action=${action}&target_id=${encodeURIComponent(targetId)}`, { token: admin.access })).body.audit_logs as { details: Record<string, unknown> }[];
  const planOf = async (user: SignedIn) => (await get('/billing/subscription', user)).body;
  const master = async () => {
    const owner = await signUp(server);
    const created = await post('/masters', owner, { display_name: `Master ${owner.id.slice(-6)}` });
    expect(created.status, created.text).toBe(201);
    return created.body.id as string;
  };
  const backtest = (user: SignedIn) =>
    post('/backtests', user, {
      symbol: 'PLAN',
      interval: '1m',
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 50 * MINUTE).toISOString(),
      initial_balance: '1000.00',
      strategies: [{ name: 'momentum', params: { period: 6 } }],
      consensus: { min_votes: 1 },
      stake: '10.00',
    });
  /** Buys `pro` through the gateway's hosted checkout; the plan changes on its signed callback. */
  async function subscribePro(user: SignedIn): Promise<GatewaySubscription> {
    const checkout = await post('/billing/checkout', user, { plan: 'pro', success_url: 'https://app.example.com/ok', cancel_url: 'https://app.example.com/no' });
    expect(checkout.status, checkout.text).toBe(200);
    expect(checkout.body.url).toMatch(/^https:\/\/billing\.example\.test\/checkout\//);
    const subscription = gateway.pay(checkout.body.url);
    const delivered = await webhook(gateway.stateOf(subscription));
    expect(delivered.status, delivered.text).toBe(200);
    return subscription;
  }

  it('lists the catalog, and puts a new user on the default plan', async () => {
    const catalog = await server.request('GET', '/plans');
    expect(catalog.status, catalog.text).toBe(200);
    expect(catalog.body.default).toBe('free');
    expect(catalog.body.plans).toEqual([
      { name: 'free', description: 'Paper trading', purchasable: false, entitlements: { max_bots: 1, backtests_per_day: 1, max_api_keys: 1, rate_limit_tier: 'basic', max_copy_subscriptions: 1, real_money_trading: false } },
      { name: 'pro', description: null, purchasable: true, entitlements: { max_bots: 3, backtests_per_day: null, max_api_keys: 5, rate_limit_tier: 'pro', max_copy_subscriptions: 5, real_money_trading: true } },
    ]);
    const user = await signUp(server);
    expect(await planOf(user)).toEqual({
      plan: 'free',
      status: null,
      provider: null,
      entitlements: catalog.body.plans[0].entitlements,
      usage: { bots: 0, backtests_today: 0, api_keys: 0, copy_subscriptions: 0 },
      current_period_end: null,
      cancel_at_period_end: false,
    });
  });

  it('refuses each entitlement at the limit with 403 plan_limit, and allows below it', async () => {
    const user = await signUp(server);
    // Strategy bots.
    expect((await post('/strategies', user, bot('first'))).status).toBe(201);
    expectPlanLimit(await post('/strategies', user, bot('second')), 'maxBots', 1, 'free');
    // API keys.
    expect((await post('/api-keys', user, { name: 'script', scopes: ['account:read'] })).status).toBe(201);
    expectPlanLimit(await post('/api-keys', user, { name: 'another', scopes: ['account:read'] }), 'maxApiKeys', 1, 'free');
    // Copy subscriptions.
    const [m1, m2] = [await master(), await master()];
    expect((await post('/subscriptions', user, { master_id: m1, copy_mode: 'fixed', stake: '1.00' })).status).toBe(201);
    expectPlanLimit(await post('/subscriptions', user, { master_id: m2, copy_mode: 'fixed', stake: '1.00' }), 'maxCopySubscriptions', 1, 'free');
    // Backtests: one per UTC day, by the engine's clock.
    const first = await backtest(user);
    expect(first.status, first.text).toBe(201);
    expectPlanLimit(await backtest(user), 'backtestsPerDay', 1, 'free');
    // Real money: the demo account trades, a real one is refused before anything is held.
    const demo = await post('/trades/execute', user, { symbol: 'PLAN', side: 'BUY', stake: '10.00' }, idem());
    expect(demo.status, demo.text).toBe(201);
    const real = await post('/accounts', user, { currency: 'USD' });
    expect(real.status, real.text).toBe(201);
    expectPlanLimit(await post('/trades/execute', user, { account_id: real.body.id, symbol: 'PLAN', side: 'BUY', stake: '10.00' }, idem()), 'realMoneyTrading', false, 'free');
    expectPlanLimit(await post('/orders', user, { account_id: real.body.id, symbol: 'PLAN', side: 'BUY', type: 'limit', price: 90, stake: '10.00' }, idem()), 'realMoneyTrading', false, 'free');

    expect((await planOf(user)).usage).toEqual({ bots: 1, backtests_today: 1, api_keys: 1, copy_subscriptions: 1 });
    // A revoked key frees its slot; a new UTC day frees the backtests.
    const keys = (await get('/api-keys', user)).body.api_keys as { id: string }[];
    expect((await server.request('DELETE', `/api-keys/${keys[0]!.id}`, { token: user.access })).status).toBe(204);
    expect((await post('/api-keys', user, { name: 'replacement', scopes: ['account:read'] })).status).toBe(201);
    const now = clock.now();
    clock.set(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY + MINUTE));
    try {
      expect((await backtest(user)).status).toBe(201);
      expect((await planOf(user)).usage.backtests_today).toBe(1);
    } finally {
      clock.set(now);
    }
  });

  it('counts a race for the last slot once: five bots at once on a one-bot plan make one', async () => {
    const user = await signUp(server);
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => post('/strategies', user, bot(`race${i}`))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 403, 403, 403, 403]);
    expect((await get('/strategies', user)).body.strategies ?? (await get('/strategies', user)).body).toHaveLength(1);
  });

  it('moves with the provider’s states: paid lifts the limits, past_due keeps them, canceled falls back', async () => {
    const user = await signUp(server);
    expect((await post('/strategies', user, bot('one'))).status).toBe(201);
    const subscription = await subscribePro(user);
    expect(await planOf(user)).toMatchObject({ plan: 'pro', status: 'active', provider: 'gateway', current_period_end: subscription.currentPeriodEnd.toISOString(), cancel_at_period_end: false });
    expect(gateway.checkouts.size).toBeGreaterThan(0);
    expect((await post('/strategies', user, bot('two'))).status).toBe(201);
    const real = await post('/accounts', user, { currency: 'USD' });
    const onReal = await post('/trades/execute', user, { account_id: real.body.id, symbol: 'PLAN', side: 'BUY', stake: '10.00' }, idem());
    // Allowed by the plan: the empty real account then refuses it for want of money, not the plan.
    expect(onReal.body.code, onReal.text).not.toBe('plan_limit');

    subscription.status = 'past_due';
    expect((await webhook(gateway.stateOf(subscription))).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'pro', status: 'past_due' });

    subscription.status = 'canceled';
    expect((await webhook(gateway.stateOf(subscription))).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'free', status: 'canceled' });
    expectPlanLimit(await post('/strategies', user, bot('three')), 'maxBots', 1, 'free');

    const changes = events.filter((e) => e.type === 'plan.changed' && e.userId === user.id).map((e) => e.data);
    expect(changes).toEqual([
      { plan: 'pro', previous_plan: 'free', status: 'active', reason: 'billing' },
      { plan: 'free', previous_plan: 'pro', status: 'canceled', reason: 'billing' },
    ]);
    expect((await audit('plan.changed', user.id)).map((e) => e.details.plan)).toEqual(['free', 'pro']);
  });

  it('cancels at the period end through the provider, and falls back when the period ends', async () => {
    const user = await signUp(server);
    const subscription = await subscribePro(user);
    const cancelled = await post('/billing/subscription/cancel', user);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body).toMatchObject({ plan: 'pro', status: 'active', cancel_at_period_end: true });
    expect(gateway.cancelRequests).toContain(subscription.id);
    expect(await audit('plan.cancel_requested', user.id)).toHaveLength(1);
    // The provider confirms; the plan holds to the end of the period.
    expect((await webhook(gateway.stateOf(subscription))).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'pro', cancel_at_period_end: true });
    subscription.status = 'canceled';
    expect((await webhook(gateway.stateOf(subscription))).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'free', status: 'canceled' });
    expectProblem(await post('/billing/subscription/cancel', user), 409, 'conflict');
  });

  it('ignores a state older than the stored one, and acts on five concurrent deliveries once', async () => {
    const user = await signUp(server);
    const subscription = await subscribePro(user);
    const later = new Date(Date.now() + 60_000);
    subscription.status = 'canceled';
    const canceled = gateway.stateOf(subscription, later);
    const answers = await Promise.all(Array.from({ length: 5 }, () => webhook(canceled)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    expect(await planOf(user)).toMatchObject({ plan: 'free', status: 'canceled' });
    // An `active` state produced before the cancellation arrives late: history, not news.
    subscription.status = 'active';
    const stale = await webhook(gateway.stateOf(subscription, new Date(later.getTime() - 30_000)));
    expect(stale.status, stale.text).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'free', status: 'canceled' });
    expect((await audit('plan.changed', user.id)).map((e) => e.details.plan)).toEqual(['free', 'pro']);
  });

  it('keeps the plan of a new subscription when the one it replaced ends later', async () => {
    const user = await signUp(server);
    const first = await subscribePro(user);
    // Buying the plan held is refused; once it is set to end, the user may buy it again.
    expectProblem(await post('/billing/checkout', user, { plan: 'pro', success_url: 'https://app.example.com/ok', cancel_url: 'https://app.example.com/no' }), 409, 'conflict');
    expect((await post('/billing/subscription/cancel', user)).status).toBe(200);
    const second = await subscribePro(user);
    expect(second.customer).toBe(first.customer);
    first.status = 'canceled';
    expect((await webhook(gateway.stateOf(first, new Date(Date.now() + 60_000)))).status).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'pro', status: 'active' });
  });

  it('refuses a bad signature with 400, writes nothing but an audit record; flags an unknown price', async () => {
    const user = await signUp(server);
    const checkout = await post('/billing/checkout', user, { plan: 'pro', success_url: 'https://app.example.com/ok', cancel_url: 'https://app.example.com/no' });
    const subscription = gateway.pay(checkout.body.url);
    const before = (await audit('webhook.rejected', 'gateway')).length;
    const forged = await webhook(gateway.stateOf(subscription, new Date(), { key: `whsec_${randomBytes(24).toString('base64')}` }));
    expectProblem(forged, 400, 'invalid_signature');
    expect(await planOf(user)).toMatchObject({ plan: 'free', status: null });
    expect(await audit('webhook.rejected', 'gateway')).toHaveLength(before + 1);
    // The same event id signed properly is still acted on: the forgery recorded nothing.
    const genuine = gateway.stateOf(subscription);
    expect((await webhook(genuine)).body).toEqual({ received: true, duplicate: false });
    expect(await planOf(user)).toMatchObject({ plan: 'pro' });

    subscription.price = 'price_unknown';
    const unknown = await webhook(gateway.stateOf(subscription, new Date(Date.now() + 1000)));
    expect(unknown.status, unknown.text).toBe(200);
    expect(await planOf(user)).toMatchObject({ plan: 'pro', status: 'active' });
    expect((await audit('plan.unknown_price', subscription.id))[0]?.details).toMatchObject({ price: 'price_unknown', user_id: user.id });
    expectProblem(await webhook(gateway.stateOf(subscription), 'nobody'), 404, 'not_found');
  });

  it('answers GET /subscriptions/current with the plan while /subscriptions/{id} stays the copy subscription, on every host', async () => {
    const user = await signUp(server);
    const copied = await post('/subscriptions', user, { master_id: await master(), copy_mode: 'fixed', stake: '1.00' });
    expect(copied.status, copied.text).toBe(201);
    const id = copied.body.subscription.id ?? copied.body.id;
    for (const kind of transportKinds) {
      const transport = kind === 'express' ? server : await openTransport(kind, server.engine);
      try {
        const current = await transport.request('GET', '/subscriptions/current', { token: user.access });
        expect(current.status, `${kind}: ${current.text}`).toBe(200);
        expect(current.body).toEqual(await planOf(user));
        const byId = await transport.request('GET', `/subscriptions/${id}`, { token: user.access });
        expect(byId.status, `${kind}: ${byId.text}`).toBe(200);
        expect(byId.body).toMatchObject({ id, master_id: expect.any(String) });
      } finally {
        if (transport !== server) await transport.close();
      }
    }
  });

  it('lets an operator put a user on a plan, audited and announced', async () => {
    const user = await signUp(server);
    const set = await server.request('PUT', `/admin/users/${user.id}/plan`, { token: admin.access, body: { plan: 'pro', reason: 'conference speaker' } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ user_id: user.id, plan: 'pro', status: 'active', provider: 'operator' });
    expect(await planOf(user)).toMatchObject({ plan: 'pro', entitlements: { max_bots: 3 } });
    expect((await audit('plan.set', user.id))[0]?.details).toMatchObject({ plan: 'pro', previous_plan: 'free', reason: 'conference speaker' });
    expect(events.filter((e) => e.type === 'plan.changed' && e.userId === user.id).map((e) => e.data)).toEqual([{ plan: 'pro', previous_plan: 'free', status: 'active', reason: 'operator' }]);
    const listed = await server.request('GET', '/admin/plans?limit=200', { token: admin.access });
    expect(listed.body.plans.map((p: { user_id: string }) => p.user_id)).toContain(user.id);
    expectProblem(await server.request('PUT', `/admin/users/${user.id}/plan`, { token: admin.access, body: { plan: 'platinum', reason: 'typo' } }), 422, 'validation_failed');
    expectProblem(await server.request('PUT', `/admin/users/${user.id}/plan`, { token: user.access, body: { plan: 'pro', reason: 'myself' } }), 403, 'forbidden');
  });
});

describe.each(testDatabaseKinds())('without plans on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(() => server.close());

  it('limits nothing and says so', async () => {
    const user = await signUp(server);
    for (let i = 0; i < 3; i++) expect((await server.request('POST', '/api-keys', { token: user.access, body: { name: `k${i}`, scopes: ['account:read'] } })).status).toBe(201);
    const state = await server.request('GET', '/billing/subscription', { token: user.access });
    expect(state.body).toEqual({
      plan: null,
      status: null,
      provider: null,
      entitlements: { max_bots: null, backtests_per_day: null, max_api_keys: null, rate_limit_tier: null, max_copy_subscriptions: null, real_money_trading: true },
      usage: { bots: 0, backtests_today: 0, api_keys: 3, copy_subscriptions: 0 },
      current_period_end: null,
      cancel_at_period_end: false,
    });
    expect((await server.request('GET', '/plans')).body).toEqual({ default: null, plans: [] });
    expectProblem(
      await server.request('POST', '/billing/checkout', { token: user.access, body: { plan: 'pro', success_url: 'https://a.example/ok', cancel_url: 'https://a.example/no' } }),
      403,
      'billing_provider_required',
    );
  });
});
