/**
 * Session revocation under concurrency, on every database: a refresh racing a logout of the
 * same session must never leave a working token behind once the logout has returned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tradeplane/core';
import { createEngine, type Engine } from '@tradeplane/engine';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../packages/engine/src/testing/databases.js';

describe.each(testDatabaseKinds())('sessions on %s', (kind) => {
  let db: TestDatabase;
  let engine: Engine;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    engine = await createEngine({
      database: db.database,
      mode: 'test',
      logger: silentLogger,
      auth: { jwtSecret: 'k'.repeat(32), passwordHashing: { memoryCost: 1024, timeCost: 1 } },
    });
    await engine.auth.register({ email: 'racer@example.com', password: 'racer-password' });
  });
  afterAll(async () => {
    await engine.close();
    await db.cleanup();
  });

  it('a refresh racing a logout leaves nothing usable after the logout', async () => {
    for (let round = 0; round < 40; round++) {
      const login = await engine.auth.login({ email: 'racer@example.com', password: 'racer-password' });
      const principal = await engine.auth.authenticate(login.accessToken);
      const [refreshed, loggedOut] = await Promise.allSettled([
        engine.auth.refresh({ refreshToken: login.refreshToken }),
        engine.auth.logout(principal),
      ]);
      expect(loggedOut.status).toBe('fulfilled');
      await expect(engine.auth.authenticate(login.accessToken)).rejects.toMatchObject({ code: 'invalid_token' });
      if (refreshed.status === 'fulfilled') {
        await expect(engine.auth.authenticate(refreshed.value.accessToken)).rejects.toMatchObject({ code: 'invalid_token' });
        await expect(engine.auth.refresh({ refreshToken: refreshed.value.refreshToken })).rejects.toMatchObject({ code: 'invalid_token' });
      } else {
        expect(refreshed.reason).toMatchObject({ code: 'invalid_token' });
      }
    }
  });

  it('concurrent refreshes of one token all get the same successor (reuse window)', async () => {
    const login = await engine.auth.login({ email: 'racer@example.com', password: 'racer-password' });
    const results = await Promise.all(Array.from({ length: 5 }, () => engine.auth.refresh({ refreshToken: login.refreshToken })));
    // One request rotates the token; the others arrive within the reuse window and are handed
    // the same successor, as a client retrying a lost response would be.
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    for (const r of results) await expect(engine.auth.authenticate(r.accessToken)).resolves.toMatchObject({ sessionId: login.sessionId });
    const next = await engine.auth.refresh({ refreshToken: results[0]!.refreshToken });
    await expect(engine.auth.authenticate(next.accessToken)).resolves.toBeDefined();
  });

  it('concurrent refreshes with no reuse window: one wins, the session is then revoked as reuse', async () => {
    const strictDb = await createTestDatabase(kind);
    const strict = await createEngine({
      database: strictDb.database,
      mode: 'test',
      logger: silentLogger,
      auth: { jwtSecret: 'k'.repeat(32), refreshReuseWindow: 0, passwordHashing: { memoryCost: 1024, timeCost: 1 } },
    });
    try {
      await strict.auth.register({ email: 'racer@example.com', password: 'racer-password' });
      const login = await strict.auth.login({ email: 'racer@example.com', password: 'racer-password' });
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => strict.auth.refresh({ refreshToken: login.refreshToken })));
      const won = results.filter((r) => r.status === 'fulfilled');
      const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []));
      expect(won).toHaveLength(1);
      expect(codes).toContain('refresh_token_reused');
      for (const code of codes) expect(code).toMatch(/^(refresh_token_reused|invalid_token)$/);
      // Reuse was detected, so even the winner's tokens are dead.
      for (const r of won) {
        await expect(strict.auth.authenticate((r as PromiseFulfilledResult<{ accessToken: string }>).value.accessToken)).rejects.toMatchObject({
          code: 'invalid_token',
        });
      }
    } finally {
      await strict.close();
      await strictDb.cleanup();
    }
  });
});
