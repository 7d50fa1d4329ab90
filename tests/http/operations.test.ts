import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, type Logger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, TEST_AUTH, type TestServer } from '../support/server.js';
import { expectProblem, signIn, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

/** A logger that keeps every record, to read what would have been written. */
function memoryLogger(): Logger & { records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const keep = (obj: object | string, msg?: string) => void records.push(typeof obj === 'string' ? { msg: obj } : { ...obj, msg });
  return { records, info: keep, warn: keep, error: keep };
}

/** One sample's value from Prometheus text, by metric name and exact label set. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2]!.split(',');
    if (have.length === wanted.length && wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return undefined;
}

describe.each(testDatabaseKinds())('operations on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  const logger = memoryLogger();
  const clock = manualClock(new Date('2026-08-01T12:00:00.000Z'));

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, logger, auth: { accessTokenTtl: 7 * 24 * 3600 } });
    admin = await signUpAdmin(server);
  });
  afterAll(() => server.close());

  const get = (path: string, user?: SignedIn, headers?: Record<string, string>) => server.request('GET', path, { token: user?.access, headers });

  it('answers liveness without the database and readiness with it, migrations included', async () => {
    expect((await get('/live')).body).toEqual({ status: 'ok' });
    const ready = await get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, checks: { database: { ok: true }, migrations: { ok: true } } });
    expect(ready.body.checks.migrations.applied).toBe(ready.body.checks.migrations.shipped);
    // A database behind the shipped migrations is not ready.
    const table = kind === 'postgres' ? 'drizzle.__drizzle_migrations' : '__drizzle_migrations';
    await server.db.exec(`create table ready_backup as select * from ${table}`);
    await server.db.exec(`delete from ${table} where created_at = (select max(created_at) from ready_backup)`);
    try {
      const behind = await get('/ready');
      expect(behind.status).toBe(503);
      expect(behind.body.checks.migrations).toMatchObject({ ok: false, applied: ready.body.checks.migrations.shipped - 1, reason: 'the database is behind the shipped migrations' });
    } finally {
      await server.db.exec(`insert into ${table} select * from ready_backup where created_at = (select max(created_at) from ready_backup)`);
      await server.db.exec('drop table ready_backup');
    }
    expect((await get('/ready')).status).toBe(200);
  });

  it('serves business counts to admins only', async () => {
    const before = (await get('/status', admin)).body;
    const user = await signUp(server);
    expectProblem(await get('/status', user), 403, 'forbidden');
    expectProblem(await get('/status'), 401, 'unauthenticated');
    const after = await get('/status', admin);
    expect(after.body).toMatchObject({ version: expect.any(String), timestamp: clock.now().toISOString(), admins_active: before.admins_active, open_positions: 0, active_subscriptions: 0 });
    expect(after.body.users.active).toBe(before.users.active + 1);
  });

  it('counts requests by route id, sign-ins, ledger entries and refusals in Prometheus text', async () => {
    const user = await signUp(server);
    await get('/wallet', user);
    await get('/wallet', user);
    await get(`/subscriptions/${'no-such-id'}`, user);
    await server.request('GET', '/no/such/path/123');
    expect((await server.request('POST', '/auth/login', { body: { email: user.email, password: 'wrong-password-here' } })).status).toBe(401);
    expect((await server.request('POST', '/wallet/deposit', { token: user.access, body: { amount: '5.00', currency: 'USD' }, headers: { 'idempotency-key': 'ops-dep' } })).status).toBe(200);
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(sample(text, 'http_requests_total', { route: 'wallet.get', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'http_requests_total', { route: 'subscriptions.get', method: 'GET', status: '404' })).toBe(1);
    // Unmatched paths share one label: a path's ids never become label values.
    expect(sample(text, 'http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('no-such-id');
    expect(text).not.toContain('/no/such/path');
    expect(sample(text, 'auth_logins_total', { outcome: 'failure' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'auth_logins_total', { outcome: 'success' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'ledger_entries_total', { kind: 'deposit' })).toBe(1);
    expect(sample(text, 'ledger_entries_total', { kind: 'demo_faucet' })).toBeGreaterThanOrEqual(2);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",route="wallet.get",method="GET"}');
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toContain('# TYPE ws_clients gauge');
  });

  it('logs one JSON-ready line per request with its id, route, status, latency and user — and never a secret', async () => {
    const start = logger.records.length;
    const email = `secretive-${kind}@example.com`;
    const password = 'my-very-secret-passphrase-42';
    const reg = await server.request('POST', '/auth/register', { body: { email, password }, headers: { 'x-request-id': 'req-from-client-1' } });
    expect(reg.headers.get('x-request-id')).toBe('req-from-client-1');
    const user = await signIn(server, email, password, reg.body.user.id);
    const refreshed = await server.request('POST', '/auth/refresh', { body: { refresh_token: user.refresh } });
    const key = await server.request('POST', '/api-keys', { token: user.access, body: { name: 'ops', scopes: ['wallet:read'] } });
    await server.request('GET', '/wallet', { headers: { 'x-api-key': key.body.key } });
    const master = await signUp(server);
    const masterId = (await server.request('POST', '/masters', { token: master.access, body: { display_name: 'Logged' } })).body.id;
    const sub = await server.request('POST', '/subscriptions', { token: user.access, body: { master_id: masterId, copy_mode: 'fixed', stake: '1.00' } });
    await server.request('GET', '/license/verify', { headers: { authorization: `License ${sub.body.license_token}` } });

    const lines = logger.records.slice(start);
    const requests = lines.filter((r) => r.event === 'request');
    expect(requests.find((r) => r.requestId === 'req-from-client-1')).toMatchObject({ method: 'POST', route: 'auth.register', status: 201, userId: null, latencyMs: expect.any(Number) });
    expect(requests.find((r) => r.route === 'license.verify')).toMatchObject({ status: 200, userId: user.id });
    expect(requests.find((r) => r.route === 'wallet.get')).toMatchObject({ status: 200, userId: user.id });
    const written = JSON.stringify(lines);
    for (const secret of [password, user.access, user.refresh, refreshed.body.access_token, refreshed.body.refresh_token, key.body.key, sub.body.license_token]) {
      expect(typeof secret).toBe('string');
      expect(written).not.toContain(secret);
    }
  });

  it('guards /metrics with a bearer token when one is configured', async () => {
    const guarded = await startTestServer(kind, { metrics: { token: 'metrics-token-metrics-token' } });
    try {
      expectProblem(await guarded.request('GET', '/metrics'), 401, 'unauthenticated');
      expectProblem(await guarded.request('GET', '/metrics', { headers: { authorization: 'Bearer wrong-token-wrong-token' } }), 401, 'unauthenticated');
      const ok = await guarded.request('GET', '/metrics', { headers: { authorization: 'Bearer metrics-token-metrics-token' } });
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('# TYPE http_requests_total counter');
    } finally {
      await guarded.close();
    }
  });

  it('runs each background job once across instances, records its tick for /health, and expires subscriptions', async () => {
    const master = await signUp(server);
    const masterId = (await server.request('POST', '/masters', { token: master.access, body: { display_name: 'Expiring' } })).body.id;
    const user = await signUp(server);
    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    expect((await server.request('POST', '/subscriptions', { token: user.access, body: { master_id: masterId, copy_mode: 'fixed', stake: '1.00', expires_at: expiresAt } })).status).toBe(201);
    clock.set(new Date(clock.now().getTime() + 120_000));

    // A second instance on the same database (PostgreSQL; SQLite is one process, so there two
    // rounds of the same instance race): both tick at once; each job runs on one of them.
    const otherLog = memoryLogger();
    const other = kind === 'postgres' ? await createEngine({ database: server.db.database, mode: 'test', clock, logger: otherLog, jobs: { enabled: false }, auth: TEST_AUTH }) : server.engine;
    try {
      const before = logger.records.length;
      await Promise.all([server.engine.jobs.tick(), other.jobs.tick()]);
      const ran = [...logger.records.slice(before), ...otherLog.records].filter((r) => r.event === 'job.ran').map((r) => r.job);
      expect(ran.sort()).toEqual(['expire_holds', 'expire_subscriptions', 'purge_expired', 'settle_commission']);
      // Not due again until their interval has passed.
      await Promise.all([server.engine.jobs.tick(), other.jobs.tick()]);
      expect([...logger.records.slice(before), ...otherLog.records].filter((r) => r.event === 'job.ran')).toHaveLength(4);
    } finally {
      if (other !== server.engine) await other.close();
    }
    const expired = (await get('/notifications', user)).body.notifications.map((n: { type: string }) => n.type);
    expect(expired).toContain('subscription.expired');
    const health = (await get('/health')).body;
    // In module order: auth, wallets, copy.
    expect(health.jobs.map((j: { name: string }) => j.name)).toEqual(['purge_expired', 'expire_holds', 'expire_subscriptions', 'settle_commission']);
    expect(health.jobs.find((j: { name: string }) => j.name === 'expire_subscriptions')).toMatchObject({ every_seconds: 60, last_tick_at: clock.now().toISOString(), lag_seconds: 0, last_error: null, running: false });
  });
  it('limits requests per group and caller in the database, across instances, with RateLimit headers and Retry-After', async () => {
    const limitedClock = manualClock(new Date('2026-08-02T00:00:10.000Z'));
    const limited = await startTestServer(kind, { clock: limitedClock, rateLimits: { enabled: true, auth: { limit: 3, windowSeconds: 60 }, default: { limit: 5, windowSeconds: 60 } } });
    try {
      // Sign-in: 3 per minute per address, wrong passwords included.
      const login = () => limited.request('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'not-the-password' } });
      const first = await login();
      expect(first.status).toBe(401);
      expect(first.headers.get('ratelimit-limit')).toBe('3');
      expect(first.headers.get('ratelimit-remaining')).toBe('2');
      expect(first.headers.get('ratelimit-reset')).toBe('50');
      expect(first.headers.get('ratelimit-policy')).toBe('3;w=60');
      await login();
      await login();
      const refused = await login();
      expectProblem(refused, 429, 'rate_limited');
      expect(refused.headers.get('retry-after')).toBe('50');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');

      // Authenticated callers have their own budgets (registering here is another auth request,
      // so the window moves on first).
      limitedClock.set(new Date('2026-08-02T00:01:00.000Z'));
      const a = await signUp(limited);
      limitedClock.set(new Date('2026-08-02T00:01:30.000Z'));
      expect((await login()).status).toBe(401); // the window's third: register, sign-in, this
      expectProblem(await login(), 429, 'rate_limited');
      limitedClock.set(new Date('2026-08-02T00:02:00.000Z'));
      const b = await signUp(limited);
      for (let i = 0; i < 5; i++) expect((await limited.request('GET', '/wallet', { token: a.access })).status).toBe(200);
      expectProblem(await limited.request('GET', '/wallet', { token: a.access }), 429, 'rate_limited');
      expect((await limited.request('GET', '/wallet', { token: b.access })).status).toBe(200);
      // On PostgreSQL another instance on the same database sees the same count (SQLite is one
      // process, whose counters stay in its memory).
      if (kind === 'postgres') {
      const other = await createEngine({ database: limited.db.database, mode: 'test', clock: limitedClock, logger: memoryLogger(), jobs: { enabled: false }, auth: TEST_AUTH, rateLimits: { default: { limit: 5, windowSeconds: 60 } } });
      try {
        const there = await other.handle({ method: 'GET', path: '/wallet', headers: { authorization: `Bearer ${b.access}` }, ip: '127.0.0.1' });
        expect(there.status).toBe(200);
        expect(there.headers['ratelimit-remaining']).toBe('3');
        const aThere = await other.handle({ method: 'GET', path: '/wallet', headers: { authorization: `Bearer ${a.access}` }, ip: '127.0.0.1' });
        expect(aThere.status).toBe(429);
      } finally {
        await other.close();
      }
      }
      // Probes are never limited; a new window starts over.
      for (let i = 0; i < 8; i++) expect((await limited.request('GET', '/live')).status).toBe(200);
      limitedClock.set(new Date('2026-08-02T00:04:00.000Z'));
      expect((await limited.request('GET', '/wallet', { token: a.access })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('modules', () => {
  it('serves only the chosen modules’ routes and documents, and refuses a module without what it needs', async () => {
    const server = await startTestServer('sqlite-memory', { modules: ['auth', 'wallets'] });
    try {
      const user = await signUp(server);
      expect((await server.request('GET', '/wallet', { token: user.access })).status).toBe(200);
      expectProblem(await server.request('GET', '/trades', { token: user.access }), 404, 'route_not_found');
      expectProblem(await server.request('GET', '/masters', { token: user.access }), 404, 'route_not_found');
      expect((await server.request('GET', '/health')).status).toBe(200);
      const paths = Object.keys((await server.request('GET', '/openapi.json')).body.paths);
      expect(paths).toContain('/wallet');
      expect(paths.some((p) => p.startsWith('/trades') || p.startsWith('/masters') || p.startsWith('/market'))).toBe(false);
      // Only the modules' jobs run.
      expect(server.engine.jobs.jobs.map((j) => j.name)).toEqual(['purge_expired', 'expire_holds']);
    } finally {
      await server.close();
    }
    await expect(createEngine({ database: ':memory:', mode: 'test', auth: TEST_AUTH, modules: ['auth', 'trading'] })).rejects.toThrow("module 'trading' needs 'wallets'");
  });
});
