/**
 * Sign-up must not tell, by the work it does, whether an email already has an account: a taken
 * email or username costs the same argon2 hash as a new account, and is answered no sooner than
 * a new account's writes and commit take. Checked on every database through the auth service
 * with the real argon2id hasher behind a counting seam (the service's `hasher` port) and a
 * sign-up hook that makes the success path deliberately long — no timing comparison: the one
 * time bound below is a lower bound on a wait the test itself inserts, which a slow machine
 * can only exceed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { authOptionsSchema, silentLogger, systemClock, uuidV7Ids } from '@tradeplane/core';
import { openStorage, type MigratableStorage } from '@tradeplane/engine';
import { createAuthService, type AuthService } from '../../packages/core/src/auth/service.js';
import { createAuditLog } from '../../packages/core/src/audit/audit-log.js';
import { argon2idHasher, type PasswordHasher } from '../../packages/core/src/auth/passwords.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';

/** The real hasher, counting what it is asked to do. */
function countingArgon2() {
  const real = argon2idHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const calls = { hash: 0, verify: 0, verifyDummy: 0 };
  const hasher: PasswordHasher = {
    hash: (p) => (calls.hash++, real.hash(p)),
    verify: (h, p) => (calls.verify++, real.verify(h, p)),
    verifyDummy: (p) => (calls.verifyDummy++, real.verifyDummy(p)),
    needsRehash: (h) => real.needsRehash(h),
  };
  return { hasher, calls, reset: () => Object.assign(calls, { hash: 0, verify: 0, verifyDummy: 0 }) };
}

const SLOW_SIGNUP_MS = 150;

describe.each(testDatabaseKinds())('sign-up work on %s', (kind) => {
  let db: TestDatabase;
  let storage: MigratableStorage;
  let auth: AuthService;
  const counting = countingArgon2();
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    storage = openStorage(db.database);
    await storage.migrate();
    const deps = { storage, clock: systemClock, ids: uuidV7Ids(), logger: silentLogger };
    auth = createAuthService({
      ...deps,
      audit: createAuditLog(deps),
      options: { ...authOptionsSchema.parse({}), jwtSecret: 'signup-work-secret-signup-work-secret' },
      hasher: counting.hasher,
      // A new account's own writes, made slow on purpose: what a taken email must not skip.
      onUserCreated: () => sleep(SLOW_SIGNUP_MS),
    });
    await auth.register({ email: 'taken@example.com', username: 'taken_name', password: 'first-owner-passphrase' });
  });
  afterAll(async () => {
    await storage?.close();
    await db?.cleanup();
  });

  it('hashes the password once whether the email is new, taken, or the username is taken', async () => {
    const work = async (input: { email: string; username?: string }) => {
      counting.reset();
      await auth.register({ ...input, password: 'some-new-passphrase' }).catch((e: { code: string }) => e.code);
      return { ...counting.calls };
    };
    const fresh = await work({ email: 'fresh@example.com' });
    expect(fresh).toEqual({ hash: 1, verify: 0, verifyDummy: 0 });
    expect(await work({ email: 'TAKEN@example.com' })).toEqual(fresh);
    expect(await work({ email: 'other@example.com', username: 'Taken_Name' })).toEqual(fresh);
  });

  it('answers a taken email or username no sooner than a new account’s writes take', async () => {
    // Successes teach it how long a new account takes (each at least SLOW_SIGNUP_MS here).
    for (let i = 0; i < 3; i++) await auth.register({ email: `learn-${i}@example.com`, password: 'some-new-passphrase' });
    for (const input of [{ email: 'taken@example.com' }, { email: 'another@example.com', username: 'taken_name' }]) {
      const started = performance.now();
      await expect(auth.register({ ...input, password: 'some-new-passphrase' })).rejects.toMatchObject({ code: input.username ? 'username_taken' : 'email_taken' });
      // Measured from before the hash: the transaction alone is held at least this long.
      expect(performance.now() - started).toBeGreaterThanOrEqual(SLOW_SIGNUP_MS);
    }
  });
});
