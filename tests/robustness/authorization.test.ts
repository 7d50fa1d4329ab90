import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allowedRoles, listRoutes, manualClock, silentLogger, standardWebhooksProvider, type HttpResponse, type RouteDefinition } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { createTestDatabase, type TestDatabase } from '../../packages/engine/src/testing/databases.js';
import { TEST_AUTH } from '../support/server.js';
import { validInputs } from './arbitraries.js';

/**
 * The authorization matrix (issue 9), generated from the contract: every route against every
 * kind of caller — anonymous, an expired token, a logged-out token, a disabled user, each role,
 * API keys with and without the route's scope, license tokens (current and rotated), and user B
 * asking for user A's resources by id — must get exactly what the route declares, and a refusal
 * must change nothing. A route added to the contract is in the matrix without a new test.
 */
const T0 = new Date('2026-10-01T00:00:00.000Z');

/** Families of per-user resources addressed by `{id}`, and A's id in each (filled in `beforeAll`). */
const owned: Record<string, string> = {};
const familyOf = (route: RouteDefinition) => {
  const m = /^\/(accounts|trades|orders|strategies|backtests|subscriptions|notifications|api-keys|auth\/sessions|wallet\/withdrawals|wallet\/deposits)\/\{id\}/.exec(route.path);
  return m?.[1];
};
/** Addressed by id but readable by anyone signed in, by design (documented on the routes). */
const SHARED_BY_ID = new Set(['masters.get', 'market.candles', 'market.ticker']);

