/**
 * Sharp edges of sessions and operations, as a client or an operator meets them over HTTP:
 * API keys and password changes, the refresh-token reuse grace, the `/docs` page's headers,
 * `/metrics` in production, and guessable JWT secrets.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const randomSecret = () => randomBytes(32).toString('base64url');

async function account(server: TestServer, name: string) {
  const email = `${name}@example.com`;
  const password = `${name}-long-passphrase`;
  const reg = await server.request('POST', '/auth/register', { body: { email, password } });
  expect(reg.status).toBe(201);
  const login = await server.request('POST', '/auth/login', { body: { email, password } });
  expect(login.status).toBe(200);
  return { id: reg.body.user.id as string, email, password, token: login.body.access_token as string, refreshToken: login.body.refresh_token as string };
}

describe.each(testDatabaseKinds())('API keys and password changes on %s', (kind) => {
  let server: TestServer;
  let keeping: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
    keeping = await startTestServer(kind, { auth: { revokeApiKeysOnPasswordChange: false } });
  });
  afterAll(async () => {
    await server?.close();
    await keeping?.close();
  });

  const newKey = async (s: TestServer, token: string, name: string) => {
    const res = await s.request('POST', '/api-keys', { token, body: { name, scopes: ['account:read'] } });
    expect(res.status).toBe(201);
    return { id: res.body.api_key.id as string, key: res.body.key as string };
  };

  it('revokes the account’s API keys with a password change, and records it in the audit log', async () => {
    const alice = await account(server, `keys-${kind}`);
    const first = await newKey(server, alice.token, 'bot one');
    const second = await newKey(server, alice.token, 'bot two');
    expect((await server.request('GET', '/auth/me', { headers: { 'x-api-key': first.key } })).status).toBe(200);

    const changed = await server.request('POST', '/auth/change-password', { token: alice.token, body: { current_password: alice.password, new_password: `${alice.password}-renewed` } });
    expect(changed.status).toBe(200);
    for (const k of [first, second]) expect((await server.request('GET', '/auth/me', { headers: { 'x-api-key': k.key } })).status).toBe(401);
    expect((await server.request('GET', '/api-keys', { token: changed.body.access_token })).body.api_keys).toEqual([]);

    const [entry] = await server.engine.admin.auditLogs({ action: 'auth.password_changed', targetId: alice.id, limit: 5 });
    expect(entry?.details).toMatchObject({ api_keys_revoked: [first.id, second.id].sort() });
  });

  it('keeps them when the engine is configured to', async () => {
    const bob = await account(keeping, `keys-kept-${kind}`);
    const key = await newKey(keeping, bob.token, 'kept');
    const changed = await keeping.request('POST', '/auth/change-password', { token: bob.token, body: { current_password: bob.password, new_password: `${bob.password}-renewed` } });
    expect(changed.status).toBe(200);
    expect((await keeping.request('GET', '/auth/me', { headers: { 'x-api-key': key.key } })).status).toBe(200);
    const [entry] = await keeping.engine.admin.auditLogs({ action: 'auth.password_changed', targetId: bob.id, limit: 5 });
    expect(entry?.details).toMatchObject({ api_keys_revoked: [] });
  });

  it('hands the reuse grace’s successor only to the client that rotated the token', async () => {
    const carol = await account(server, `grace-${kind}`);
    const app = { 'user-agent': 'tradeplane-app/1.0' };
    const rotated = await server.request('POST', '/auth/refresh', { headers: app, body: { refresh_token: carol.refreshToken } });
    expect(rotated.status).toBe(200);
    // The same client retrying (its answer was lost) gets the same successor.
    const retried = await server.request('POST', '/auth/refresh', { headers: app, body: { refresh_token: carol.refreshToken } });
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(rotated.body.refresh_token);
    // Another client presenting the old token inside the window is a thief, not a retry.
    const other = await server.request('POST', '/auth/refresh', { headers: { 'user-agent': 'curl/8.5' }, body: { refresh_token: carol.refreshToken } });
    expect(other.status).toBe(401);
    expect(other.body).toMatchObject({ code: 'refresh_token_reused' });
    // …and the session it tried to ride is over for everyone.
    expect((await server.request('POST', '/auth/refresh', { headers: app, body: { refresh_token: rotated.body.refresh_token } })).status).toBe(401);
    expect((await server.request('GET', '/auth/me', { token: rotated.body.access_token })).status).toBe(401);

    // The same user agent from another address is another client too (the test server trusts loopback proxies).
    const dave = await account(server, `grace-ip-${kind}`);
    const here = { ...app, 'x-forwarded-for': '203.0.113.7' };
    expect((await server.request('POST', '/auth/refresh', { headers: here, body: { refresh_token: dave.refreshToken } })).status).toBe(200);
    const elsewhere = await server.request('POST', '/auth/refresh', { headers: { ...app, 'x-forwarded-for': '198.51.100.9' }, body: { refresh_token: dave.refreshToken } });
    expect(elsewhere.body).toMatchObject({ code: 'refresh_token_reused' });
  });
});

describe('the /docs page', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite-memory');
  });
  afterAll(async () => server?.close());

  it('is served with the API’s security headers and a policy allowing only its own assets', async () => {
    for (const path of ['/docs', '/docs/init.js', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css']) {
      const res = await server.request('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toMatch(/unsafe-eval|unsafe-inline[^;]*script|\*/);
    }
  });
});

