/**
 * Sign-in throttling and failed-authentication limits over HTTP, on every database: what an
 * attacker can and cannot do with them. Failures are counted per (account, address), per
 * address, per account across addresses (a short, growing cool-down) and globally (spraying),
 * so a guesser can never lock an owner out from everywhere, nor lock out everyone behind one
 * address. Failed credentials of any kind are counted per address and answered 429 past a limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '@tradeplane/core';
import { testDatabaseKinds } from '../../packages/engine/src/testing/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectProblem, signUp, signUpAdmin } from '../support/auth.js';

const from = (address: string) => ({ 'x-forwarded-for': address });

describe.each(testDatabaseKinds())('sign-in throttling on %s', (kind) => {
  let server: TestServer;
  const clock = manualClock(new Date('2026-06-01T00:00:00.000Z'));
  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { loginThrottle: { global: { maxFailures: 1000, windowSeconds: 60 } } } });
  });
  afterAll(async () => {
    await server?.close();
  });
  const login = (email: string, password: string, address: string) => server.request('POST', '/auth/login', { body: { email, password }, headers: from(address) });

  it('blocks one (account, address) pair after 5 failures, never the account’s right password from elsewhere', async () => {
    const owner = await signUp(server, 'pair-owner');
    for (let i = 0; i < 5; i++) expectProblem(await login(owner.email, `wrong-${i}`, '198.51.100.1'), 401, 'invalid_credentials');
    const blocked = await login(owner.email, owner.password, '198.51.100.1');
    expectProblem(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBe(300);
    // The owner from another address, first seen now, signs in.
    expect((await login(owner.email, owner.password, '198.51.100.2')).status).toBe(200);
    // The pair's block ends on time.
    clock.advance(300_000);
    expect((await login(owner.email, owner.password, '198.51.100.1')).status).toBe(200);
  });

  it('counts wrong current passwords on change-password as guesses from that address', async () => {
    const owner = await signUp(server, 'stolen-token');
    const change = (current: string, address: string) =>
      server.request('POST', '/auth/change-password', { token: owner.access, body: { current_password: current, new_password: 'a brand new passphrase' }, headers: from(address) });
    for (let i = 0; i < 5; i++) expectProblem(await change(`wrong-${i}`, '198.51.100.9'), 422, 'validation_failed');
    // Whoever holds the token may not go on guessing from there, nor sign in from there.
    expectProblem(await change(owner.password, '198.51.100.9'), 429, 'rate_limited');
    expectProblem(await login(owner.email, owner.password, '198.51.100.9'), 429, 'rate_limited');
    expect((await login(owner.email, owner.password, '198.51.100.10')).status).toBe(200);
    const actions = (await server.engine.admin.auditLogs({ targetId: owner.id, limit: 50 })).map((r) => r.action);
    expect(actions.filter((a) => a === 'auth.password_change_failed')).toHaveLength(5);
  });

  it('forgets counters once nothing can count them, and keeps the addresses an owner signed in from', async () => {
    const owner = await signUp(server, 'forgotten');
    expectProblem(await login(owner.email, 'a-wrong-guess', '198.51.100.20'), 401, 'invalid_credentials');
    expect((await login(owner.email, owner.password, '198.51.100.21')).status).toBe(200);
    const mine = async () => (await server.db.snapshot()).login_throttle!.map((r) => String(r.key)).filter((k) => k.includes(owner.id)).sort();
    // (signUp signed in from loopback, so that address is remembered too.)
    expect(await mine()).toEqual([`acct:user:${owner.id}`, `known:user:${owner.id}|127.0.0.1`, `known:user:${owner.id}|198.51.100.21`, `pair:user:${owner.id}|198.51.100.20`]);
    expect(await server.engine.auth.purgeThrottleCounters()).toBe(0);
    clock.advance(2 * 3600_000);
    expect(await server.engine.auth.purgeThrottleCounters()).toBeGreaterThanOrEqual(2);
    expect(await mine()).toEqual([`known:user:${owner.id}|127.0.0.1`, `known:user:${owner.id}|198.51.100.21`]);
  });

  it('slows guessing across one address without refusing other accounts’ right passwords', async () => {
    const guesser = '203.0.113.7';
    // 20 failures on 20 accounts from one address: the address is now suspect.
    for (let i = 0; i < 20; i++) expectProblem(await login(`nobody${i}@example.com`, 'guess-guess', guesser), 401, 'invalid_credentials');
    const colleague = await signUp(server, 'behind-the-nat');
    const other = await signUp(server, 'also-behind-the-nat');
    // Someone else behind the same address signs in with the right password.
    expect((await login(colleague.email, colleague.password, guesser)).status).toBe(200);
    // But each account gets one wrong try from that address, not five, until the address cools down.
    expectProblem(await login(other.email, 'a-wrong-guess', guesser), 401, 'invalid_credentials');
    expectProblem(await login(other.email, other.password, guesser), 429, 'rate_limited');
    // From anywhere else that account is untouched.
    expect((await login(other.email, other.password, '203.0.113.8')).status).toBe(200);
    clock.advance(301_000);
    expect((await login(other.email, other.password, guesser)).status).toBe(200);
  });

  it('answers distributed guessing at one account with a short cool-down that grows, not a 5-minute lock-out', async () => {
    const owner = await signUp(server, 'distributed-target');
    // Five addresses, one wrong password each: the owner is not locked out.
    for (let i = 0; i < 5; i++) expectProblem(await login(owner.email, `wrong-${i}`, `192.0.2.${i + 1}`), 401, 'invalid_credentials');
    expect((await login(owner.email, owner.password, '192.0.2.50')).status).toBe(200);
    // Past five failures, each further one makes every new address wait 1, 2, 4 … seconds.
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      expectProblem(await login(owner.email, `more-wrong-${i}`, `192.0.2.${i + 10}`), 401, 'invalid_credentials');
      const refused = await login(owner.email, owner.password, `192.0.2.${i + 100}`);
      expectProblem(refused, 429, 'rate_limited');
      waits.push(Number(refused.headers.get('retry-after')));
      clock.advance(waits.at(-1)! * 1000);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    // Addresses where the owner signed in before are not made to wait.
    const again = await login(owner.email, 'yet-another-wrong', '192.0.2.200');
    expectProblem(again, 401, 'invalid_credentials');
    expect((await login(owner.email, owner.password, '192.0.2.50')).status).toBe(200);
    expectProblem(await login(owner.email, owner.password, '192.0.2.201'), 429, 'rate_limited');
    clock.advance(3_600_000);
  });

  it('records failures and the blocks they caused in the audit log', async () => {
    const victim = await signUp(server, 'audited');
    for (let i = 0; i < 5; i++) await login(victim.email, `wrong-${i}`, '198.51.100.77');
    const admin = await signUpAdmin(server, 'throttle-admin');
    const logs = await server.request('GET', `/admin/audit-logs?target_id=${victim.id}&limit=20`, { token: admin.access });
    const actions = logs.body.audit_logs.map((l: { action: string }) => l.action);
    expect(actions.filter((a: string) => a === 'auth.login_failed')).toHaveLength(5);
    expect(logs.body.audit_logs.find((l: { action: string }) => l.action === 'auth.lockout')?.details).toEqual({ key: 'pair' });
    clock.advance(301_000);
  });
});

describe.each(testDatabaseKinds())('password spraying on %s', (kind) => {
  let server: TestServer;
  const clock = manualClock(new Date('2026-06-02T00:00:10.000Z'));
  beforeAll(async () => {
    server = await startTestServer(kind, { clock, auth: { loginThrottle: { global: { maxFailures: 10, windowSeconds: 60 } } } });
  });
  afterAll(async () => {
    await server?.close();
  });
  const login = (email: string, password: string, address: string) => server.request('POST', '/auth/login', { body: { email, password }, headers: from(address) });

  it('caps failures across every account and address; addresses an owner used before still sign in', async () => {
    const regular = await signUp(server, 'regular'); // signed in from 127.0.0.1 once
    const newcomer = await signUp(server, 'newcomer');
    // Many accounts, one try each, a new address each time.
    for (let i = 0; i < 10; i++) expectProblem(await login(`sprayed${i}@example.com`, 'Summer2026!', `100.64.0.${i + 1}`), 401, 'invalid_credentials');
    const refused = await login(`sprayed99@example.com`, 'Summer2026!', '100.64.0.99');
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expectProblem(await login(newcomer.email, newcomer.password, '100.64.1.1'), 429, 'rate_limited');
    // An owner at an address they signed in from before is let through.
    expect((await login(regular.email, regular.password, '127.0.0.1')).status).toBe(200);
    clock.advance(Number(refused.headers.get('retry-after')) * 1000);
    expect((await login(newcomer.email, newcomer.password, '100.64.1.1')).status).toBe(200);
  });
});

describe.each(testDatabaseKinds())('failed authentication limits on %s', (kind) => {
  let server: TestServer;
  const clock = manualClock(new Date('2026-06-03T00:00:00.000Z'));
  beforeAll(async () => {
    server = await startTestServer(kind, {
      clock,
      rateLimits: { enabled: true, auth: { limit: 3, windowSeconds: 60 }, failedAuth: { limit: 20, windowSeconds: 60 } },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('counts bad bearer tokens, API keys and license tokens per address and answers 429 past the limit', async () => {
    const user = await signUp(server, 'token-owner');
    clock.advance(60_000);
    const attacker = from('198.18.0.1');
    const bad = [
      () => server.request('GET', '/wallet', { token: 'eyJhbGciOiJIUzI1NiJ9.e30.forged-signature', headers: attacker }),
      () => server.request('GET', '/auth/me', { headers: { ...attacker, 'x-api-key': 'tp_live_not-a-real-key-0000000000' } }),
      () => server.request('GET', '/license/verify', { headers: { ...attacker, authorization: 'License not-a-real-license-token' } }),
    ];
    for (let i = 0; i < 20; i++) expect((await bad[i % 3]!()).status).toBe(401);
    for (const send of bad) {
      const refused = await send();
      expectProblem(refused, 429, 'rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // A valid token from the same address still works; other addresses are not counted with it.
    expect((await server.request('GET', '/wallet', { token: user.access, headers: attacker })).status).toBe(200);
    expect((await server.request('GET', '/wallet', { token: 'eyJhbGciOiJIUzI1NiJ9.e30.forged-signature', headers: from('198.18.0.2') })).status).toBe(401);
    // A new window starts over.
    clock.advance(60_000);
    expect((await bad[0]!()).status).toBe(401);
  });

  it('keeps refresh out of the sign-in budget: a busy address keeps its sessions', async () => {
    clock.advance(120_000);
    const nat = from('198.18.1.1');
    const register = await server.request('POST', '/auth/register', { body: { email: 'nat-user@example.com', password: 'nat-user-passphrase' }, headers: nat });
    expect(register.status).toBe(201);
    const session = await server.request('POST', '/auth/login', { body: { email: 'nat-user@example.com', password: 'nat-user-passphrase' }, headers: nat });
    expect(session.status).toBe(200);
    // Others behind the address use up the sign-in budget …
    expectProblem(await server.request('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'whatever-else' }, headers: nat }), 401, 'invalid_credentials');
    expectProblem(await server.request('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'whatever-else' }, headers: nat }), 429, 'rate_limited');
    // … and the signed-in user still refreshes.
    const refreshed = await server.request('POST', '/auth/refresh', { body: { refresh_token: session.body.refresh_token }, headers: nat });
    expect(refreshed.status, refreshed.text).toBe(200);
  });
});

describe('bounded password hashing', () => {
  it('answers sign-ins past the hashing limit with 503 problem+json and Retry-After, before checking the password', async () => {
    // One hash at a time and nobody waiting: of five sign-ins sent together, one is checked.
    // Argon2 at its shipped cost takes tens of milliseconds, far longer than the others take to
    // reach it, so the outcome does not depend on the machine.
    const server = await startTestServer('sqlite-memory', { auth: { passwordHashing: { memoryCost: 19_456, timeCost: 2, concurrency: 1, maxQueued: 0 } } });
    try {
      await server.engine.auth.register({ email: 'busy@example.com', password: 'busy-long-passphrase' });
      const send = () =>
        server.engine.handle({ method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'busy@example.com', password: 'busy-long-passphrase' }), ip: '192.0.2.9' });
      const answers = await Promise.all([send(), send(), send(), send(), send()]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 503, 503, 503, 503]);
      for (const refused of answers.filter((a) => a.status === 503)) {
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(refused.body!)).toMatchObject({ code: 'service_unavailable' });
        expect(refused.headers['retry-after']).toBe('1');
      }
      // Refused attempts are no attempts: nothing was counted against the account or address.
      expect((await send()).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
