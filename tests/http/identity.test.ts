/**
 * Accounts over HTTP on every database: password policy, sign-up approval, usernames and
 * referral codes, login throttling, sessions, change-password and rehash on login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, silentLogger } from '@tradeplane/core';
import { createEngine } from '@tradeplane/engine';
import { testDatabaseKinds, createTestDatabase } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signIn, signUp } from '../support/auth.js';

describe.each(testDatabaseKinds())('identity over HTTP on %s', (kind) => {
  let server: TestServer;
  const clock = manualClock(new Date('2026-06-01T00:00:00.000Z'));
  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { passwordPolicy: { blocklist: ['tradeplane-rocks'] } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('password policy', () => {
    it.each([
      ['too short', 'short7!', 'password', 'too_small'],
      ['one of the most common passwords', 'password1', 'password', 'too_common'],
      ['common, in other case', 'SUNSHINE1', 'password', 'too_common'],
      ['on the configured blocklist', 'Tradeplane-Rocks', 'password', 'too_common'],
      ['equal to the email', 'policy@example.com', 'password', 'matches_identity'],
      ['equal to the username', 'policyname', 'password', 'matches_identity'],
      ['longer than 128 characters', 'x'.repeat(129), 'password', 'too_big'],
    ])('refuses a password %s, with a field error, creating nothing', async (_name, password, path, code) => {
      const before = await server.db.snapshot();
      const res = await server.request('POST', '/auth/register', { body: { email: 'policy@example.com', username: 'policyname', password } });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ in: 'body', path, code })]);
      expect(await server.db.snapshot()).toEqual(before);
    });

    it('accepts long passphrases and any characters, without composition rules', async () => {
      const passphrase = 'correct horse battery staple '.repeat(4).slice(0, 128);
      const res = await server.request('POST', '/auth/register', { body: { email: 'phrase@example.com', password: passphrase } });
      expect(res.status).toBe(201);
      expect((await server.request('POST', '/auth/login', { body: { email: 'phrase@example.com', password: passphrase } })).status).toBe(200);
      const unicode = await server.request('POST', '/auth/register', { body: { email: 'unicode@example.com', password: 'пароль-密码-🔑🔑' } });
      expect(unicode.status).toBe(201);
    });
  });

  it('signs in by username, keeps the referral code, and refuses a taken username', async () => {
    const affiliate = await signUp(server, 'affiliate-of-uname');
    const code = (await server.request('GET', '/users/affiliate/code', { token: affiliate.access })).body.code as string;
    // An unknown code is refused and creates nothing: the same email registers afterwards.
    const unknown = await server.request('POST', '/auth/register', {
      body: { email: 'uname@example.com', username: 'Trader_One', password: 'uname-long-passphrase', referral_code: 'FRIEND-42' },
    });
    expectProblem(unknown, 422, 'validation_failed');
    expect(unknown.body.errors).toEqual([expect.objectContaining({ path: 'referral_code', code: 'unknown_code' })]);
    const typed = code.toLowerCase();
    const res = await server.request('POST', '/auth/register', {
      body: { email: 'uname@example.com', username: 'Trader_One', password: 'uname-long-passphrase', referral_code: typed },
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ username: 'trader_one', referral_code: typed, status: 'active' });
    expect((await server.request('GET', '/users/affiliate/stats', { token: affiliate.access })).body).toMatchObject({ code, referred_users: 1, active_users: 1 });
    const login = await server.request('POST', '/auth/login', { body: { username: 'TRADER_ONE', password: 'uname-long-passphrase' } });
    expect(login.status).toBe(200);
    expect(login.body.user.email).toBe('uname@example.com');
    const dup = await server.request('POST', '/auth/register', { body: { email: 'other@example.com', username: 'trader_one', password: 'other-long-passphrase' } });
    expectProblem(dup, 409, 'username_taken');
    const both = await server.request('POST', '/auth/login', { body: { email: 'uname@example.com', username: 'trader_one', password: 'x' } });
    expectProblem(both, 422, 'validation_failed');
  });

  // What throttling refuses and what it never refuses: tests/http/throttling.test.ts.
  describe('login throttling', () => {
    // One in-memory database cannot be shared by two engines; the file and PostgreSQL can.
    it.runIf(kind !== 'sqlite-memory')('holds across instances sharing the database', async () => {
      const target = await signUp(server, 'shared');
      const address = '198.51.100.200';
      for (let i = 0; i < 5; i++) await server.request('POST', '/auth/login', { body: { email: target.email, password: 'nope-nope' }, headers: { 'x-forwarded-for': address } });
      const other = await createEngine({ database: server.db.database, clock, logger: silentLogger, migrate: false, auth: { jwtSecret: 'test-secret-test-secret-test-secret!' } });
      try {
        await expect(other.auth.login({ email: target.email, password: target.password }, { ip: address })).rejects.toMatchObject({ code: 'rate_limited' });
      } finally {
        await other.close();
      }
      clock.advance(301_000);
    });
  });

  describe('sessions', () => {
    it('lists each device, marks the current one, and revokes another', async () => {
      const alice = await signUp(server, 'alice-sessions');
      const phone = await server.request('POST', '/auth/login', {
        body: { email: alice.email, password: alice.password, device_label: 'Alice’s phone' },
        headers: { 'user-agent': 'TradeApp/2.1 (iOS)' },
      });
      const list = await server.request('GET', '/auth/sessions', { token: alice.access });
      expect(list.status).toBe(200);
      expect(list.body.sessions).toHaveLength(2);
      const current = list.body.sessions.find((s: { current: boolean }) => s.current);
      expect(current.id).toBe(alice.sessionId);
      const other = list.body.sessions.find((s: { id: string }) => s.id === phone.body.session_id);
      expect(other).toMatchObject({ device_label: 'Alice’s phone', user_agent: 'TradeApp/2.1 (iOS)', ip: '127.0.0.1', current: false });
      expect(new Date(other.expires_at).getTime() - new Date(other.created_at).getTime()).toBe(30 * 24 * 3600 * 1000);

      expect((await server.request('DELETE', `/auth/sessions/${phone.body.session_id}`, { token: alice.access })).status).toBe(204);
      expectProblem(await server.request('GET', '/auth/me', { token: phone.body.access_token }), 401, 'invalid_token');
      expectProblem(await server.request('POST', '/auth/refresh', { body: { refresh_token: phone.body.refresh_token } }), 401, 'invalid_token');
      expect((await server.request('GET', '/auth/sessions', { token: alice.access })).body.sessions).toHaveLength(1);
      // Revoking it again, or someone else's session, is a 404 that changes nothing.
      const bob = await signUp(server, 'bob-sessions');
      const before = await server.db.snapshot({ except: ['audit_logs'] });
      expectProblem(await server.request('DELETE', `/auth/sessions/${phone.body.session_id}`, { token: alice.access }), 404, 'not_found');
      expectProblem(await server.request('DELETE', `/auth/sessions/${bob.sessionId}`, { token: alice.access }), 404, 'not_found');
      expect(await server.db.snapshot({ except: ['audit_logs'] })).toEqual(before);
      expect((await server.request('GET', '/auth/me', { token: bob.access })).status).toBe(200);
    });

    it('ends a session at its absolute lifetime however often it is refreshed', async () => {
      const carol = await signUp(server, 'carol-lifetime');
      let refresh = carol.refresh;
      for (let round = 0; round < 4; round++) {
        clock.advance(6 * 24 * 3600 * 1000); // inside the 7-day refresh lifetime each time
        const res = await server.request('POST', '/auth/refresh', { body: { refresh_token: refresh } });
        expect(res.status).toBe(200);
        refresh = res.body.refresh_token;
      }
      clock.advance(7 * 24 * 3600 * 1000 - 1000); // day 31: the refresh token is still fresh, the session is not
      expectProblem(await server.request('POST', '/auth/refresh', { body: { refresh_token: refresh } }), 401, 'invalid_token');
    });
  });

  describe('change password', () => {
    it('refuses a wrong current password and changes nothing', async () => {
      const dave = await signUp(server, 'dave-change');
      // A wrong guess is counted and audited like a failed sign-in; nothing else changes.
      const bookkeeping = { except: ['login_throttle', 'audit_logs'] };
      const before = await server.db.snapshot(bookkeeping);
      const res = await server.request('POST', '/auth/change-password', { token: dave.access, body: { current_password: 'not-it', new_password: 'brand-new-passphrase' } });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'current_password', code: 'incorrect' })]);
      expect(await server.db.snapshot(bookkeeping)).toEqual(before);
      expect((await server.engine.admin.auditLogs({ targetId: dave.id, action: 'auth.password_change_failed', limit: 5 })).length).toBe(1);
    });

    it('signs out every other session and gives this one fresh tokens', async () => {
      const erin = await signUp(server, 'erin-change');
      const laptop = await signIn(server, erin.email, erin.password);
      const res = await server.request('POST', '/auth/change-password', {
        token: erin.access,
        body: { current_password: erin.password, new_password: 'erin-new-passphrase' },
      });
      expect(res.status).toBe(200);
      expect(res.body.access_token).toBeTypeOf('string');
      // Every token issued before the change is dead, this session's old access token included.
      for (const token of [erin.access, laptop.access]) expectProblem(await server.request('GET', '/auth/me', { token }), 401, 'invalid_token');
      for (const refresh_token of [erin.refresh, laptop.refresh]) {
        expect((await server.request('POST', '/auth/refresh', { body: { refresh_token } })).status).toBe(401);
      }
      expect((await server.request('GET', '/auth/me', { token: res.body.access_token })).status).toBe(200);
      expect((await server.request('POST', '/auth/refresh', { body: { refresh_token: res.body.refresh_token } })).status).toBe(200);
      expectProblem(await server.request('POST', '/auth/login', { body: { email: erin.email, password: erin.password } }), 401, 'invalid_credentials');
      expect((await server.request('POST', '/auth/login', { body: { email: erin.email, password: 'erin-new-passphrase' } })).status).toBe(200);
    });
  });

  describe('sign-up approval', () => {
    let approvals: TestServer;
    beforeAll(async () => {
      approvals = await startTestServer(kind, { auth: { signupApproval: true } });
    });
    afterAll(async () => {
      await approvals?.close();
    });

    it('keeps new accounts pending until an admin approves them', async () => {
      // The operator's own account starts pending too; their code approves and promotes it.
      await approvals.request('POST', '/auth/register', { body: { email: 'approver@example.com', password: 'approver-long-passphrase' } });
      const pendingAdmin = (await approvals.engine.admin.listUsers({ status: 'pending', limit: 10 }))[0]!;
      await approvals.engine.admin.approve(null, pendingAdmin.id);
      await approvals.engine.admin.setRole(null, pendingAdmin.id, 'admin');
      const boss = await signIn(approvals, 'approver@example.com', 'approver-long-passphrase');

      const res = await approvals.request('POST', '/auth/register', { body: { email: 'newbie@example.com', password: 'newbie-long-passphrase' } });
      expect(res.status).toBe(201);
      expect(res.body.user.status).toBe('pending');
      const refused = await approvals.request('POST', '/auth/login', { body: { email: 'newbie@example.com', password: 'newbie-long-passphrase' } });
      expectProblem(refused, 403, 'account_pending');
      // A wrong password says nothing about the account's state.
      expectProblem(await approvals.request('POST', '/auth/login', { body: { email: 'newbie@example.com', password: 'wrong-wrong' } }), 401, 'invalid_credentials');

      const pending = await approvals.request('GET', '/admin/users?status=pending', { token: boss.access });
      expect(pending.status, pending.text).toBe(200);
      expect(pending.body.users.map((u: { email: string }) => u.email)).toEqual(['newbie@example.com']);
      const approved = await approvals.request('POST', `/admin/users/${res.body.user.id}/approve`, { token: boss.access });
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('active');
      expect((await approvals.request('POST', '/auth/login', { body: { email: 'newbie@example.com', password: 'newbie-long-passphrase' } })).status).toBe(200);
      const logs = await approvals.request('GET', '/admin/audit-logs?action=admin.user_approved', { token: boss.access });
      expect(logs.body.audit_logs[0]).toMatchObject({ actor_id: boss.id, target_id: res.body.user.id, ip: '127.0.0.1' });
      expect(logs.body.audit_logs[0].request_id).toBe(approved.headers.get('x-request-id'));
    });
  });

  it('rehashes a password on sign-in when the hashing parameters change', async () => {
    const db = await createTestDatabase(kind);
    const auth = (memoryCost: number) => ({ jwtSecret: 'r'.repeat(32), passwordHashing: { memoryCost, timeCost: 1 } });
    const first = await createEngine({ database: db.database, mode: 'test', auth: auth(1024) });
    try {
      await first.auth.register({ email: 'rehash@example.com', password: 'rehash-long-passphrase' });
    } finally {
      await first.close();
    }
    const hashOf = async () => ((await db.snapshot()).users![0] as { password_hash: string }).password_hash;
    expect(await hashOf()).toMatch(/\$m=1024,t=1,p=1\$/);
    const second = await createEngine({ database: db.database, mode: 'test', auth: auth(2048) });
    try {
      await second.auth.login({ email: 'rehash@example.com', password: 'rehash-long-passphrase' });
      expect(await hashOf()).toMatch(/\$m=2048,t=1,p=1\$/);
      await expect(second.auth.login({ email: 'rehash@example.com', password: 'rehash-long-passphrase' })).resolves.toBeDefined();
    } finally {
      await second.close();
      await db.cleanup();
    }
  });
});
