/**
 * One conformance suite for every storage implementation: SQLite in memory, SQLite in a file
 * and PostgreSQL run the same cases, so services behave the same on each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefreshTokenRecord, UserRecord } from '@tradeplane/core';
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
  };
}

function refresh(id: string, userId: string, familyId: string): RefreshTokenRecord {
  return {
    id,
    familyId,
    userId,
    tokenHash: `hash-${id}`,
    createdAt: at('2026-01-02T00:00:00.000Z'),
    expiresAt: at('2026-01-09T00:00:00.000Z'),
    rotatedAt: null,
    revokedAt: null,
    userAgent: 'vitest',
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
      await tx.refreshTokens.insert(refresh('r-3', 'u-3', 'f-3'));
    });
    expect(await storage.repos.refreshTokens.findByHash('hash-r-3')).toMatchObject({ userId: 'u-3' });

    const boom = new Error('fail mid-transaction');
    await expect(
      storage.transaction(async (tx) => {
        await tx.users.insert(user('u-4', 'four@example.com'));
        await tx.refreshTokens.insert(refresh('r-4', 'u-4', 'f-4'));
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await storage.repos.users.findById('u-4')).toBeUndefined();
    expect(await storage.repos.refreshTokens.findByHash('hash-r-4')).toBeUndefined();
  });

  it('rotates a refresh token once: a second rotation, or one after revocation, fails', async () => {
    await storage.repos.users.insert(user('u-5', 'five@example.com'));
    await storage.repos.refreshTokens.insert(refresh('r-5a', 'u-5', 'f-5'));
    await storage.repos.refreshTokens.insert(refresh('r-5b', 'u-5', 'f-5'));
    await storage.repos.refreshTokens.insert(refresh('r-5c', 'u-5', 'other-family'));

    expect(await storage.repos.refreshTokens.markRotated('r-5a', at('2026-01-03T00:00:00.000Z'))).toBe(true);
    expect(await storage.repos.refreshTokens.markRotated('r-5a', at('2026-01-03T00:00:01.000Z'))).toBe(false);
    expect((await storage.repos.refreshTokens.findByHash('hash-r-5a'))?.rotatedAt).toEqual(at('2026-01-03T00:00:00.000Z'));

    expect(await storage.repos.refreshTokens.revokeFamily('f-5', at('2026-01-04T00:00:00.000Z'))).toBe(2);
    expect(await storage.repos.refreshTokens.revokeFamily('f-5', at('2026-01-05T00:00:00.000Z'))).toBe(0);
    expect(await storage.repos.refreshTokens.markRotated('r-5b', at('2026-01-04T00:00:01.000Z'))).toBe(false);
    expect((await storage.repos.refreshTokens.findByHash('hash-r-5c'))?.revokedAt).toBeNull();
  });

  it('lets exactly one of many concurrent rotations of the same token win', async () => {
    await storage.repos.users.insert(user('u-6', 'six@example.com'));
    await storage.repos.refreshTokens.insert(refresh('r-6', 'u-6', 'f-6'));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => storage.transaction((tx) => tx.refreshTokens.markRotated('r-6', at('2026-01-03T00:00:00.000Z')))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('deny-lists access token ids idempotently', async () => {
    expect(await storage.repos.revokedTokens.isRevoked('jti-1')).toBe(false);
    const entry = { jti: 'jti-1', userId: 'u-1', expiresAt: at('2026-01-02T00:15:00.000Z') };
    await storage.repos.revokedTokens.add(entry);
    await storage.repos.revokedTokens.add(entry);
    expect(await storage.repos.revokedTokens.isRevoked('jti-1')).toBe(true);
  });

  it('deletes a user’s refresh tokens with the user (foreign key cascade)', async () => {
    // Checked through the schema rather than an API: nothing deletes users yet, but the
    // constraint must exist on both databases.
    await expect(storage.repos.refreshTokens.insert(refresh('r-orphan', 'no-such-user', 'f-x'))).rejects.toThrow();
  });
});
