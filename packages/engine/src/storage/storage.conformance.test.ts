/**
 * One conformance suite for every storage implementation: SQLite in memory, SQLite in a file
 * and PostgreSQL run the same cases, so services behave the same on each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepositRecord, DisputeRecord, PlanSubscriptionRecord, ProviderEventRecord, ReceivableRecord, RefreshTokenRecord, SessionRecord, UserRecord } from '@tradeplane/core';
import { openStorage, type MigratableStorage } from '../engine.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../testing/databases.js';

const at = (iso: string) => new Date(iso);

function user(id: string, email: string): UserRecord {
  return {
    id,
    email,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y',
    role: 'user',
    status: 'active',
    tokenVersion: 0,
    createdAt: at('2026-01-02T03:04:05.678Z'),
    updatedAt: at('2026-01-02T03:04:05.678Z'),
    username: null,
    referralCode: null,
  };
}

function session(id: string, userId: string): SessionRecord {
  return {
    id,
    userId,
    tokenVersion: 0,
    createdAt: at('2026-01-02T00:00:00.000Z'),
    lastUsedAt: at('2026-01-02T00:00:00.000Z'),
    revokedAt: null,
    userAgent: 'vitest',
    deviceLabel: null,
    ip: '127.0.0.1',
  };
}

function refresh(id: string, userId: string, sessionId: string): RefreshTokenRecord {
  return {
    id,
    sessionId,
    userId,
    tokenHash: `hash-${id}`,
    createdAt: at('2026-01-02T00:00:00.000Z'),
    expiresAt: at('2026-01-09T00:00:00.000Z'),
    rotatedAt: null,
  };
}

describe.each(testDatabaseKinds())('storage conformance: %s', (kind) => {
  let db: TestDatabase;
  let storage: MigratableStorage;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    storage = openStorage(db.database);
    await storage.migrate();
  });
  afterAll(async () => {
    await storage.close();
    await db.cleanup();
  });

  it('applies migrations from empty and again without effect', async () => {
    await storage.migrate();
    await storage.ping();
    expect(storage.dialect).toBe(kind === 'postgres' ? 'postgres' : 'sqlite');
  });

  it('stores and finds users, with timestamps exact to the millisecond', async () => {
    await storage.repos.users.insert(user('u-1', 'one@example.com'));
    expect(await storage.repos.users.findById('u-1')).toEqual(user('u-1', 'one@example.com'));
    expect(await storage.repos.users.findByEmail('one@example.com')).toMatchObject({ id: 'u-1' });
    expect(await storage.repos.users.findById('nobody')).toBeUndefined();
    expect(await storage.repos.users.findByEmail('nobody@example.com')).toBeUndefined();
  });

  it('refuses a second user with the same email as email_taken', async () => {
    await expect(storage.repos.users.insert(user('u-2', 'one@example.com'))).rejects.toMatchObject({ code: 'email_taken' });
    expect(await storage.repos.users.findById('u-2')).toBeUndefined();
  });

  it('rejects values outside the role and status enums at the database', async () => {
    await expect(storage.repos.users.insert({ ...user('u-bad', 'bad@example.com'), role: 'root' as never })).rejects.toThrow();
    expect(await storage.repos.users.findById('u-bad')).toBeUndefined();
  });

  it('commits a transaction and rolls one back entirely when it throws', async () => {
    await storage.transaction(async (tx) => {
      await tx.users.insert(user('u-3', 'three@example.com'));
      await tx.sessions.insert(session('s-3', 'u-3'));
      await tx.refreshTokens.insert(refresh('r-3', 'u-3', 's-3'));
    });
    expect(await storage.repos.refreshTokens.findByHash('hash-r-3')).toMatchObject({ userId: 'u-3' });

    const boom = new Error('fail mid-transaction');
    await expect(
      storage.transaction(async (tx) => {
        await tx.users.insert(user('u-4', 'four@example.com'));
        await tx.sessions.insert(session('s-4', 'u-4'));
        await tx.refreshTokens.insert(refresh('r-4', 'u-4', 's-4'));
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await storage.repos.users.findById('u-4')).toBeUndefined();
    expect(await storage.repos.refreshTokens.findByHash('hash-r-4')).toBeUndefined();
  });

  it('rotates a refresh token once: a second rotation fails', async () => {
    await storage.repos.users.insert(user('u-5', 'five@example.com'));
    await storage.repos.sessions.insert(session('s-5', 'u-5'));
    await storage.repos.refreshTokens.insert(refresh('r-5', 'u-5', 's-5'));
    expect(await storage.repos.refreshTokens.findByHash('hash-r-5')).toEqual(refresh('r-5', 'u-5', 's-5'));
    expect(await storage.repos.refreshTokens.markRotated('r-5', at('2026-01-03T00:00:00.000Z'))).toBe(true);
    expect(await storage.repos.refreshTokens.markRotated('r-5', at('2026-01-03T00:00:01.000Z'))).toBe(false);
    expect((await storage.repos.refreshTokens.findByHash('hash-r-5'))?.rotatedAt).toEqual(at('2026-01-03T00:00:00.000Z'));
    expect(await storage.repos.refreshTokens.findByHash('hash-unknown')).toBeUndefined();
  });

  it('touches a live session, and neither touches nor authenticates a revoked one', async () => {
    await storage.repos.users.insert(user('u-7', 'seven@example.com'));
    await storage.repos.sessions.insert(session('s-7', 'u-7'));
    const live = { sessionId: 's-7', userId: 'u-7', tokenId: 'jti-7' };
    expect(await storage.repos.sessions.authState(live)).toEqual({ role: 'user', status: 'active', tokenVersion: 0 });
    expect(await storage.repos.sessions.authState({ ...live, userId: 'u-other' })).toBeUndefined();
    expect(await storage.repos.sessions.touch('s-7', at('2026-01-05T00:00:00.000Z'))).toEqual({
      ...session('s-7', 'u-7'),
      lastUsedAt: at('2026-01-05T00:00:00.000Z'),
    });

    // A deny-listed token id fails on its own; other tokens of the session still pass.
    await storage.repos.revokedTokens.add({ jti: 'jti-7-old', userId: 'u-7', expiresAt: at('2026-01-05T00:15:00.000Z') });
    expect(await storage.repos.sessions.authState({ ...live, tokenId: 'jti-7-old' })).toBeUndefined();
    expect(await storage.repos.sessions.authState(live)).toBeDefined();

    expect(await storage.repos.sessions.revoke('s-7', at('2026-01-06T00:00:00.000Z'))).toBe(true);
    expect(await storage.repos.sessions.revoke('s-7', at('2026-01-07T00:00:00.000Z'))).toBe(false);
    expect(await storage.repos.sessions.touch('s-7', at('2026-01-08T00:00:00.000Z'))).toBeUndefined();
    expect(await storage.repos.sessions.authState(live)).toBeUndefined();
    expect(await storage.repos.sessions.touch('no-such-session', at('2026-01-08T00:00:00.000Z'))).toBeUndefined();
    expect(await storage.repos.sessions.authState({ ...live, sessionId: 'no-such-session' })).toBeUndefined();
  });

  it('answers the authentication lookup inside a transaction too', async () => {
    await storage.repos.users.insert(user('u-8', 'eight@example.com'));
    const state = await storage.transaction(async (tx) => {
      await tx.sessions.insert(session('s-8', 'u-8'));
      return tx.sessions.authState({ sessionId: 's-8', userId: 'u-8', tokenId: 'j' });
    });
    expect(state).toEqual({ role: 'user', status: 'active', tokenVersion: 0 });
  });

  it('lets exactly one of many concurrent rotations of the same token win', async () => {
    await storage.repos.users.insert(user('u-6', 'six@example.com'));
    await storage.repos.sessions.insert(session('s-6', 'u-6'));
    await storage.repos.refreshTokens.insert(refresh('r-6', 'u-6', 's-6'));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => storage.transaction((tx) => tx.refreshTokens.markRotated('r-6', at('2026-01-03T00:00:00.000Z')))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('deny-lists access token ids idempotently', async () => {
    await storage.repos.users.insert(user('u-9', 'nine@example.com'));
    await storage.repos.sessions.insert(session('s-9', 'u-9'));
    const lookup = { sessionId: 's-9', userId: 'u-9', tokenId: 'jti-1' };
    expect(await storage.repos.sessions.authState(lookup)).toBeDefined();
    const entry = { jti: 'jti-1', userId: 'u-9', expiresAt: at('2026-01-02T00:15:00.000Z') };
    await storage.repos.revokedTokens.add(entry);
    await storage.repos.revokedTokens.add(entry);
    expect(await storage.repos.sessions.authState(lookup)).toBeUndefined();
  });

  it('refuses sessions and refresh tokens that point at nothing (foreign keys)', async () => {
    await expect(storage.repos.sessions.insert(session('s-orphan', 'no-such-user'))).rejects.toThrow();
    await expect(storage.repos.refreshTokens.insert(refresh('r-orphan', 'u-1', 'no-such-session'))).rejects.toThrow();
    expect(await storage.repos.refreshTokens.findByHash('hash-r-orphan')).toBeUndefined();
  });

  it('keeps query parameters (emails, hashes) out of storage errors', async () => {
    const error = await storage.repos.users.insert({ ...user('u-leak', 'leak@example.com'), role: 'root' as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain('leak@example.com');
    expect(String((error as Error).message)).not.toContain('$argon2id');
  });

  it('updates users, bumping token_version atomically, and refuses a taken username', async () => {
    await storage.repos.users.insert({ ...user('u-10', 'ten@example.com'), username: 'ten' });
    await expect(storage.repos.users.insert({ ...user('u-11', 'eleven@example.com'), username: 'ten' })).rejects.toMatchObject({ code: 'username_taken' });
    expect(await storage.repos.users.findByUsername('ten')).toMatchObject({ id: 'u-10' });
    const later = at('2026-02-01T00:00:00.000Z');
    const bumped = await Promise.all(
      Array.from({ length: 4 }, () => storage.transaction((tx) => tx.users.update('u-10', { updatedAt: later, bumpTokenVersion: true }))),
    );
    expect(bumped.map((u) => u?.tokenVersion).sort()).toEqual([1, 2, 3, 4]);
    expect(await storage.repos.users.update('u-10', { role: 'admin', updatedAt: later })).toMatchObject({ role: 'admin', tokenVersion: 4, updatedAt: later });
    expect(await storage.repos.users.update('nobody', { role: 'admin', updatedAt: later })).toBeUndefined();
  });

  it('lists users newest first with filters, a literal search and a cursor', async () => {
    for (const [id, email] of [['u-20', 'a_b@list.test'], ['u-21', 'axb@list.test'], ['u-22', '100%@list.test']] as const) {
      await storage.repos.users.insert(user(id, email));
    }
    const page1 = await storage.repos.users.list({ search: 'LIST.TEST', limit: 2 });
    expect(page1.map((u) => u.id)).toEqual(['u-22', 'u-21']);
    const page2 = await storage.repos.users.list({ search: 'list.test', limit: 2, cursor: 'u-21' });
    expect(page2.map((u) => u.id)).toEqual(['u-20']);
    // `_` and `%` are matched literally, not as wildcards.
    expect((await storage.repos.users.list({ search: 'a_b', limit: 10 })).map((u) => u.id)).toEqual(['u-20']);
    expect((await storage.repos.users.list({ search: '0%', limit: 10 })).map((u) => u.id)).toEqual(['u-22']);
    expect((await storage.repos.users.list({ role: 'admin', limit: 10 })).map((u) => u.id)).toEqual(['u-10']);
    expect(await storage.repos.users.countActiveAdmins()).toBe(1);
  });

  it('lists live sessions and revokes all but one', async () => {
    await storage.repos.users.insert(user('u-30', 'thirty@example.com'));
    for (const id of ['s-30a', 's-30b', 's-30c']) await storage.repos.sessions.insert(session(id, 'u-30'));
    expect(await storage.repos.sessions.revokeAllForUser('u-30', at('2026-01-03T00:00:00.000Z'), 's-30b')).toBe(2);
    expect((await storage.repos.sessions.listLive('u-30')).map((s) => s.id)).toEqual(['s-30b']);
    expect(await storage.repos.sessions.revokeAllForUser('u-30', at('2026-01-03T00:00:00.000Z'))).toBe(1);
    expect(await storage.repos.sessions.listLive('u-30')).toEqual([]);
  });

  it('appends audit records and pages them newest first', async () => {
    const record = (id: string, action: string) => ({
      id,
      actorId: 'u-1',
      action,
      targetType: 'user',
      targetId: 'u-2',
      ip: '203.0.113.9',
      requestId: 'req-1',
      details: { from: 'user', to: 'admin', nested: { n: 1 } },
      createdAt: at('2026-01-04T00:00:00.000Z'),
    });
    await storage.repos.audit.insert(record('a-1', 'admin.role_changed'));
    await storage.repos.audit.insert(record('a-2', 'auth.login_failed'));
    await storage.repos.audit.insert({ ...record('a-3', 'admin.role_changed'), details: null, actorId: null });
    expect(await storage.repos.audit.list({ limit: 2 })).toEqual([{ ...record('a-3', 'admin.role_changed'), details: null, actorId: null }, record('a-2', 'auth.login_failed')]);
    expect((await storage.repos.audit.list({ limit: 2, cursor: 'a-2' })).map((r) => r.id)).toEqual(['a-1']);
    expect((await storage.repos.audit.list({ limit: 10, action: 'admin.role_changed' })).map((r) => r.id)).toEqual(['a-3', 'a-1']);
  });

  it('counts sign-in failures in a window, blocks at the limit and restarts after the window', async () => {
    const policy = { windowMs: 60_000, maxFailures: 3, blockMs: 300_000 };
    const t0 = at('2026-01-05T00:00:00.000Z');
    const plus = (ms: number) => new Date(t0.getTime() + ms);
    expect(await storage.repos.loginThrottle.recordFailure('k', t0, policy)).toEqual({ failures: 1, blockedUntil: null });
    expect(await storage.repos.loginThrottle.recordFailure('k', plus(1000), policy)).toEqual({ failures: 2, blockedUntil: null });
    expect(await storage.repos.loginThrottle.blocked(['k'], plus(1000))).toEqual([]);
    expect(await storage.repos.loginThrottle.recordFailure('k', plus(2000), policy)).toEqual({ failures: 3, blockedUntil: plus(302_000) });
    expect(await storage.repos.loginThrottle.blocked(['k', 'other'], plus(3000))).toEqual([{ key: 'k', blockedUntil: plus(302_000) }]);
    expect(await storage.repos.loginThrottle.blocked(['k'], plus(302_000))).toEqual([]);
    // After the window, counting starts again at one.
    expect((await storage.repos.loginThrottle.recordFailure('k', plus(400_000), policy)).failures).toBe(1);
    await storage.repos.loginThrottle.clear('k');
    expect((await storage.repos.loginThrottle.recordFailure('k', plus(400_001), policy)).failures).toBe(1);
    // Concurrent failures all count.
    await Promise.all(Array.from({ length: 6 }, () => storage.repos.loginThrottle.recordFailure('burst', t0, { ...policy, maxFailures: 100 })));
    expect((await storage.repos.loginThrottle.recordFailure('burst', t0, { ...policy, maxFailures: 100 })).failures).toBe(7);
  });

  it('stores API keys by hash, scoped to their owner', async () => {
    await storage.repos.users.insert(user('u-40', 'forty@example.com'));
    await storage.repos.users.insert(user('u-41', 'fortyone@example.com'));
    const key = {
      id: 'k-40',
      userId: 'u-40',
      name: 'bot',
      prefix: 'AbCdEfGh',
      keyHash: 'keyhash-40',
      scopes: ['trading:read', 'wallet:read'],
      createdAt: at('2026-01-06T00:00:00.000Z'),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
    };
    await storage.repos.apiKeys.insert(key);
    expect(await storage.repos.apiKeys.authState('keyhash-40')).toEqual({ key, role: 'user', status: 'active' });
    expect(await storage.repos.apiKeys.authState('nope')).toBeUndefined();
    expect(await storage.repos.apiKeys.listForUser('u-40')).toEqual([key]);
    await storage.repos.apiKeys.touch('k-40', at('2026-01-06T00:01:00.000Z'), 60_000);
    await storage.repos.apiKeys.touch('k-40', at('2026-01-06T00:01:30.000Z'), 60_000); // too soon: no write
    expect((await storage.repos.apiKeys.authState('keyhash-40'))?.key.lastUsedAt).toEqual(at('2026-01-06T00:01:00.000Z'));
    expect(await storage.repos.apiKeys.revoke('k-40', 'u-41', at('2026-01-07T00:00:00.000Z'))).toBe(false);
    expect(await storage.repos.apiKeys.revoke('k-40', 'u-40', at('2026-01-07T00:00:00.000Z'))).toBe(true);
    expect(await storage.repos.apiKeys.listForUser('u-40')).toEqual([]);
    expect((await storage.repos.apiKeys.authState('keyhash-40'))?.key.revokedAt).toEqual(at('2026-01-07T00:00:00.000Z'));
  });

  it('links an external identity once', async () => {
    const identity = { id: 'i-1', provider: 'google', subject: 'sub-1', userId: 'u-1', email: 'one@example.com', createdAt: at('2026-01-08T00:00:00.000Z') };
    await storage.repos.identities.insert(identity);
    expect(await storage.repos.identities.find('google', 'sub-1')).toEqual(identity);
    expect(await storage.repos.identities.find('google', 'sub-2')).toBeUndefined();
    await expect(storage.repos.identities.insert({ ...identity, id: 'i-2' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('keeps a losing streak atomically, and resets it on a win', async () => {
    await storage.repos.users.insert(user('u-risk', 'risk@example.com'));
    expect(await storage.repos.risk.streak('u-risk')).toEqual({ consecutiveLosses: 0, lastLossAt: null });
    await storage.repos.risk.recordResult('u-risk', true, at('2026-01-02T00:00:00.000Z'));
    expect(await storage.repos.risk.recordResult('u-risk', true, at('2026-01-02T00:05:00.000Z'))).toEqual({ consecutiveLosses: 2, lastLossAt: at('2026-01-02T00:05:00.000Z') });
    expect(await storage.repos.risk.recordResult('u-risk', false, at('2026-01-02T00:06:00.000Z'))).toEqual({ consecutiveLosses: 0, lastLossAt: null });
  });

  it('stores risk profiles, lists only locks in force, clears a lock once, and dedupes reported events', async () => {
    await storage.repos.users.insert(user('u-risk2', 'risk2@example.com'));
    const profile = {
      userId: 'u-risk2',
      currency: 'USD',
      minStake: 35n,
      maxStake: 100_000n,
      maxDailyLoss: 10_000n,
      maxConsecutiveLosses: 5,
      stakeProgression: ['1', '1.5'],
      maxOpenPositions: 10,
      maxExposurePerSymbol: 200_000n,
      lossCooldownMinutes: 60,
      timeZone: 'Europe/London',
      updatedAt: at('2026-01-02T00:00:00.000Z'),
    };
    await storage.repos.risk.upsertProfile(profile);
    await storage.repos.risk.upsertProfile({ ...profile, maxStake: 50_000n });
    expect(await storage.repos.risk.findProfile('u-risk2')).toEqual({ ...profile, maxStake: 50_000n });

    const lock = (id: string, until: string) => ({ id, userId: 'u-risk2', scope: 'user' as const, symbol: null, side: null, reason: 'max_daily_loss', until: at(until), createdAt: at('2026-01-02T00:00:00.000Z'), clearedAt: null, clearedBy: null });
    await storage.repos.risk.insertLock(lock('l1', '2026-01-02T12:00:00.000Z'));
    await storage.repos.risk.insertLock(lock('l2', '2026-01-03T00:00:00.000Z'));
    const now = at('2026-01-02T13:00:00.000Z');
    expect((await storage.repos.risk.listLocks('u-risk2', now)).map((l) => l.id)).toEqual(['l2']);
    expect(await storage.repos.risk.clearLock('l2', 'admin-1', now)).toMatchObject({ clearedBy: 'admin-1', clearedAt: now });
    expect(await storage.repos.risk.clearLock('l2', 'admin-1', now)).toBeUndefined();
    expect(await storage.repos.risk.listLocks('u-risk2', now)).toEqual([]);
    expect((await storage.repos.risk.listLocks('u-risk2')).map((l) => l.id)).toEqual(['l2', 'l1']);

    const event = { id: 'e1', userId: 'u-risk2', source: 'ea' as const, subscriptionId: null, externalId: 'ea-42', reason: 'spread_too_wide', symbol: 'EURUSD', side: 'BUY' as const, stake: 35n, currency: 'USD', details: { spread: 3.2 }, occurredAt: now, createdAt: now };
    expect(await storage.transaction((tx) => tx.risk.insertEvent(event))).toBe(true);
    expect(await storage.transaction((tx) => tx.risk.insertEvent({ ...event, id: 'e2' }))).toBe(false);
    expect(await storage.repos.risk.insertEvent({ ...event, id: 'e3', externalId: null })).toBe(true);
    expect(await storage.repos.risk.insertEvent({ ...event, id: 'e4', externalId: null })).toBe(true);
    const listed = await storage.repos.risk.listEvents({ userId: 'u-risk2', limit: 10 });
    expect(listed.map((e) => e.id)).toEqual(['e4', 'e3', 'e1']);
    expect(listed[2]).toEqual(event);
    expect((await storage.repos.risk.listEvents({ userId: 'u-risk2', cursor: 'e4', limit: 1 })).map((e) => e.id)).toEqual(['e3']);
  });

  it('stores backtests, lists them without their detail, and fails only stale unfinished ones', async () => {
    await storage.repos.users.insert(user('u-bt', 'bt@example.com'));
    const base = {
      userId: 'u-bt',
      symbol: 'BTCUSD',
      interval: '1m',
      from: at('2026-01-01T00:00:00.000Z'),
      to: at('2026-01-02T00:00:00.000Z'),
      currency: 'USD',
      initialBalance: 9_007_199_254_740_993n,
      params: { strategies: [{ name: 'momentum' }], stake: '10.00' },
      candles: 0,
      summary: null,
      detail: null,
      error: null,
      createdAt: at('2026-01-03T00:00:00.000Z'),
      startedAt: null,
      completedAt: null,
    };
    await storage.repos.backtests.insert({ ...base, id: 'b1', status: 'running', heartbeatAt: at('2026-01-03T00:00:00.000Z') });
    await storage.repos.backtests.insert({ ...base, id: 'b2', status: 'queued', heartbeatAt: at('2026-01-03T01:00:00.000Z') });
    await storage.repos.backtests.insert({ ...base, id: 'b3', status: 'completed', heartbeatAt: at('2026-01-03T00:00:00.000Z') });
    await storage.repos.backtests.update('b3', { summary: { total_return: 0.5 }, detail: { trades: [{ side: 'BUY' }] }, candles: 1440 });

    const b3 = await storage.repos.backtests.findById('b3');
    expect(b3).toMatchObject({ status: 'completed', initialBalance: 9_007_199_254_740_993n, params: base.params, summary: { total_return: 0.5 }, detail: { trades: [{ side: 'BUY' }] }, candles: 1440 });
    const listed = await storage.repos.backtests.list({ userId: 'u-bt', limit: 2 });
    expect(listed.map((b) => b.id)).toEqual(['b3', 'b2']);
    expect(listed[0]).not.toHaveProperty('detail');
    expect(listed[0]!.summary).toEqual({ total_return: 0.5 });
    expect((await storage.repos.backtests.list({ userId: 'u-bt', cursor: 'b2', limit: 5 })).map((b) => b.id)).toEqual(['b1']);

    const now = at('2026-01-03T02:00:00.000Z');
    expect(await storage.repos.backtests.failStale(at('2026-01-03T00:30:00.000Z'), { code: 'interrupted', detail: 'gone' }, now)).toBe(1);
    expect(await storage.repos.backtests.findById('b1')).toMatchObject({ status: 'failed', error: { code: 'interrupted', detail: 'gone' }, completedAt: now });
    expect((await storage.repos.backtests.findById('b2'))!.status).toBe('queued');
    expect((await storage.repos.backtests.findById('b3'))!.status).toBe('completed');
  });
  it('keeps a commission charge once per key, sums copy results and affiliate earnings, and pages notifications', async () => {
    await storage.repos.users.insert(user('u-cm-f', 'cmf@example.com'));
    await storage.repos.users.insert(user('u-cm-m', 'cmm@example.com'));
    await storage.repos.users.insert(user('u-cm-a', 'cma@example.com'));
    const account = { id: 'acc-cm-f', userId: 'u-cm-f', currency: 'USD', kind: 'demo' as const, systemCode: null, isDefault: true, status: 'active' as const, balance: 0n, held: 0n, createdAt: at('2026-01-01T00:00:00.000Z') };
    await storage.repos.accounts.insert(account);
    const trade = (id: string, pnl: bigint, closedAt: string, subscriptionId: string | null = 'sub-cm') => ({
      id, userId: 'u-cm-f', accountId: account.id, orderId: `o-${id}`, symbol: 'X', side: 'BUY' as const, stake: 1_000n, currency: 'USD', quantity: 1, entryPrice: 1, stopLoss: null, takeProfit: null,
      status: 'closed' as const, exitPrice: 1, closeReason: 'copy' as const, pnl, holdId: `h-${id}`, settlementEntryId: null, source: 'copy' as const, reference: 'mt', subscriptionId, openedAt: at(closedAt), closedAt: at(closedAt),
    });
    await storage.repos.trades.insert(trade('t-cm-1', 9_007_199_254_740_000n, '2026-01-01T10:00:00.000Z'));
    await storage.repos.trades.insert(trade('t-cm-2', -400n, '2026-01-01T11:00:00.000Z'));
    await storage.repos.trades.insert(trade('t-cm-3', 250n, '2026-01-02T10:00:00.000Z'));
    await storage.repos.trades.insert(trade('t-cm-4', 999n, '2026-01-01T12:00:00.000Z', null));
    // Beyond 2^53: sums stay exact.
    expect(await storage.repos.commission.copyResults(at('2026-01-02T00:00:00.000Z'))).toEqual([{ subscriptionId: 'sub-cm', accountId: account.id, currency: 'USD', pnl: 9_007_199_254_739_600n, closedCopies: 2 }]);
    expect((await storage.repos.commission.unchargedMarkups(at('2026-01-03T00:00:00.000Z'), 10)).map((t) => t.id)).toEqual(['t-cm-1', 't-cm-3']);

    const charge = {
      id: 'c-1', key: 'markup:t-cm-1', kind: 'markup' as const, subscriptionId: 'sub-cm', masterId: 'm-cm', masterUserId: 'u-cm-m', followerId: 'u-cm-f', accountId: account.id, currency: 'USD',
      period: '2026-01-01', periodStart: null, periodEnd: at('2026-01-01T10:00:00.000Z'), tradeId: 't-cm-1', profit: 500n, equity: null, closedCopies: null, hwmBefore: null, hwmAfter: null, rateBps: 1000,
      fee: 50n, charged: 50n, masterAmount: 40n, platformAmount: 9n, affiliateAmount: 1n, affiliateUserId: 'u-cm-a', entryId: 'e-cm-1', createdAt: at('2026-01-01T10:00:00.000Z'),
    };
    expect(await storage.transaction((tx) => tx.commission.insertCharge(charge))).toBe(true);
    // The same key again is a no-op that leaves the transaction usable (PostgreSQL).
    expect(await storage.transaction(async (tx) => [await tx.commission.insertCharge({ ...charge, id: 'c-2' }), (await tx.commission.listCharges({ userId: 'u-cm-f', limit: 5 })).length])).toEqual([false, 1]);
    expect(await storage.repos.commission.listCharges({ userId: 'u-cm-m', as: 'master', limit: 5 })).toEqual([charge]);
    expect(await storage.repos.commission.listCharges({ userId: 'u-cm-m', as: 'follower', limit: 5 })).toEqual([]);
    expect((await storage.repos.commission.unchargedMarkups(at('2026-01-03T00:00:00.000Z'), 10)).map((t) => t.id)).toEqual(['t-cm-3']);
    const fee = { ...charge, id: 'c-3', key: 'fee:sub-cm:acc:2026-01-01', kind: 'performance_fee' as const, tradeId: null, periodStart: at('2026-01-01T00:00:00.000Z'), periodEnd: at('2026-01-02T00:00:00.000Z'), equity: 100n, closedCopies: 2, hwmBefore: null, hwmAfter: 100n, affiliateAmount: 2n, platformAmount: 8n };
    await storage.repos.commission.insertCharge(fee);
    await storage.repos.commission.insertCharge({ ...fee, id: 'c-4', key: 'fee:sub-cm:acc:2025-12-31', periodEnd: at('2026-01-01T00:00:00.000Z'), hwmAfter: 7n });
    expect(await storage.repos.commission.latestFee('sub-cm', account.id)).toEqual(fee);
    expect(await storage.repos.commission.affiliateEarnings('u-cm-a')).toEqual([{ currency: 'USD', amount: 5n }]);
    // The split must add up: the database refuses one that does not.
    await expect(storage.repos.commission.insertCharge({ ...charge, id: 'c-5', key: 'bad', masterAmount: 41n })).rejects.toThrow();

    expect(await storage.repos.affiliates.insertCode({ userId: 'u-cm-a', code: 'ABCD2345', createdAt: at('2026-01-01T00:00:00.000Z') })).toBe(true);
    expect(await storage.repos.affiliates.insertCode({ userId: 'u-cm-m', code: 'ABCD2345', createdAt: at('2026-01-01T00:00:00.000Z') })).toBe(false);
    expect(await storage.repos.affiliates.insertCode({ userId: 'u-cm-a', code: 'ZZZZ2345', createdAt: at('2026-01-01T00:00:00.000Z') })).toBe(false);
    expect(await storage.repos.affiliates.findCode('ABCD2345')).toMatchObject({ userId: 'u-cm-a' });
    await storage.repos.affiliates.insertReferral({ userId: 'u-cm-f', affiliateUserId: 'u-cm-a', code: 'ABCD2345', createdAt: at('2026-01-01T00:00:00.000Z') });
    await storage.repos.affiliates.insertReferral({ userId: 'u-cm-m', affiliateUserId: 'u-cm-a', code: 'ABCD2345', createdAt: at('2026-01-01T00:00:00.000Z') });
    await storage.repos.users.update('u-cm-m', { status: 'disabled', updatedAt: at('2026-01-01T00:00:00.000Z') });
    expect(await storage.repos.affiliates.referralCounts('u-cm-a')).toEqual({ referred: 2, active: 1 });
    expect(await storage.repos.affiliates.findReferral('u-cm-f')).toMatchObject({ affiliateUserId: 'u-cm-a' });

    const note = (id: string) => ({ id, userId: 'u-cm-f', type: 'wallet.deposit', title: id, body: null, data: { n: 1 }, readAt: null, createdAt: at('2026-01-01T00:00:00.000Z') });
    for (const id of ['n1', 'n2', 'n3']) await storage.repos.notifications.insert(note(id));
    expect((await storage.repos.notifications.list({ userId: 'u-cm-f', cursor: 'n3', limit: 5 })).map((n) => n.id)).toEqual(['n2', 'n1']);
    const readAt = at('2026-01-02T00:00:00.000Z');
    expect(await storage.repos.notifications.markRead('u-cm-m', 'n1', readAt)).toBeUndefined();
    expect(await storage.repos.notifications.markRead('u-cm-f', 'n1', readAt)).toEqual({ ...note('n1'), readAt });
    expect(await storage.repos.notifications.markRead('u-cm-f', 'n1', at('2026-01-03T00:00:00.000Z'))).toEqual({ ...note('n1'), readAt });
    expect(await storage.repos.notifications.countUnread('u-cm-f')).toBe(2);
    expect((await storage.repos.notifications.list({ userId: 'u-cm-f', unread: true, limit: 5 })).map((n) => n.id)).toEqual(['n3', 'n2']);
    expect(await storage.repos.notifications.markAllRead('u-cm-f', readAt)).toBe(2);
    expect(await storage.repos.notifications.countUnread('u-cm-f')).toBe(0);
  });

  it('sums protection events per reason, symbol and UTC day', async () => {
    await storage.repos.users.insert(user('u-pe', 'pe@example.com'));
    const event = (id: string, reason: string, symbol: string | null, occurredAt: string) => ({ id, userId: 'u-pe', source: 'ea' as const, subscriptionId: 'sub-pe', externalId: id, reason, symbol, side: null, stake: null, currency: null, details: null, occurredAt: at(occurredAt), createdAt: at(occurredAt) });
    await storage.repos.risk.insertEvent(event('pe1', 'slippage', 'EURUSD', '2026-03-01T23:59:59.999Z'));
    await storage.repos.risk.insertEvent(event('pe2', 'slippage', null, '2026-03-02T00:00:00.000Z'));
    await storage.repos.risk.insertEvent(event('pe3', 'other', 'EURUSD', '2026-03-02T12:00:00.000Z'));
    const filter = { userId: 'u-pe' };
    expect(await storage.repos.risk.summarizeEvents(filter, 'reason')).toEqual([{ key: 'slippage', count: 2 }, { key: 'other', count: 1 }]);
    expect(await storage.repos.risk.summarizeEvents(filter, 'symbol')).toEqual([{ key: 'EURUSD', count: 2 }, { key: null, count: 1 }]);
    expect(await storage.repos.risk.summarizeEvents(filter, 'day')).toEqual([{ key: '2026-03-02', count: 2 }, { key: '2026-03-01', count: 1 }]);
    expect(await storage.repos.risk.summarizeEvents({ ...filter, from: at('2026-03-02T00:00:00.000Z'), subscriptionId: 'sub-pe' }, 'reason')).toEqual([{ key: 'other', count: 1 }, { key: 'slippage', count: 1 }]);
    expect(await storage.repos.risk.summarizeEvents({ userId: 'nobody' }, 'day')).toEqual([]);
  });
  it('counts rate-limit hits per key and window atomically, starting over in a new window', async () => {
    const w1 = at('2026-05-01T00:00:00.000Z');
    const w2 = at('2026-05-01T00:01:00.000Z');
    const counts = await Promise.all(Array.from({ length: 20 }, () => storage.repos.rateLimits.hit('default:user:rl', w1)));
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await storage.repos.rateLimits.hit('default:user:other', w1)).toBe(1);
    expect(await storage.repos.rateLimits.hit('default:user:rl', w2)).toBe(1);
    expect(await storage.repos.rateLimits.hit('default:user:rl', w2)).toBe(2);
    expect(await storage.repos.rateLimits.purge(w2)).toBe(1);
    expect(await storage.repos.rateLimits.hit('default:user:other', w2)).toBe(1);
  });

  it('spends a single-use token once, whoever tries at once, and forgets it after it expires', async () => {
    const expires = at('2026-06-01T00:00:30.000Z');
    const spent = await Promise.all(Array.from({ length: 10 }, () => storage.repos.usedTokens.consume('ticket-1', expires)));
    expect(spent.filter(Boolean)).toHaveLength(1);
    expect(await storage.repos.usedTokens.consume('ticket-2', expires)).toBe(true);
    expect(await storage.repos.usedTokens.purgeExpired(at('2026-06-01T00:00:31.000Z'))).toBe(2);
  });

  it('resolves a pending withdrawal and an operator credit once each, and pages them newest first', async () => {
    await storage.repos.users.insert(user('u-fd', 'fd@example.com'));
    const account = { id: 'acc-fd', userId: 'u-fd', currency: 'USD', kind: 'real' as const, systemCode: null, isDefault: true, status: 'active' as const, balance: 10_000n, held: 0n, createdAt: at('2026-01-01T00:00:00.000Z') };
    await storage.repos.accounts.insert(account);
    const created = at('2026-01-01T00:00:00.000Z');
    for (const id of ['h-fd-1', 'h-fd-2']) {
      await storage.repos.holds.insert({ id, accountId: account.id, amount: 100n, status: 'pending', reference: null, expiresAt: null, createdAt: created, resolvedAt: null, capturedAmount: null, entryId: null });
    }
    const withdrawal = (id: string, holdId: string) => ({
      id, userId: 'u-fd', accountId: account.id, holdId, amount: 100n, currency: 'USD', status: 'pending' as const, reference: 'to bank', destination: null, payoutProvider: 'manual', payoutReference: null, payoutAttempts: 0, nextPayoutAt: null,
      source: null, sourceReference: null, resolvedBy: null, note: null, entryId: null, createdAt: created, approvedAt: null, resolvedAt: null,
    });
    await storage.repos.withdrawals.insert(withdrawal('w-fd-1', 'h-fd-1'));
    await storage.repos.withdrawals.insert(withdrawal('w-fd-2', 'h-fd-2'));
    const change = { resolvedAt: at('2026-01-02T00:00:00.000Z'), resolvedBy: 'u-op', note: null, entryId: 'e-fd', source: 'operator', sourceReference: 'wire-1' };
    const outcomes = await Promise.all([storage.repos.withdrawals.resolve('w-fd-1', { ...change, status: 'completed' }), storage.repos.withdrawals.resolve('w-fd-1', { ...change, status: 'rejected' })]);
    expect(outcomes.filter((o) => o !== undefined)).toHaveLength(1);
    expect((await storage.repos.withdrawals.findById('w-fd-1'))!).toMatchObject({ amount: 100n, source: 'operator', resolvedAt: change.resolvedAt });
    expect((await storage.repos.withdrawals.list({ userId: 'u-fd', limit: 10 })).map((w) => w.id)).toEqual(['w-fd-2', 'w-fd-1']);
    expect((await storage.repos.withdrawals.list({ status: 'pending', limit: 10 })).map((w) => w.id)).toEqual(['w-fd-2']);
    expect((await storage.repos.withdrawals.list({ userId: 'u-fd', cursor: 'w-fd-2', limit: 10 })).map((w) => w.id)).toEqual(['w-fd-1']);

    await storage.repos.operatorCredits.insert({
      id: 'c-fd-1', userId: 'u-fd', accountId: account.id, amount: 9_223_372_036_854_775_807n, currency: 'USD', status: 'pending_approval', reason: 'wire', reference: null, requestedBy: 'u-op', resolvedBy: null, note: null, entryId: null, createdAt: created, resolvedAt: null,
    });
    const resolved = await storage.repos.operatorCredits.resolve('c-fd-1', { status: 'completed', resolvedAt: change.resolvedAt, resolvedBy: 'u-op-2', note: null, entryId: 'e-fd-2' });
    expect(resolved).toMatchObject({ amount: 9_223_372_036_854_775_807n, status: 'completed', resolvedBy: 'u-op-2' });
    expect(await storage.repos.operatorCredits.resolve('c-fd-1', { status: 'rejected', resolvedAt: change.resolvedAt, resolvedBy: 'u-op-2', note: 'late', entryId: null })).toBeUndefined();
    expect((await storage.repos.operatorCredits.list({ status: 'completed', limit: 5 })).map((c) => c.id)).toEqual(['c-fd-1']);
    await expect(storage.repos.withdrawals.insert({ ...withdrawal('w-fd-3', 'h-missing'), amount: 0n })).rejects.toThrow();
  });

  it('moves a withdrawal on from allowed states once, records each approver once, and lists payouts due', async () => {
    await storage.repos.users.insert(user('u-wa', 'wa@example.com'));
    for (const id of ['u-wa-op1', 'u-wa-op2']) await storage.repos.users.insert(user(id, `${id}@example.com`));
    const created = at('2026-01-01T00:00:00.000Z');
    await storage.repos.accounts.insert({ id: 'acc-wa', userId: 'u-wa', currency: 'USD', kind: 'real', systemCode: null, isDefault: true, status: 'active', balance: 1000n, held: 0n, createdAt: created });
    await storage.repos.holds.insert({ id: 'h-wa', accountId: 'acc-wa', amount: 100n, status: 'pending', reference: null, expiresAt: null, createdAt: created, resolvedAt: null, capturedAmount: null, entryId: null });
    await storage.repos.withdrawals.insert({
      id: 'w-wa', userId: 'u-wa', accountId: 'acc-wa', holdId: 'h-wa', amount: 100n, currency: 'USD', status: 'pending', reference: null, destination: 'acct_1', payoutProvider: 'bank', payoutReference: null, payoutAttempts: 0, nextPayoutAt: null,
      source: null, sourceReference: null, resolvedBy: null, note: null, entryId: null, createdAt: created, approvedAt: null, resolvedAt: null,
    });
    expect(await storage.repos.withdrawals.addApproval({ withdrawalId: 'w-wa', approverId: 'u-wa-op1', approvedAt: created })).toBe(true);
    expect(await storage.repos.withdrawals.addApproval({ withdrawalId: 'w-wa', approverId: 'u-wa-op1', approvedAt: at('2026-01-01T00:00:01.000Z') })).toBe(false);
    expect(await storage.repos.withdrawals.addApproval({ withdrawalId: 'w-wa', approverId: 'u-wa-op2', approvedAt: at('2026-01-01T00:00:02.000Z') })).toBe(true);
    expect((await storage.repos.withdrawals.approvals('w-wa')).map((a) => [a.approverId, a.approvedAt])).toEqual([['u-wa-op1', created], ['u-wa-op2', at('2026-01-01T00:00:02.000Z')]]);

    const due = at('2026-01-01T00:01:00.000Z');
    expect(await storage.repos.withdrawals.transition('w-wa', ['approved'], { status: 'paying' })).toBeUndefined();
    const paying = await storage.repos.withdrawals.transition('w-wa', ['pending'], { status: 'paying', approvedAt: created, payoutAttempts: 1, nextPayoutAt: due });
    expect(paying).toMatchObject({ status: 'paying', payoutAttempts: 1, nextPayoutAt: due, destination: 'acct_1', payoutProvider: 'bank' });
    expect(await storage.repos.withdrawals.listDuePayouts(at('2026-01-01T00:00:59.000Z'), 10)).toEqual([]);
    expect((await storage.repos.withdrawals.listDuePayouts(due, 10)).map((w) => w.id)).toEqual(['w-wa']);
    // A claim on a stale `nextPayoutAt` finds nothing to move: of two claims, one wins.
    const later = at('2026-01-01T00:03:00.000Z');
    const claims = await Promise.all([0, 1].map(() => storage.repos.withdrawals.transition('w-wa', ['paying'], { status: 'paying', payoutAttempts: 2, nextPayoutAt: later }, due)));
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    const completions = await Promise.all([0, 1].map(() => storage.repos.withdrawals.transition('w-wa', ['approved', 'paying'], { status: 'completed', entryId: 'e-wa', nextPayoutAt: null, resolvedAt: later })));
    expect(completions.filter((c) => c !== undefined)).toHaveLength(1);
    expect(await storage.repos.withdrawals.findById('w-wa')).toMatchObject({ status: 'completed', entryId: 'e-wa', nextPayoutAt: null, payoutAttempts: 2 });
  });

  it('stores deposits once per provider reference, moves one on from an allowed status only, and pages them newest first', async () => {
    await storage.repos.users.insert(user('u-dp', 'dp@example.com'));
    await storage.repos.users.insert(user('u-dp-2', 'dp2@example.com'));
    const created = at('2026-02-01T00:00:00.000Z');
    const account = (id: string, userId: string) => ({ id, userId, currency: 'USD', kind: 'real' as const, systemCode: null, isDefault: true, status: 'active' as const, balance: 0n, held: 0n, createdAt: created });
    await storage.repos.accounts.insert(account('acc-dp', 'u-dp'));
    await storage.repos.accounts.insert(account('acc-dp-2', 'u-dp-2'));
    const deposit = (id: string, reference: string, userId = 'u-dp', accountId = 'acc-dp'): DepositRecord => ({
      id, userId, accountId, provider: 'stripe', providerReference: reference, idempotencyKey: null, amount: 2_500n, currency: 'USD', status: 'pending', refundedAmount: 0n, entryId: null, failureReason: null, createdAt: created, updatedAt: created,
    });
    expect(await storage.repos.deposits.insert(deposit('d-dp-1', 'pi_1'))).toBe(true);
    expect(await storage.repos.deposits.findById('d-dp-1')).toEqual(deposit('d-dp-1', 'pi_1'));
    expect(await storage.repos.deposits.findByReference('stripe', 'pi_1')).toEqual(deposit('d-dp-1', 'pi_1'));
    expect(await storage.repos.deposits.findByReference('gateway', 'pi_1')).toBeUndefined();
    expect(await storage.repos.deposits.findById('d-none')).toBeUndefined();
    // The same provider reference is one payment: a second deposit for it is refused.
    expect(await storage.repos.deposits.insert(deposit('d-dp-dup', 'pi_1'))).toBe(false);
    expect(await storage.repos.deposits.findById('d-dp-dup')).toBeUndefined();
    // Another provider may use the same reference.
    await storage.repos.deposits.insert({ ...deposit('d-dp-2', 'pi_1'), provider: 'gateway' });
    await expect(storage.repos.deposits.insert({ ...deposit('d-dp-bad', 'pi_bad'), amount: 0n })).rejects.toThrow();

    const moved = at('2026-02-01T00:01:00.000Z');
    const processing = await storage.repos.deposits.transition('d-dp-1', ['pending'], { status: 'processing', at: moved });
    expect(processing).toEqual({ ...deposit('d-dp-1', 'pi_1'), status: 'processing', updatedAt: moved });
    // Refused from a status not listed: undefined, nothing changed.
    expect(await storage.repos.deposits.transition('d-dp-1', ['pending'], { status: 'failed', failureReason: 'late', at: at('2026-02-01T00:02:00.000Z') })).toBeUndefined();
    expect(await storage.repos.deposits.findById('d-dp-1')).toEqual(processing);
    expect(await storage.repos.deposits.transition('d-none', ['pending'], { status: 'failed', at: moved })).toBeUndefined();
    const succeeded = await storage.repos.deposits.transition('d-dp-1', ['pending', 'processing'], { status: 'succeeded', entryId: 'e-dp-1', at: moved });
    expect(succeeded).toMatchObject({ status: 'succeeded', entryId: 'e-dp-1', failureReason: null, amount: 2_500n });

    // Two events moving the same pending deposit at once: exactly one wins.
    await storage.repos.deposits.insert(deposit('d-dp-3', 'pi_3'));
    const outcomes = await Promise.all([
      storage.repos.deposits.transition('d-dp-3', ['pending'], { status: 'succeeded', entryId: 'e-dp-3a', at: moved }),
      storage.repos.deposits.transition('d-dp-3', ['pending'], { status: 'succeeded', entryId: 'e-dp-3b', at: moved }),
    ]);
    const winners = outcomes.filter((o) => o !== undefined);
    expect(winners).toHaveLength(1);
    expect(await storage.repos.deposits.findById('d-dp-3')).toEqual(winners[0]);

    await storage.repos.deposits.insert(deposit('d-dp-4', 'pi_4'));
    await storage.repos.deposits.insert(deposit('d-dp-5', 'pi_5', 'u-dp-2', 'acc-dp-2'));
    const ids = (deposits: DepositRecord[]) => deposits.map((d) => d.id);
    expect(ids(await storage.repos.deposits.list({ userId: 'u-dp', limit: 10 }))).toEqual(['d-dp-4', 'd-dp-3', 'd-dp-2', 'd-dp-1']);
    expect(ids(await storage.repos.deposits.list({ userId: 'u-dp', limit: 2 }))).toEqual(['d-dp-4', 'd-dp-3']);
    expect(ids(await storage.repos.deposits.list({ userId: 'u-dp', cursor: 'd-dp-3', limit: 2 }))).toEqual(['d-dp-2', 'd-dp-1']);
    expect(ids(await storage.repos.deposits.list({ userId: 'u-dp', status: 'pending', limit: 10 }))).toEqual(['d-dp-4', 'd-dp-2']);
    expect(ids(await storage.repos.deposits.list({ status: 'succeeded', limit: 10 }))).toEqual(['d-dp-3', 'd-dp-1']);
    expect(ids(await storage.repos.deposits.list({ userId: 'u-dp-2', limit: 10 }))).toEqual(['d-dp-5']);
  });

  it('keys deposits by Idempotency-Key, records the provider reference once, and only raises the refunded total', async () => {
    await storage.repos.users.insert(user('u-dk', 'dk@example.com'));
    const created = at('2026-02-02T00:00:00.000Z');
    await storage.repos.accounts.insert({ id: 'acc-dk', userId: 'u-dk', currency: 'USD', kind: 'real', systemCode: null, isDefault: true, status: 'active', balance: 0n, held: 0n, createdAt: created });
    const deposit = (id: string, key: string | null): DepositRecord => ({
      id, userId: 'u-dk', accountId: 'acc-dk', provider: 'stripe', providerReference: null, idempotencyKey: key, amount: 1_000n, currency: 'USD', status: 'pending', refundedAmount: 0n, entryId: null, failureReason: null, createdAt: created, updatedAt: created,
    });
    // Concurrent requests with one key: one row.
    const inserted = await Promise.all([storage.repos.deposits.insert(deposit('d-dk-1', 'key-1')), storage.repos.deposits.insert(deposit('d-dk-2', 'key-1'))]);
    expect(inserted.filter(Boolean)).toHaveLength(1);
    const winner = (await storage.repos.deposits.findByIdempotencyKey('u-dk', 'key-1'))!;
    expect(['d-dk-1', 'd-dk-2']).toContain(winner.id);
    expect(await storage.repos.deposits.findByIdempotencyKey('u-other', 'key-1')).toBeUndefined();
    // Deposits without a key, and before the provider answered (no reference), coexist.
    expect(await storage.repos.deposits.insert(deposit('d-dk-3', null))).toBe(true);
    expect(await storage.repos.deposits.insert(deposit('d-dk-4', null))).toBe(true);

    const later = at('2026-02-02T00:01:00.000Z');
    expect(await storage.repos.deposits.setReference(winner.id, 'pi_dk', later)).toBe(true);
    expect(await storage.repos.deposits.setReference(winner.id, 'pi_dk', later)).toBe(true);
    expect(await storage.repos.deposits.setReference(winner.id, 'pi_other', later)).toBe(false);
    expect(await storage.repos.deposits.setReference('d-dk-3', 'pi_dk', later)).toBe(false);
    expect(await storage.repos.deposits.findByReference('stripe', 'pi_dk')).toMatchObject({ id: winner.id, updatedAt: later });

    await storage.repos.deposits.transition(winner.id, ['pending'], { status: 'succeeded', entryId: 'e-dk', at: later });
    expect((await storage.repos.deposits.raiseRefunded(winner.id, 300n, later))?.refundedAmount).toBe(300n);
    expect((await storage.repos.deposits.raiseRefunded(winner.id, 200n, later))?.refundedAmount).toBe(300n);
    await expect(storage.repos.deposits.raiseRefunded(winner.id, 1_001n, later)).rejects.toThrow();
    expect(await storage.repos.deposits.raiseRefunded('d-none', 1n, later)).toBeUndefined();
    expect(await storage.repos.deposits.succeededSince('acc-dk', later)).toBe(700n);
    expect(await storage.repos.deposits.succeededSince('acc-dk', at('2026-02-02T00:01:00.001Z'))).toBe(0n);
  });

  it('records a dispute once, closes an open one once, and lists disputes and receivables newest first', async () => {
    await storage.repos.users.insert(user('u-ds', 'ds@example.com'));
    const created = at('2026-02-03T00:00:00.000Z');
    await storage.repos.accounts.insert({ id: 'acc-ds', userId: 'u-ds', currency: 'USD', kind: 'real', systemCode: null, isDefault: true, status: 'active', balance: 0n, held: 0n, createdAt: created });
    await storage.repos.deposits.insert({
      id: 'd-ds', userId: 'u-ds', accountId: 'acc-ds', provider: 'stripe', providerReference: 'pi_ds', idempotencyKey: null, amount: 1_000n, currency: 'USD', status: 'succeeded', refundedAmount: 0n, entryId: 'e-ds', failureReason: null, createdAt: created, updatedAt: created,
    });
    const dispute = (id: string, disputeId: string): DisputeRecord => ({
      id, provider: 'stripe', disputeId, depositId: 'd-ds', userId: 'u-ds', accountId: 'acc-ds', amount: 1_000n, currency: 'USD', status: 'open', reason: 'fraudulent', holdId: null, entryId: null, createdAt: created, updatedAt: created,
    });
    const inserted = await Promise.all([storage.repos.disputes.insert(dispute('ds-1', 'dp_1')), storage.repos.disputes.insert(dispute('ds-1b', 'dp_1'))]);
    expect(inserted.filter(Boolean)).toHaveLength(1);
    const first = (await storage.repos.disputes.findByDisputeId('stripe', 'dp_1'))!;
    expect(await storage.repos.disputes.findByDisputeId('gateway', 'dp_1')).toBeUndefined();
    expect(await storage.repos.disputes.insert(dispute('ds-2', 'dp_2'))).toBe(true);
    expect(await storage.repos.disputes.countOpen('acc-ds')).toBe(2);

    const later = at('2026-02-03T00:01:00.000Z');
    const closes = await Promise.all([
      storage.repos.disputes.close(first.id, { status: 'lost', entryId: 'e-lost', at: later }),
      storage.repos.disputes.close(first.id, { status: 'won', entryId: null, at: later }),
    ]);
    expect(closes.filter((c) => c !== undefined)).toHaveLength(1);
    expect(await storage.repos.disputes.countOpen('acc-ds')).toBe(1);
    expect((await storage.repos.disputes.list({ status: 'open', limit: 10 })).map((d) => d.id)).toEqual(['ds-2']);
    expect((await storage.repos.disputes.list({ limit: 1 })).map((d) => d.id)).toEqual(['ds-2']);
    expect((await storage.repos.disputes.list({ cursor: 'ds-2', limit: 10 })).map((d) => d.id)).toEqual([first.id]);

    const receivable = (id: string): ReceivableRecord => ({
      id, userId: 'u-ds', accountId: 'acc-ds', amount: 400n, currency: 'USD', status: 'open', cause: 'chargeback', sourceId: first.id, entryId: 'e-lost', createdAt: later, settledAt: null,
    });
    await storage.repos.receivables.insert(receivable('rc-1'));
    await storage.repos.receivables.insert(receivable('rc-2'));
    await expect(storage.repos.receivables.insert({ ...receivable('rc-bad'), amount: 0n })).rejects.toThrow();
    expect(await storage.repos.receivables.list({ userId: 'u-ds', limit: 10 })).toEqual([receivable('rc-2'), receivable('rc-1')]);
    expect((await storage.repos.receivables.list({ status: 'settled', limit: 10 }))).toEqual([]);
    expect((await storage.repos.receivables.list({ cursor: 'rc-2', limit: 10 })).map((r) => r.id)).toEqual(['rc-1']);
    expect(await storage.repos.receivables.findById('rc-1')).toEqual(receivable('rc-1'));
    const settledAt = at('2026-02-03T00:02:00.000Z');
    const settles = await Promise.all([storage.repos.receivables.settle('rc-1', settledAt), storage.repos.receivables.settle('rc-1', settledAt)]);
    expect(settles.filter((x) => x !== undefined)).toEqual([{ ...receivable('rc-1'), status: 'settled', settledAt }]);
    expect(await storage.repos.receivables.settle('rc-none', settledAt)).toBeUndefined();
    expect((await storage.repos.receivables.list({ status: 'settled', limit: 10 })).map((r) => r.id)).toEqual(['rc-1']);
  });

  it('keeps one plan subscription per user, finds it by the provider’s customer, and counts what a plan limits', async () => {
    await storage.repos.users.insert(user('u-pl', 'plans@example.com'));
    await storage.repos.users.insert(user('u-pl-2', 'plans2@example.com'));
    const record: PlanSubscriptionRecord = {
      userId: 'u-pl',
      plan: 'pro',
      status: 'active',
      provider: 'gateway',
      customerReference: 'cus_1',
      subscriptionReference: 'sub_1',
      currentPeriodEnd: at('2026-03-01T00:00:00.000Z'),
      cancelAtPeriodEnd: false,
      stateAt: at('2026-02-01T00:00:00.123Z'),
      updatedAt: at('2026-02-01T00:00:01.000Z'),
    };
    expect(await storage.repos.plans.find('u-pl')).toBeUndefined();
    await storage.repos.plans.put(record);
    expect(await storage.repos.plans.find('u-pl')).toEqual(record);
    // A second put replaces the row: one per user.
    const canceled = { ...record, status: 'canceled' as const, cancelAtPeriodEnd: true, currentPeriodEnd: null, stateAt: at('2026-02-02T00:00:00.000Z') };
    await storage.repos.plans.put(canceled);
    expect(await storage.repos.plans.find('u-pl')).toEqual(canceled);
    expect(await storage.repos.plans.findByCustomer('gateway', 'cus_1')).toEqual(canceled);
    expect(await storage.repos.plans.findByCustomer('other', 'cus_1')).toBeUndefined();
    await storage.repos.plans.put({ ...record, userId: 'u-pl-2', provider: 'operator', customerReference: null, subscriptionReference: null });
    expect((await storage.repos.plans.list({ limit: 10 })).map((r) => r.userId).filter((id) => id.startsWith('u-pl'))).toEqual(['u-pl-2', 'u-pl']);
    expect((await storage.repos.plans.list({ cursor: 'u-pl-2', limit: 10 })).map((r) => r.userId)).toContain('u-pl');

    const since = at('2026-02-10T00:00:00.000Z');
    expect(await storage.repos.plans.usage('u-pl', since)).toEqual({ maxBots: 0, backtestsPerDay: 0, maxApiKeys: 0, maxCopySubscriptions: 0 });
    const strategy = { userId: 'u-pl', name: 'bot', accountId: null, symbol: 'BTCUSD', interval: '1m', config: { strategies: [] }, stake: null, stopLossPct: null, takeProfitPct: null, status: 'active' as const, createdAt: since, updatedAt: since };
    await storage.repos.strategies.insert({ ...strategy, id: 's-pl-1' });
    await storage.repos.strategies.insert({ ...strategy, id: 's-pl-2', status: 'paused' });
    const backtest = { userId: 'u-pl', status: 'completed' as const, symbol: 'BTCUSD', interval: '1m', from: since, to: since, currency: 'USD', initialBalance: 100n, params: {}, candles: 0, summary: null, detail: null, error: null, startedAt: null, completedAt: null, heartbeatAt: since };
    await storage.repos.backtests.insert({ ...backtest, id: 'b-pl-1', createdAt: at('2026-02-09T23:59:59.999Z') });
    await storage.repos.backtests.insert({ ...backtest, id: 'b-pl-2', createdAt: since });
    const key = { userId: 'u-pl', name: 'k', prefix: 'AbCdEfGh', scopes: ['account:read'], createdAt: since, expiresAt: null, lastUsedAt: null, revokedAt: null };
    await storage.repos.apiKeys.insert({ ...key, id: 'k-pl-1', keyHash: 'keyhash-pl-1' });
    await storage.repos.apiKeys.insert({ ...key, id: 'k-pl-2', keyHash: 'keyhash-pl-2', revokedAt: since });
    expect(await storage.repos.plans.usage('u-pl', since)).toEqual({ maxBots: 2, backtestsPerDay: 1, maxApiKeys: 1, maxCopySubscriptions: 0 });
    expect(await storage.repos.plans.usage('u-pl-2', since)).toEqual({ maxBots: 0, backtestsPerDay: 0, maxApiKeys: 0, maxCopySubscriptions: 0 });
  });

  it('records a provider event once, whoever delivers it at once', async () => {
    const event = (eventId: string, provider = 'stripe'): ProviderEventRecord => ({ provider, eventId, type: 'payment_intent.succeeded', objectId: 'pi_1', receivedAt: at('2026-02-01T00:00:00.000Z') });
    expect(await storage.repos.providerEvents.insert(event('evt_1'))).toBe(true);
    expect(await storage.repos.providerEvents.insert({ ...event('evt_1'), type: 'other', objectId: null })).toBe(false);
    // Event ids are the provider's own: another provider's same id is another event.
    expect(await storage.repos.providerEvents.insert(event('evt_1', 'gateway'))).toBe(true);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => storage.repos.providerEvents.insert(event('evt_2'))));
    expect(concurrent.filter(Boolean)).toHaveLength(1);
  });
  it('posts a movement whole, storing its balances as data; refuses one the ledger rule forbids, writing nothing', async () => {
    await storage.repos.users.insert(user('u-mv', 'mv@example.com'));
    const created = at('2026-01-01T00:00:00.000Z');
    const account = { id: 'acc-mv-a', userId: 'u-mv', currency: 'USD', kind: 'real' as const, systemCode: null, isDefault: true, status: 'active' as const, balance: 1_000n, held: 400n, createdAt: created };
    await storage.repos.accounts.insert(account);
    const system = await storage.repos.accounts.ensureSystem('external', 'USD', created);
    const expected = { userId: 'u-mv', currency: 'USD', kind: 'real' as const, status: 'active' as const, isDefault: true };
    // A withdrawal of `amount` from the user's account (lines in ascending id order: acc-mv-a first).
    const movement = (n: number, amount: bigint) => ({
      lines: [
        { accountId: account.id, delta: -amount, expected },
        { accountId: system.id, delta: amount },
      ] as [{ accountId: string; delta: bigint; expected: typeof expected }, { accountId: string; delta: bigint }],
      entry: { id: `e-mv-${n}`, kind: 'withdrawal' as const, reference: null, metadata: null, reversesEntryId: null, actorId: 'u-mv', createdAt: created },
      postings: [
        { id: `p-mv-${n}a`, entryId: `e-mv-${n}`, accountId: account.id, currency: 'USD', amount: -amount, balanceAfter: 0n, createdAt: created },
        { id: `p-mv-${n}b`, entryId: `e-mv-${n}`, accountId: system.id, currency: 'USD', amount, balanceAfter: 0n, createdAt: created },
      ] as [never, never],
      key: { userId: 'u-mv', key: `k-mv-${n}`, requestHash: 'h', createdAt: created, expiresAt: at('2026-01-02T00:00:00.000Z'), outcome: { ok: true as const, value: { answer: n } } },
      notification: {
        record: { id: `n-mv-${n}`, userId: 'u-mv', type: 'wallet.withdrawal', title: 'Withdrawal', body: null, data: { amount: '1.00' }, readAt: null, createdAt: created },
        balanceOf: account.id,
        minorUnit: '0.01',
      },
    });
    const post = storage.postMovement!;
    expect(await post(movement(1, 100n))).toEqual([
      { balance: 900n, held: 400n },
      { balance: system.existed ? expect.any(BigInt) : 100n, held: 0n },
    ]);
    const stored = await storage.repos.idempotency.find('u-mv', 'k-mv-1');
    expect(stored?.outcome).toEqual({ ok: true, value: { answer: 1 }, balances: { [account.id]: { balance: '900', held: '400' }, [system.id]: { balance: expect.any(String), held: '0' } } });
    const [notification] = (await storage.repos.notifications.list({ userId: 'u-mv', limit: 5 })).filter((n) => n.id === 'n-mv-1');
    expect(Object.entries(notification!.data!)).toEqual([
      ['amount', '1.00'],
      ['balance', '9.00'],
    ]);
    expect((await storage.repos.journal.listPostings({ accountIds: [account.id], limit: 5 })).map((p) => p.balanceAfter)).toEqual([900n]);

    // Only 500 is available (900 − 400 held): 501 is refused, and so is the same key again.
    expect(await post(movement(2, 501n))).toBeUndefined();
    expect(await post({ ...movement(3, 1n), key: movement(1, 1n).key })).toBeUndefined();
    expect(await storage.repos.idempotency.find('u-mv', 'k-mv-2')).toBeUndefined();
    expect(await storage.repos.accounts.findById(account.id)).toMatchObject({ balance: 900n, held: 400n });
    expect((await storage.repos.journal.listPostings({ accountIds: [account.id], limit: 5 })).map((p) => p.id)).toEqual(['p-mv-1a']);
    // The same rule guards the repositories' balance updates.
    expect(await storage.repos.accounts.applyDelta(account.id, -501n)).toBeUndefined();
    expect(await storage.repos.accounts.applyDelta(account.id, -500n)).toEqual({ balance: 400n, held: 400n });
  });
});