describe('/metrics in production', () => {
  const servers: TestServer[] = [];
  const start = async (metrics: Record<string, unknown>) => {
    const s = await startTestServer('sqlite-memory', { mode: 'production', auth: { jwtSecret: randomSecret() }, metrics });
    servers.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('is refused to everyone unless a token or address list guards it, or it is opened on purpose', async () => {
    const closed = await start({});
    const refused = await closed.request('GET', '/metrics');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden' });
    expect(refused.text).not.toContain('http_requests');

    const guarded = await start({ token: 'metrics-token-0123456789' });
    expect((await guarded.request('GET', '/metrics')).status).toBe(401);
    expect((await guarded.request('GET', '/metrics', { token: 'metrics-token-0123456789' })).status).toBe(200);

    const opened = await start({ open: true });
    expect((await opened.request('GET', '/metrics')).status).toBe(200);
  });

  it('stays open outside production, as before', async () => {
    const dev = await startTestServer('sqlite-memory');
    servers.push(dev);
    expect((await dev.request('GET', '/metrics')).status).toBe(200);
  });
});

describe('guessable JWT secrets', () => {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (...args: unknown[]) => void warnings.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')) };

  it.each(['a'.repeat(64), 'test-secret-test-secret-test-secret!', 'abcdefghijklmnopqrstuvwxyz0123456789', '0123456789'.repeat(4), 'ab'.repeat(32)])('refuses %s in production', async (secret) => {
    await expect(createEngine({ database: ':memory:', mode: 'production', logger: silentLogger, auth: { jwtSecret: secret } })).rejects.toThrow(/auth\.jwtSecret.*guess/);
  });

  it('accepts random secrets in production, and only warns outside it', async () => {
    for (let i = 0; i < 20; i++) {
      for (const secret of [randomBytes(32).toString('base64url'), randomBytes(32).toString('hex'), randomBytes(32).toString('base64')]) {
        const engine = await createEngine({ database: ':memory:', mode: 'production', logger: silentLogger, auth: { jwtSecret: secret }, jobs: { enabled: false } });
        await engine.close();
      }
    }
    const dev = await createEngine({ database: ':memory:', mode: 'development', logger, auth: { jwtSecret: 'a'.repeat(64) }, jobs: { enabled: false } });
    await dev.close();
    expect(warnings.some((w) => /jwtSecret/.test(w) && /guess/.test(w))).toBe(true);
  });
});
