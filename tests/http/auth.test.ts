/**
 * The auth slice end to end: HTTP over a real socket → Express adapter → dispatcher →
 * services → SQLite (memory and file) and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem } from '../support/auth.js';

describe.each(testDatabaseKinds())('auth over HTTP on %s', (kind) => {
  let server: TestServer;
  const clock = manualClock(new Date());
  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { loginThrottle: false } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('register → login → me → refresh → logout, then the old tokens are refused', async () => {
    const register = await server.request('POST', '/auth/register', { body: { email: 'Alice@Example.com', password: 'correct horse battery' } });
    expect(register.status).toBe(201);
    expect(register.body.user).toMatchObject({ email: 'alice@example.com', role: 'user', status: 'active' });
    expect(register.text).not.toMatch(/password|argon/i);

    const login = await server.request('POST', '/auth/login', { body: { email: 'alice@example.com', password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(login.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_expires_in: 604800 });
    const { access_token: access1, refresh_token: refresh1 } = login.body;

    const me = await server.request('GET', '/auth/me', { token: access1 });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(register.body.user);

    const refreshed = await server.request('POST', '/auth/refresh', { body: { refresh_token: refresh1 } });
    expect(refreshed.status).toBe(200);
    const { access_token: access2, refresh_token: refresh2 } = refreshed.body;
    expect(refresh2).not.toBe(refresh1);
    expect((await server.request('GET', '/auth/me', { token: access2 })).status).toBe(200);

    const logout = await server.request('POST', '/auth/logout', { token: access2 });
    expect(logout.status).toBe(204);
    expect(logout.text).toBe('');

    expectProblem(await server.request('GET', '/auth/me', { token: access2 }), 401, 'invalid_token');
    // Logout ends the session: the access token issued before the refresh dies too.
    expectProblem(await server.request('GET', '/auth/me', { token: access1 }), 401, 'invalid_token');
    expectProblem(await server.request('POST', '/auth/refresh', { body: { refresh_token: refresh2 } }), 401, 'invalid_token');
  });

  it('revokes the whole session when a rotated refresh token is reused', async () => {
    await server.request('POST', '/auth/register', { body: { email: 'bob@example.com', password: 'bob-password-1' } });
    const login = await server.request('POST', '/auth/login', { body: { email: 'bob@example.com', password: 'bob-password-1' } });
    const first = login.body.refresh_token;
    const rotated = (await server.request('POST', '/auth/refresh', { body: { refresh_token: first } })).body;
    const second = rotated.refresh_token;
    expect((await server.request('GET', '/auth/me', { token: rotated.access_token })).status).toBe(200);

    // Within the reuse window (a client that lost the answer retries): the same successor again.
    clock.advance(9_000);
    const retried = await server.request('POST', '/auth/refresh', { body: { refresh_token: first } });
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(second);

    clock.advance(2_000); // now past the 10 s window
    const reuse = await server.request('POST', '/auth/refresh', { body: { refresh_token: first } });
    expectProblem(reuse, 401, 'refresh_token_reused');
    // Every access token of the revoked session stops working at once, not at expiry.
    expectProblem(await server.request('GET', '/auth/me', { token: rotated.access_token }), 401, 'invalid_token');
    expectProblem(await server.request('GET', '/auth/me', { token: login.body.access_token }), 401, 'invalid_token');
    // The legitimate successor dies with its family.
    expectProblem(await server.request('POST', '/auth/refresh', { body: { refresh_token: second } }), 401, 'invalid_token');
    // Another session of the same user is untouched.
    const other = await server.request('POST', '/auth/login', { body: { email: 'bob@example.com', password: 'bob-password-1' } });
    expect((await server.request('POST', '/auth/refresh', { body: { refresh_token: other.body.refresh_token } })).status).toBe(200);
  });

  it('answers 409 for a duplicate email, whatever its case', async () => {
    await server.request('POST', '/auth/register', { body: { email: 'carol@example.com', password: 'carol-password' } });
    expectProblem(await server.request('POST', '/auth/register', { body: { email: 'CAROL@example.com', password: 'another-password' } }), 409, 'email_taken');
    // The original password still works: nothing was overwritten.
    expect((await server.request('POST', '/auth/login', { body: { email: 'carol@example.com', password: 'carol-password' } })).status).toBe(200);
  });

  it('answers 401 for a wrong password and for an unknown email, identically', async () => {
    await server.request('POST', '/auth/register', { body: { email: 'dave@example.com', password: 'dave-password' } });
    const wrong = await server.request('POST', '/auth/login', { body: { email: 'dave@example.com', password: 'not-his-password' } });
    const unknown = await server.request('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'whatever-password' } });
    expectProblem(wrong, 401, 'invalid_credentials');
    expectProblem(unknown, 401, 'invalid_credentials');
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it('requires a valid bearer token on protected routes', async () => {
    const none = await server.request('GET', '/auth/me');
    expectProblem(none, 401, 'unauthenticated');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectProblem(await server.request('GET', '/auth/me', { token: 'not.a.jwt' }), 401, 'invalid_token');
    expectProblem(await server.request('POST', '/auth/logout'), 401, 'unauthenticated');
  });

  describe('bad input gets a clear error and changes nothing', () => {
    const email = 'erin@example.com';
    const registerErin = () => server.request('POST', '/auth/register', { body: { email, password: 'erin-password' } });

    it('malformed JSON → 400', async () => {
      const res = await server.request('POST', '/auth/register', { body: `{"email": "${email}", "password": ` });
      expectProblem(res, 400, 'malformed_json');
    });

    it('unknown fields → 422 naming each field', async () => {
      const res = await server.request('POST', '/auth/register', { body: { email, password: 'erin-password', role: 'admin' } });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toEqual([{ in: 'body', path: 'role', code: 'unrecognized_keys', message: 'Unknown field' }]);
    });

    it('missing and invalid fields → 422 with field errors', async () => {
      const missing = await server.request('POST', '/auth/register', { body: { email } });
      expectProblem(missing, 422, 'validation_failed');
      expect(missing.body.errors).toEqual([expect.objectContaining({ in: 'body', path: 'password', code: 'invalid_type' })]);

      const invalid = await server.request('POST', '/auth/register', { body: { email: 'not-an-email', password: 'short' } });
      expectProblem(invalid, 422, 'validation_failed');
      expect(invalid.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['email', 'password']);

      const empty = await server.request('POST', '/auth/register', { body: '' , headers: { 'content-type': 'application/json' } });
      expectProblem(empty, 422, 'validation_failed');
    });

    it('wrong content type → 415, oversized body → 413', async () => {
      const text = await server.request('POST', '/auth/register', {
        body: JSON.stringify({ email, password: 'erin-password' }),
        headers: { 'content-type': 'text/plain' },
      });
      expectProblem(text, 415, 'unsupported_media_type');
      const huge = await server.request('POST', '/auth/register', { body: { email, password: 'x'.repeat(2 * 1024 * 1024) } });
      expectProblem(huge, 413, 'payload_too_large');
    });

    it('after all of the above, the account was never created', async () => {
      expectProblem(await server.request('POST', '/auth/login', { body: { email, password: 'erin-password' } }), 401, 'invalid_credentials');
      expect((await registerErin()).status).toBe(201);
    });
  });

  it('stores SQL metacharacters as plain data', async () => {
    const email = "o'brien'--'or'1@example.com";
    const res = await server.request('POST', '/auth/register', { body: { email, password: "pa'ss\"word;--" } });
    expect(res.status).toBe(201);
    expect((await server.request('POST', '/auth/login', { body: { email, password: "pa'ss\"word;--" } })).status).toBe(200);
  });
});