describe('authorization matrix from the contract (SQLite)', () => {
  let db: TestDatabase;
  let engine: Engine;
  const clock = manualClock(T0);
  const tokens: Record<string, string> = {};
  const keys: Record<string, string> = {};
  let license: string;
  let rotatedLicense: string;

  const login = async (email: string) => (await engine.auth.login({ email, password: `${email}-passphrase` })).accessToken;
  const register = async (email: string) => (await engine.auth.register({ email, password: `${email}-passphrase` })).id;
  const call = (route: RouteDefinition, path: string, headers: Record<string, string>, body?: unknown, query?: Record<string, string>) =>
    engine.handle({ method: route.method, path, headers: { 'content-type': 'application/json', 'idempotency-key': `m-${Math.random()}`, ...headers }, query, body: body === undefined ? undefined : JSON.stringify(body), ip: '203.0.113.5' });
  const code = (res: HttpResponse) => (res.body ? (JSON.parse(res.body) as { code?: string }).code : undefined);

  beforeAll(async () => {
    db = await createTestDatabase('sqlite-memory');
    engine = await createEngine({
      database: db.database,
      mode: 'test',
      clock,
      logger: silentLogger,
      auth: { ...TEST_AUTH, loginThrottle: false, accessTokenTtl: 900 },
      jobs: { enabled: false },
      rateLimits: { enabled: false },
      payments: { providers: [standardWebhooksProvider({ name: 'bank', secret: 'whsec_bWF0cml4LW1hdHJpeC1tYXRyaXgtbWF0cml4' })] },
    });
    const ids: Record<string, string> = {};
    for (const who of ['a', 'b', 'viewer', 'admin', 'disabled', 'expired', 'loggedout', 'keys']) ids[who] = await register(`${who}@example.com`);
    await engine.admin.setRole(null, ids.admin!, 'admin');
    await engine.admin.setRole(null, ids.viewer!, 'viewer');
    for (const who of ['a', 'b', 'viewer', 'admin', 'disabled', 'expired', 'loggedout']) tokens[who] = await login(`${who}@example.com`);
    // API keys for every scope there is, one scope each.
    const { apiKeyScopes } = await import('@tradeplane/core');
    for (const scope of apiKeyScopes) keys[scope] = (await engine.apiKeys.create(ids.keys!, { name: scope, scopes: [scope] })).key;

    // A's resources, one of each family.
    const a = ids.a!;
    const ingest = (minute: number, close: number) => engine.market.ingest([{ symbol: 'MTXUSD', interval: '1m', openTime: new Date(T0.getTime() + minute * 60_000), open: close, high: close, low: close, close, volume: 1 }]);
    for (let m = 0; m < 5; m++) await ingest(m, 100 + m);
    clock.set(new Date(T0.getTime() + 5 * 60_000));
    owned.accounts = (await engine.wallets.defaultAccount(a)).id;
    const trade = await engine.trading.execute(a, { symbol: 'MTXUSD', side: 'BUY', stake: '10.00', idempotencyKey: 'mtx-1' });
    owned.trades = trade.id;
    owned.orders = (await engine.trading.placeOrder(a, { symbol: 'MTXUSD', side: 'BUY', type: 'limit', price: 50, stake: '5.00', idempotencyKey: 'mtx-2' })).id;
    owned.strategies = (await engine.strategies.create(a, { name: 'mtx', symbol: 'MTXUSD', interval: '1m', strategies: [{ name: 'momentum' }] })).id;
    owned.backtests = (await engine.backtests.create(a, { symbol: 'MTXUSD', interval: '1m', from: T0, to: new Date(T0.getTime() + 5 * 60_000), strategies: [{ name: 'momentum' }], initialBalance: '1000.00' })).id;
    const masterUser = await register('mtx-master@example.com');
    const master = await engine.copy.becomeMaster(masterUser, { displayName: 'Matrix' });
    const issued = await engine.copy.subscribe(a, { masterId: master.id, copyMode: 'fixed', stake: '1.00' });
    owned.subscriptions = issued.subscriptionId;
    rotatedLicense = issued.licenseToken;
    license = (await engine.copy.rotateToken(a, issued.subscriptionId)).licenseToken;
    owned.notifications = (await engine.notifications.list(a)).notifications[0]!.id;
    owned['api-keys'] = (await engine.apiKeys.create(a, { name: 'mine', scopes: ['wallet:read'] })).apiKey.id;
    const real = await engine.wallets.openAccount(a, { currency: 'USD' });
    await engine.wallets.funding.creditByOperator(ids.admin!, real.id, { amount: '50.00', currency: 'USD', reason: 'matrix fixture', idempotencyKey: 'mtx-3' });
    const pending = await engine.wallets.withdraw(a, { accountId: real.id, amount: '10.00', currency: 'USD', idempotencyKey: 'mtx-4' });
    owned['wallet/withdrawals'] = 'withdrawal' in pending ? pending.withdrawal.id : '';
    owned['wallet/deposits'] = (await engine.payments.requestDeposit(a, { accountId: real.id, amount: '5.00', currency: 'USD', idempotencyKey: 'mtx-5' })).deposit.id;
    const sessionToken = await login('a@example.com');
    owned['auth/sessions'] = (await engine.auth.authenticate(sessionToken)).sessionId;

    // Every fixture is real: a missing id would make B's 404 meaningless.
    for (const [family, id] of Object.entries(owned)) expect(typeof id === 'string' && id.length > 0, `A's ${family}`).toBe(true);
    expect(Object.keys(owned).sort()).toEqual(['accounts', 'api-keys', 'auth/sessions', 'backtests', 'notifications', 'orders', 'strategies', 'subscriptions', 'trades', 'wallet/deposits', 'wallet/withdrawals']);

    // Caller states: disabled, logged out, and (last, since it moves the clock) expired.
    await engine.admin.disable(null, ids.disabled!);
    await engine.auth.logout(await engine.auth.authenticate(tokens.loggedout!));
  });
  afterAll(async () => {
    await engine.close();
    await db.cleanup();
  });

  /** A request the route's schemas accept, so access, not validation, decides the answer. */
  function requestFor(route: RouteDefinition, seed: number, params?: Record<string, string>) {
    const sample = <T>(arb: fc.Arbitrary<T>) => fc.sample(arb, { seed, numRuns: 1 })[0]!;
    const p = params ?? (route.params ? (sample(validInputs(route.params)) as Record<string, string>) : {});
    const path = route.path.replace(/\{([^}]+)\}/g, (_, k: string) => encodeURIComponent(String(p[k] ?? 'x')));
    // The smallest query the route takes (its defaults), so options such as an admin's `user_id` stay out of it.
    const query = route.query?.safeParse({}).success ? {} : route.query ? Object.fromEntries(Object.entries(sample(validInputs(route.query)) as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])) : undefined;
    const body = route.body ? sample(validInputs(route.body)) : undefined;
    return { path, query, body };
  }

  it('gives every route exactly the access it declares, and refusals change nothing', async () => {
    const routes = listRoutes(engine.contract).filter((r) => r.auth !== 'public');
    let checks = 0;
    const refused = async (route: RouteDefinition, who: string, headers: Record<string, string>, status: number, expected: string | string[], seed: number) => {
      const { path, query, body } = requestFor(route, seed);
      const before = JSON.stringify(await db.snapshot());
      const res = await call(route, path, headers, body, query);
      const label = `${route.id} as ${who} → ${res.status} ${res.body?.slice(0, 160)}`;
      expect(res.status, label).toBe(status);
      expect([expected].flat(), label).toContain(code(res));
      expect(JSON.stringify(await db.snapshot()), `${label}: changed the database`).toBe(before);
      checks += 1;
    };
    for (const [i, route] of routes.entries()) {
      await refused(route, 'anonymous', {}, 401, 'unauthenticated', i);
      if (route.auth === 'license') {
        await refused(route, 'an access token', { authorization: `Bearer ${tokens.a}` }, 401, 'unauthenticated', i);
        await refused(route, 'a rotated license', { authorization: `License ${rotatedLicense}` }, 401, 'invalid_token', i);
        const { path, query, body } = requestFor(route, i);
        const ok = await call(route, path, { authorization: `License ${license}` }, body, query);
        expect([401, 403], `${route.id} with its license: ${ok.body}`).not.toContain(ok.status);
        continue;
      }
      await refused(route, 'a logged-out token', { authorization: `Bearer ${tokens.loggedout}` }, 401, 'invalid_token', i);
      await refused(route, 'a disabled user', { authorization: `Bearer ${tokens.disabled}` }, 401, 'invalid_token', i);
      await refused(route, 'a license token', { authorization: `License ${license}` }, 401, 'unauthenticated', i);
      // API keys: only the route's scope opens it; routes without a scope take access tokens only.
      for (const [scope, key] of Object.entries(keys)) {
        if (route.scope === scope) {
          const { path, query, body } = requestFor(route, i);
          const res = await call(route, path, { 'x-api-key': key }, body, query);
          // The key acts as its owner, a plain user: the scope opens the route only to the roles it allows.
          if (!allowedRoles(route).includes('user')) expect([res.status, code(res)], `${route.id} with a ${scope} key of a user`).toEqual([403, 'forbidden']);
          else expect([401, 403], `${route.id} with a ${scope} key: ${res.body}`).not.toContain(res.status);
        } else if (route.scope) {
          await refused(route, `a ${scope} key`, { 'x-api-key': key }, 403, 'insufficient_scope', i);
        } else {
          await refused(route, `a ${scope} key`, { 'x-api-key': key }, 401, 'unauthenticated', i);
        }
      }
      // Roles.
      const roles = allowedRoles(route);
      for (const role of ['user', 'viewer', 'admin'] as const) {
        const who = role === 'user' ? 'b' : role;
        if (!roles.includes(role)) await refused(route, role, { authorization: `Bearer ${tokens[who]}` }, 403, 'forbidden', i);
      }
      // Another user's resource is always 404.
      const family = familyOf(route);
      if (route.auth === 'user' && route.path.includes('{') && !SHARED_BY_ID.has(route.id)) {
        expect(family, `${route.id} addresses a resource by id: give it a family and an owned fixture`).toBeDefined();
        const { query, body } = requestFor(route, i);
        const path = route.path.replace('{id}', encodeURIComponent(owned[family!]!));
        const before = JSON.stringify(await db.snapshot());
        const res = await call(route, path, { authorization: `Bearer ${tokens.b}` }, body, query);
        expect(res.status, `${route.id}: B asked for A's ${family} → ${res.body}`).toBe(404);
        expect(JSON.stringify(await db.snapshot()), `${route.id}: B's attempt changed A's ${family}`).toBe(before);
        checks += 1;
        // The control: A reads the same resource.
        if (route.method === 'GET') expect((await call(route, path, { authorization: `Bearer ${tokens.a}` }, body, query)).status, `${route.id}: A reads their own ${family}`).toBe(200);
      }
    }
    // Expired tokens, last: the clock moves past the access-token lifetime.
    clock.set(new Date(clock.now().getTime() + 3600_000));
    for (const [i, route] of routes.filter((r) => r.auth !== 'license').entries()) await refused(route, 'an expired token', { authorization: `Bearer ${tokens.expired}` }, 401, 'token_expired', i);
    console.info(`authorization matrix: ${routes.length} routes, ${checks} refusals checked`);
  }, 600_000);
});
