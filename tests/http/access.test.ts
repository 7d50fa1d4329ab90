/**
 * Who may do what, over HTTP on every database: the role rules of every contract route, admin
 * user management and its audit trail, API keys and their scopes, cross-user ids, and hostile
 * strings stored as plain data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, listRoutes, manualClock, allowedRoles } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signIn, signUp, signUpAdmin, type SignedIn } from '../support/auth.js';

/** A concrete path for a route: `{id}` → a value that exists nowhere. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'no-such-id');

describe.each(testDatabaseKinds())('access control over HTTP on %s', (kind) => {
  let server: TestServer;
  let admin: SignedIn;
  let user: SignedIn;
  let viewer: SignedIn;
  const clock = manualClock(new Date('2026-07-01T00:00:00.000Z'));

  beforeAll(async () => {
    server = await startTestServer(kind, { clock, http: { bodyLimit: 4096 } }, { bodyLimit: 4096 });
    admin = await signUpAdmin(server, 'root');
    user = await signUp(server, 'plain');
    const v = await signUp(server, 'watcher');
    await server.engine.admin.setRole(null, v.id, 'viewer');
    viewer = await signIn(server, v.email, v.password, v.id);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('enforces every route’s auth and roles, before reading any input, changing nothing when refusing', async () => {
    for (const route of listRoutes(contract)) {
      if (route.auth === 'public') continue;
      const path = concrete(route.path);
      const label = `${route.method} ${route.path}`;
      const body = route.body ? {} : undefined;
      let before = await server.db.snapshot();
      const none = await server.request(route.method, path, { body });
      expectProblem(none, 401, 'unauthenticated');
      expect(await server.db.snapshot(), label).toEqual(before);
      if (route.auth === 'license') {
        // Only a subscription's license token opens these: an access token is no credential here.
        const res = await server.request(route.method, path, { token: user.access, body });
        expectProblem(res, 401, 'unauthenticated');
        expect(await server.db.snapshot(), label).toEqual(before);
        continue;
      }
      const roles = allowedRoles(route);
      for (const [role, who] of [['user', user], ['viewer', viewer], ['admin', admin]] as const) {
        // A fresh session each time: some routes (logout) end the one they are called with.
        const session = await signIn(server, who.email, who.password, who.id);
        before = await server.db.snapshot();
        const res = await server.request(route.method, path, { token: session.access, body });
        if (roles.includes(role)) {
          expect([401, 403], `${label} as ${role}: ${res.text}`).not.toContain(res.status);
        } else {
          expectProblem(res, 403, 'forbidden');
          expect(await server.db.snapshot(), `${label} as ${role}`).toEqual(before);
        }
      }
    }
  });

  it('lets a viewer read but not change anything', async () => {
    expect((await server.request('GET', '/auth/me', { token: viewer.access })).status).toBe(200);
    expectProblem(await server.request('POST', '/api-keys', { token: viewer.access, body: { name: 'x', scopes: ['account:read'] } }), 403, 'forbidden');
    // Their own session stays theirs to manage.
    expect((await server.request('GET', '/auth/sessions', { token: viewer.access })).status).toBe(200);
  });

  describe('admin', () => {
    it('lists users with filters and pages through them', async () => {
      const byRole = await server.request('GET', '/admin/users?role=viewer', { token: admin.access });
      expect(byRole.body.users.map((u: { id: string }) => u.id)).toEqual([viewer.id]);
      const search = await server.request('GET', '/admin/users?q=PLAIN', { token: admin.access });
      expect(search.body.users.map((u: { email: string }) => u.email)).toEqual(['plain@example.com']);
      const page1 = await server.request('GET', '/admin/users?limit=2', { token: admin.access });
      expect(page1.body.users).toHaveLength(2);
      expect(page1.body.next_cursor).toBe(page1.body.users[1].id);
      const page2 = await server.request('GET', `/admin/users?limit=2&cursor=${page1.body.next_cursor}`, { token: admin.access });
      expect(page2.body.users.map((u: { id: string }) => u.id)).not.toContain(page1.body.users[0].id);
      // A last page that happens to be full says there is nothing after it.
      const everyone = (await server.request('GET', '/admin/users?limit=100', { token: admin.access })).body.users;
      const exact = await server.request('GET', `/admin/users?limit=${everyone.length}`, { token: admin.access });
      expect(exact.body.users).toHaveLength(everyone.length);
      expect(exact.body.next_cursor).toBeNull();
      expectProblem(await server.request('GET', '/admin/users?limit=1000', { token: admin.access }), 422, 'validation_failed');
      expectProblem(await server.request('GET', '/admin/users?status=gone', { token: admin.access }), 422, 'validation_failed');
    });

    it('disables a user: every session and API key stops at once; enabling lets them sign in again', async () => {
      const target = await signUp(server, 'to-disable');
      const key = (await server.request('POST', '/api-keys', { token: target.access, body: { name: 'bot', scopes: ['account:read'] } })).body.key;
      expect((await server.request('GET', '/auth/me', { headers: { 'x-api-key': key } })).status).toBe(200);

      const res = await server.request('POST', `/admin/users/${target.id}/disable`, { token: admin.access });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('disabled');
      expectProblem(await server.request('GET', '/auth/me', { token: target.access }), 401, 'invalid_token');
      expectProblem(await server.request('GET', '/auth/me', { headers: { 'x-api-key': key } }), 401, 'invalid_token');
      expectProblem(await server.request('POST', '/auth/refresh', { body: { refresh_token: target.refresh } }), 401, 'invalid_token');
      expectProblem(await server.request('POST', '/auth/login', { body: { email: target.email, password: target.password } }), 403, 'account_disabled');

      expect((await server.request('POST', `/admin/users/${target.id}/enable`, { token: admin.access })).body.status).toBe('active');
      expect((await server.request('POST', '/auth/login', { body: { email: target.email, password: target.password } })).status).toBe(200);
      // Keys revoked by the disable stay revoked.
      expectProblem(await server.request('GET', '/auth/me', { headers: { 'x-api-key': key } }), 401, 'invalid_token');

      const logs = await server.request('GET', `/admin/audit-logs?target_id=${target.id}`, { token: admin.access });
      expect(logs.body.audit_logs.map((l: { action: string }) => l.action)).toEqual(['admin.user_enabled', 'admin.user_disabled']);
      const disabled = logs.body.audit_logs.find((l: { action: string }) => l.action === 'admin.user_disabled');
      expect(disabled).toMatchObject({ actor_id: admin.id, target_type: 'user', details: { revoked: { sessions: 1, apiKeys: 1 } } });
    });

    it('changes roles: the change applies at once and the last admin cannot be removed', async () => {
      const promoted = await signUp(server, 'promoted');
      const res = await server.request('PUT', `/admin/users/${promoted.id}/role`, { token: admin.access, body: { role: 'admin' } });
      expect(res.body.role).toBe('admin');
      expectProblem(await server.request('GET', '/auth/me', { token: promoted.access }), 401, 'invalid_token'); // signs in again
      const again = await signIn(server, promoted.email, promoted.password, promoted.id);
      expect((await server.request('GET', '/admin/users', { token: again.access })).status).toBe(200);
      // Demote the new admin, then try to demote (or disable) the only one left.
      expect((await server.request('PUT', `/admin/users/${promoted.id}/role`, { token: admin.access, body: { role: 'user' } })).status).toBe(200);
      const before = await server.db.snapshot();
      expectProblem(await server.request('PUT', `/admin/users/${admin.id}/role`, { token: admin.access, body: { role: 'viewer' } }), 409, 'conflict');
      expectProblem(await server.request('POST', `/admin/users/${admin.id}/disable`, { token: admin.access }), 409, 'conflict');
      expectProblem(await server.request('PUT', `/admin/users/${admin.id}/role`, { token: admin.access, body: { role: 'root' } }), 422, 'validation_failed');
      expectProblem(await server.request('POST', '/admin/users/no-such-user/disable', { token: admin.access }), 404, 'not_found');
      expect(await server.db.snapshot()).toEqual(before);
    });

    it('pages the audit log newest first with a cursor', async () => {
      const all = await server.request('GET', '/admin/audit-logs?limit=100', { token: admin.access });
      expect(all.body.audit_logs.length).toBeGreaterThan(3);
      const ids = all.body.audit_logs.map((l: { id: string }) => l.id);
      expect([...ids].sort().reverse()).toEqual(ids);
      const first = await server.request('GET', '/admin/audit-logs?limit=2', { token: admin.access });
      const second = await server.request('GET', `/admin/audit-logs?limit=2&cursor=${first.body.next_cursor}`, { token: admin.access });
      expect([...first.body.audit_logs, ...second.body.audit_logs].map((l: { id: string }) => l.id)).toEqual(ids.slice(0, 4));
    });
  });

  describe('API keys', () => {
    it('shows the secret once, stores only its hash, and authenticates scoped routes', async () => {
      const owner = await signUp(server, 'keyholder');
      const created = await server.request('POST', '/api-keys', {
        token: owner.access,
        body: { name: 'trading bot', scopes: ['trading:write', 'account:read'] },
      });
      expect(created.status).toBe(201);
      const { key, api_key: apiKey } = created.body;
      expect(key).toMatch(/^tp_[0-9A-Za-z]{8}_[0-9A-Za-z]{38}$/);
      expect(key.startsWith(`tp_${apiKey.prefix}_`)).toBe(true);
      expect(apiKey).toMatchObject({ name: 'trading bot', scopes: ['account:read', 'trading:write'], expires_at: null, last_used_at: null });
      expect(JSON.stringify(await server.db.snapshot())).not.toContain(key.slice(12));

      const me = await server.request('GET', '/auth/me', { headers: { 'x-api-key': key } });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(owner.id);
      const listed = await server.request('GET', '/api-keys', { token: owner.access });
      expect(listed.body.api_keys).toEqual([{ ...apiKey, last_used_at: clock.now().toISOString() }]);
      expect(listed.text).not.toContain(key);
    });

    it('refuses keys without the scope, on unscoped routes, with typos, after revocation and after expiry — changing nothing', async () => {
      const owner = await signUp(server, 'scoped');
      const create = (body: Record<string, unknown>) => server.request('POST', '/api-keys', { token: owner.access, body });
      const walletOnly = (await create({ name: 'wallet reader', scopes: ['wallet:read'] })).body.key;
      const expiring = (await create({ name: 'short-lived', scopes: ['account:read'], expires_at: new Date(clock.now().getTime() + 3600_000).toISOString() })).body;
      const before = await server.db.snapshot();

      const noScope = await server.request('GET', '/auth/me', { headers: { 'x-api-key': walletOnly } });
      expectProblem(noScope, 403, 'insufficient_scope');
      expect(noScope.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
      // A key cannot manage keys or sessions, whatever its scopes.
      expectProblem(await server.request('POST', '/api-keys', { headers: { 'x-api-key': expiring.key }, body: { name: 'more', scopes: ['wallet:write'] } }), 401, 'unauthenticated');
      expectProblem(await server.request('GET', '/auth/sessions', { headers: { 'x-api-key': expiring.key } }), 401, 'unauthenticated');
      const typo = expiring.key.slice(0, -1) + (expiring.key.endsWith('A') ? 'B' : 'A');
      expectProblem(await server.request('GET', '/auth/me', { headers: { 'x-api-key': typo } }), 401, 'invalid_token');
      expectProblem(await server.request('GET', '/auth/me', { headers: { 'x-api-key': "tp_' or 1=1 --" } }), 401, 'invalid_token');
      expect(await server.db.snapshot()).toEqual(before);

      clock.advance(3600_000);
      expectProblem(await server.request('GET', '/auth/me', { headers: { 'x-api-key': expiring.key } }), 401, 'invalid_token');
      const fresh = await signIn(server, owner.email, owner.password, owner.id); // the access token expired too
      const create2 = (body: Record<string, unknown>) => server.request('POST', '/api-keys', { token: fresh.access, body });
      expect((await server.request('DELETE', `/api-keys/${expiring.api_key.id}`, { token: fresh.access })).status).toBe(204);
      expect((await server.request('GET', '/api-keys', { token: fresh.access })).body.api_keys.map((k: { name: string }) => k.name)).toEqual(['wallet reader']);
      expectProblem(await create2({ name: 'past', scopes: ['account:read'], expires_at: '2020-01-01T00:00:00Z' }), 422, 'validation_failed');
      expectProblem(await create2({ name: 'bad', scopes: ['root:all'] }), 422, 'validation_failed');
    });

    it('answers 404 for another user’s key, leaving it working', async () => {
      const alice = await signUp(server, 'alice-keys');
      const mallory = await signUp(server, 'mallory-keys');
      const alicesKey = (await server.request('POST', '/api-keys', { token: alice.access, body: { name: 'a', scopes: ['account:read'] } })).body;
      const before = await server.db.snapshot();
      expectProblem(await server.request('DELETE', `/api-keys/${alicesKey.api_key.id}`, { token: mallory.access }), 404, 'not_found');
      expect(await server.db.snapshot()).toEqual(before);
      expect((await server.request('GET', '/auth/me', { headers: { 'x-api-key': alicesKey.key } })).status).toBe(200);
      expect((await server.request('GET', '/api-keys', { token: mallory.access })).body.api_keys).toEqual([]);
    });
  });

  it('stores SQL metacharacters in every string field as plain data', async () => {
    admin = await signIn(server, admin.email, admin.password, admin.id); // earlier tests moved the clock
    const nasty = `'; drop table users; --"\\%_`;
    const email = `o'brien_--+x@example.com`;
    const reg = await server.request('POST', '/auth/register', { body: { email, password: `${nasty}pw` } });
    expect(reg.status, reg.text).toBe(201);
    const login = await server.request('POST', '/auth/login', { body: { email, password: `${nasty}pw`, device_label: nasty }, headers: { 'user-agent': nasty } });
    expect(login.status).toBe(200);
    const sessions = await server.request('GET', '/auth/sessions', { token: login.body.access_token });
    expect(sessions.body.sessions[0]).toMatchObject({ device_label: nasty, user_agent: nasty });
    const key = await server.request('POST', '/api-keys', { token: login.body.access_token, body: { name: nasty, scopes: ['account:read'] } });
    expect(key.body.api_key.name).toBe(nasty);
    const search = await server.request('GET', `/admin/users?q=${encodeURIComponent(`'brien_`)}`, { token: admin.access });
    expect(search.body.users.map((u: { email: string }) => u.email)).toEqual([email]);
    const logs = await server.request('GET', `/admin/audit-logs?action=${encodeURIComponent(nasty)}`, { token: admin.access });
    expect(logs.body.audit_logs).toEqual([]);
    expectProblem(await server.request('POST', '/auth/login', { body: { email: `x'or'1'--@example.com`, password: `' or '1'='1` } }), 401, 'invalid_credentials');
    expect((await server.request('GET', '/admin/users?limit=100', { token: admin.access })).body.users.length).toBeGreaterThan(5);
  });

  it('refuses a body over the configured limit with 413, changing nothing', async () => {
    const before = await server.db.snapshot();
    const res = await server.request('POST', '/auth/register', { body: { email: 'big@example.com', password: 'x'.repeat(5000) } });
    expectProblem(res, 413, 'payload_too_large');
    expect(await server.db.snapshot()).toEqual(before);
  });
});
