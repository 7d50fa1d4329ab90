import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '@tradeplane/core';
import { createEngine } from '../engine.js';
import { createTestDatabase, testDatabaseKinds } from '../testing/databases.js';

describe.runIf(testDatabaseKinds().includes('postgres'))('movements on PostgreSQL', () => {
  it('writes movements that arrive together in shared statements, each with its own answer', async () => {
    const db = await createTestDatabase('postgres');
    const pool = postgres(db.database as string, { max: 8, onnotice: () => {} });
    // The driver's statements, counted: a movement goes as `with u0 as (update …` alone, or in
    // a statement of several that starts from their lines (`with l as (select * from unnest(…`).
    const sent = { alone: 0, together: 0 };
    const counted = new Proxy(pool, {
      get(target, name, receiver) {
        if (name !== 'unsafe') return Reflect.get(target, name, receiver) as unknown;
        return (query: string, ...rest: unknown[]) => {
          if (query.startsWith('with\n  u0 as')) sent.alone++;
          if (query.startsWith('with\n  l as')) sent.together++;
          return (target.unsafe as (...args: unknown[]) => unknown)(query, ...rest);
        };
      },
    });
    try {
      const engine = await createEngine({ database: { postgres: counted }, wallets: { demo: false }, auth: { jwtSecret: 's'.repeat(32) }, logger: silentLogger });
      try {
        const users = [];
        for (let i = 0; i < 16; i++) users.push((await engine.auth.register({ email: `batch${i}@example.com`, password: 'password-123' })).id);
        // Each user's first movement reads their account; from then on a movement is one statement.
        for (const userId of users) {
          const account = await engine.wallets.defaultAccount(userId);
          await engine.wallets.funding.confirmDeposit('bank', { sourceReference: `first-${userId}`, accountId: account.id, amount: '10.00', currency: 'USD' });
          await engine.wallets.chargeFee(userId, { amount: '0.01', currency: 'USD', idempotencyKey: 'first' });
        }
        const before = { ...sent };

        // Fees: the instant debit of a real account (a real withdrawal waits for an operator).
        const outcomes = await Promise.allSettled(users.map((userId, i) => engine.wallets.chargeFee(userId, { amount: `${i + 1}.00`, currency: 'USD', idempotencyKey: 'second' })));
        // The first nine are covered and move; the others would overdraw and are refused alone.
        expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.account.balance : (o.reason as { code: string }).code))).toEqual(
          users.map((_, i) => (i < 9 ? `${8 - i}.99` : 'insufficient_funds')),
        );
        for (const [i, userId] of users.entries()) expect((await engine.wallets.defaultAccount(userId)).balance).toBe(i < 9 ? `${8 - i}.99` : '9.99');
        const statements = sent.alone + sent.together - before.alone - before.together;
        expect(sent.together - before.together).toBeGreaterThan(0);
        expect(statements).toBeLessThan(users.length);
        expect((await engine.wallets.verifyLedger()).ok).toBe(true);
      } finally {
        await engine.close();
      }
    } finally {
      await pool.end();
      await db.cleanup();
    }
  });
});
