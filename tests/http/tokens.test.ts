/**
 * Tokens over HTTP on every database: forged and stale access tokens, published signing keys,
 * OpenID Connect sign-in against a JWKS served on loopback, and cookie mode with CSRF.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import { SignJWT, UnsecuredJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { generateSigningKey, manualClock } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp } from '../support/auth.js';

const SECRET = 'test-secret-test-secret-test-secret!';

describe.each(testDatabaseKinds())('tokens over HTTP on %s', (kind) => {
  describe('access tokens (HS256)', () => {
    let server: TestServer;
    const clock = manualClock(new Date('2026-08-01T00:00:00.000Z'));
    beforeAll(async () => {
      server = await startTestServer(kind, { clock });
    });
    afterAll(async () => {
      await server?.close();
    });

    /** Re-signs a real token's claims with changes: only the server secret makes it valid. */
    async function forge(access: string, change: { claims?: Record<string, unknown>; key?: string; alg?: string } = {}) {
      const claims = { ...decodeJwt(access), ...change.claims };
      return new SignJWT(claims).setProtectedHeader({ alg: change.alg ?? 'HS256' }).sign(new TextEncoder().encode(change.key ?? SECRET));
    }

    it('refuses every forged, stale or revoked token with 401, changing nothing', async () => {
      const alice = await signUp(server, 'alice-tokens');
      const now = Math.floor(clock.now().getTime() / 1000);
      expect((await server.request('GET', '/auth/me', { token: await forge(alice.access) })).status).toBe(200); // the control
      const attacks: [string, string][] = [
        ['forged signature', await forge(alice.access, { key: 'another-secret-another-secret-!!' })],
        ['alg none', new UnsecuredJWT(decodeJwt(alice.access)).encode()],
        ['another algorithm', await forge(alice.access, { alg: 'HS512', key: SECRET.repeat(2) })],
        ['wrong audience', await forge(alice.access, { claims: { aud: 'other-service' } })],
        ['wrong issuer', await forge(alice.access, { claims: { iss: 'https://evil.example' } })],
        ['not yet valid', await forge(alice.access, { claims: { nbf: now + 600 } })],
        ['issued in the future', await forge(alice.access, { claims: { iat: now + 600, exp: now + 1500 } })],
        ['old token_version', await forge(alice.access, { claims: { token_version: -1 } })],
        ['someone else’s session', await forge(alice.access, { claims: { sub: 'another-user' } })],
        ['role escalation', await forge(alice.access, { claims: { role: 'admin', sid: 'no-such-session' } })],
        ['truncated', alice.access.slice(0, -5)],
      ];
      const before = await server.db.snapshot();
      for (const [name, token] of attacks) {
        const res = await server.request('GET', '/auth/me', { token });
        expectProblem(res, 401, 'invalid_token');
        expect(res.headers.get('www-authenticate'), name).toMatch(/error="invalid_token"/);
      }
      // Expired is its own code, so that a client knows a refresh will help.
      const expired = await server.request('GET', '/auth/me', { token: await forge(alice.access, { claims: { iat: now - 3600, exp: now - 60 } }) });
      expectProblem(expired, 401, 'token_expired');
      expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(await server.db.snapshot()).toEqual(before);
    });

    it('expires access tokens after 15 minutes', async () => {
      const bob = await signUp(server, 'bob-expiry');
      clock.advance(15 * 60_000 + 31_000); // past exp plus the 30 s skew allowance
      expectProblem(await server.request('GET', '/auth/me', { token: bob.access }), 401, 'token_expired');
      expect((await server.request('POST', '/auth/refresh', { body: { refresh_token: bob.refresh } })).status).toBe(200);
    });

    it('deny-lists the jti at logout, for every instance on the database', async () => {
      const carol = await signUp(server, 'carol-logout');
      // A token of the same session re-signed with a new jti would pass without the session check:
      // logout ends the session as well as the jti.
      expect((await server.request('POST', '/auth/logout', { token: carol.access })).status).toBe(204);
      expectProblem(await server.request('GET', '/auth/me', { token: carol.access }), 401, 'invalid_token');
      const snapshot = await server.db.snapshot();
      expect(snapshot.revoked_access_tokens!.map((r) => r.jti)).toContain(decodeJwt(carol.access).jti);
    });
  });

  describe('asymmetric keys and JWKS', () => {
    let server: TestServer;
    let key: Awaited<ReturnType<typeof generateSigningKey>>;
    beforeAll(async () => {
      key = await generateSigningKey('EdDSA');
      server = await startTestServer(kind, { auth: { jwtSecret: SECRET, signingKeys: [key] } });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('publishes the public key, and any service can verify tokens with it', async () => {
      const jwks = await server.request('GET', '/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys).toEqual([expect.objectContaining({ kid: key.kid, alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519', use: 'sig' })]);
      expect(jwks.body.keys[0]).not.toHaveProperty('d');
      const dan = await signUp(server, 'dan-jwks');
      expect(decodeProtectedHeader(dan.access)).toMatchObject({ alg: 'EdDSA', kid: key.kid });
      const { payload } = await jwtVerify(dan.access, createLocalJWKSet(jwks.body), { issuer: 'tradeplane', audience: 'tradeplane' });
      expect(payload).toMatchObject({ sub: dan.id, role: 'user', token_version: 0, sid: dan.sessionId });
      expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub', 'token_version']);
      // An HS256 token made with the server secret no longer passes.
      const hs = await new SignJWT(decodeJwt(dan.access)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
      expectProblem(await server.request('GET', '/auth/me', { token: hs }), 401, 'invalid_token');
    });
  });

  describe('OpenID Connect', () => {
    let server: TestServer;
    let idp: Server;
    let signingKey: CryptoKey;
    let jwk: JWK;
    const issuer = 'https://idp.example.test';
    const clientId = 'tradeplane-web';

    beforeAll(async () => {
      const pair = await generateKeyPair('RS256', { extractable: true });
      signingKey = pair.privateKey as CryptoKey;
      jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
      // The provider's JWKS, served on loopback: no internet involved.
      idp = createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.url === '/jwks' ? { keys: [jwk] } : {}));
      });
      await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
      const jwksUri = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`;
      server = await startTestServer(kind, { auth: { oidc: { providers: [{ id: 'idp', issuer, audience: clientId, jwksUri }] } } });
    });
    afterAll(async () => {
      await server?.close();
      await new Promise((resolve) => idp?.close(resolve));
    });

    async function idToken(claims: Record<string, unknown>, options: { aud?: string; iss?: string; exp?: number; key?: CryptoKey; kid?: string } = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ email_verified: true, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'idp-key-1' })
        .setIssuer(options.iss ?? issuer)
        .setAudience(options.aud ?? clientId)
        .setIssuedAt(now)
        .setExpirationTime(options.exp ?? now + 300)
        .sign(options.key ?? signingKey);
    }
    const oidc = (body: Record<string, unknown>) => server.request('POST', '/auth/oidc', { body: { provider: 'idp', ...body } });

    it('signs up a new identity, then signs the same identity in again', async () => {
      const first = await oidc({ id_token: await idToken({ sub: 'idp-sub-1', email: 'Eve@Example.com', nonce: 'n-1' }), nonce: 'n-1' });
      expect(first.status, first.text).toBe(200);
      expect(first.body.user).toMatchObject({ email: 'eve@example.com', status: 'active' });
      expect((await server.request('GET', '/auth/me', { token: first.body.access_token })).body.email).toBe('eve@example.com');
      const again = await oidc({ id_token: await idToken({ sub: 'idp-sub-1', email: 'eve-renamed@example.com' }) });
      expect(again.body.user.id).toBe(first.body.user.id);
      // No password was set: password sign-in fails like any wrong password.
      expectProblem(await server.request('POST', '/auth/login', { body: { email: 'eve@example.com', password: 'anything-at-all' } }), 401, 'invalid_credentials');
    });

    it('links a verified email to an existing account, but never an unverified one', async () => {
      const frank = await signUp(server, 'frank-oidc');
      const before = await server.db.snapshot();
      const unverified = await oidc({ id_token: await idToken({ sub: 'idp-sub-2', email: frank.email, email_verified: false }) });
      expectProblem(unverified, 409, 'conflict');
      const squat = await oidc({ id_token: await idToken({ sub: 'idp-sub-9', email: 'nobody-yet@example.com', email_verified: false }) });
      expectProblem(squat, 409, 'conflict');
      expect(await server.db.snapshot()).toEqual(before);
      const linked = await oidc({ id_token: await idToken({ sub: 'idp-sub-2', email: frank.email }) });
      expect(linked.status).toBe(200);
      expect(linked.body.user.id).toBe(frank.id);
    });

    it('refuses bad ID tokens, changing nothing', async () => {
      const stranger = await generateKeyPair('RS256');
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: 'idp-sub-3', email: 'grace@example.com' };
      const cases: [string, Record<string, unknown>][] = [
        ['wrong audience', { id_token: await idToken(claims, { aud: 'someone-else' }) }],
        ['wrong issuer', { id_token: await idToken(claims, { iss: 'https://evil.example' }) }],
        ['expired', { id_token: await idToken(claims, { exp: now - 120 }) }],
        ['signed by another key', { id_token: await idToken(claims, { key: stranger.privateKey as CryptoKey }) }],
        ['nonce mismatch', { id_token: await idToken({ ...claims, nonce: 'server-side-nonce' }), nonce: 'other-nonce' }],
        ['nonce missing from the token', { id_token: await idToken(claims), nonce: 'expected' }],
        ['not a JWT', { id_token: 'not-a-jwt' }],
      ];
      const before = await server.db.snapshot();
      for (const [name, body] of cases) {
        const res = await oidc(body);
        expect(res.status, name).toBe(401);
        expectProblem(res, 401, 'invalid_token');
      }
      const unknown = await server.request('POST', '/auth/oidc', { body: { provider: 'nope', id_token: await idToken(claims) } });
      expectProblem(unknown, 422, 'validation_failed');
      expect(unknown.body.errors).toEqual([expect.objectContaining({ path: 'provider', code: 'unknown_provider' })]);
      expect(await server.db.snapshot()).toEqual(before);
    });
  });

  describe('cookie mode', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(kind, {}, { cookies: true });
    });
    afterAll(async () => {
      await server?.close();
    });

    const cookiesOf = (res: { headers: Headers }) => res.headers.getSetCookie();
    const valueOf = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0]!.slice(name.length + 1);

    it('keeps the refresh token in an HttpOnly cookie and requires the CSRF token to use it', async () => {
      await server.request('POST', '/auth/register', { body: { email: 'henry@example.com', password: 'henry-long-passphrase' } });
      const login = await server.request('POST', '/auth/login', { body: { email: 'henry@example.com', password: 'henry-long-passphrase' } });
      expect(login.status).toBe(200);
      expect(login.body).not.toHaveProperty('refresh_token');
      expect(login.body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const cookies = cookiesOf(login);
      const refreshCookie = cookies.find((c) => c.startsWith('tp_refresh='))!;
      expect(refreshCookie).toMatch(/; Path=\/api\/v1\/auth; Max-Age=604800; HttpOnly; Secure; SameSite=Strict$/);
      expect(cookies.find((c) => c.startsWith('tp_csrf='))).toMatch(/; Path=\/; Max-Age=604800; Secure; SameSite=Strict$/);
      const cookieHeader = `tp_refresh=${valueOf(cookies, 'tp_refresh')}; tp_csrf=${valueOf(cookies, 'tp_csrf')}`;

      // A cross-site form post carries the cookie but cannot know the CSRF token.
      const before = await server.db.snapshot();
      expectProblem(await server.request('POST', '/auth/refresh', { headers: { cookie: cookieHeader } }), 403, 'csrf_failed');
      expectProblem(await server.request('POST', '/auth/refresh', { headers: { cookie: cookieHeader, 'x-csrf-token': 'guess' } }), 403, 'csrf_failed');
      expect(await server.db.snapshot()).toEqual(before);

      const refreshed = await server.request('POST', '/auth/refresh', { headers: { cookie: cookieHeader, 'x-csrf-token': login.body.csrf_token } });
      expect(refreshed.status, refreshed.text).toBe(200);
      expect(refreshed.body.csrf_token).toBe(login.body.csrf_token); // bound to the session, stable across rotations
      expect(valueOf(cookiesOf(refreshed), 'tp_refresh')).not.toBe(valueOf(cookies, 'tp_refresh'));

      const logout = await server.request('POST', '/auth/logout', { token: refreshed.body.access_token });
      expect(logout.status).toBe(204);
      expect(cookiesOf(logout).map((c) => c.split(';')[0])).toEqual(['tp_refresh=', 'tp_csrf=']);
      expect(cookiesOf(logout).every((c) => c.includes('Max-Age=0'))).toBe(true);
    });

    it('still accepts a refresh token in the body (mobile clients)', async () => {
      const user = await signUp(server, 'ivy-cookie');
      expect(user.refresh).toBeUndefined(); // in cookie mode the body has none
      const login = await server.request('POST', '/auth/login', { body: { email: 'ivy-cookie@example.com', password: 'ivy-cookie-long-passphrase' } });
      const token = valueOf(cookiesOf(login), 'tp_refresh')!;
      const res = await server.request('POST', '/auth/refresh', { body: { refresh_token: decodeURIComponent(token) } });
      expect(res.status).toBe(200);
    });
  });
});
