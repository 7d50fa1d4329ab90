import { describe, expect, it } from 'vitest';
import { withCommitHooks } from './commit-hooks.js';
import type { Repositories, Storage } from './ports/storage.js';

/** A storage double whose "transaction" commits when `fn` resolves and rolls back when it throws. */
function fakeStorage(): Storage {
  return {
    dialect: 'sqlite',
    repos: {} as Repositories,
    ping: async () => {},
    close: async () => {},
    transaction: async (fn) => fn({} as Repositories),
  };
}

describe('after-commit hooks', () => {
  it('runs queued work only once the transaction has committed, never on rollback', async () => {
    const { storage, afterCommit } = withCommitHooks(fakeStorage());
    const ran: string[] = [];
    await storage.transaction(async (tx) => {
      afterCommit(tx, () => ran.push('committed'));
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['committed']);
    await expect(
      storage.transaction(async (tx) => {
        afterCommit(tx, () => ran.push('rolled back'));
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    expect(ran).toEqual(['committed']);
  });

  it('keeps a committed transaction successful when an announcement throws', async () => {
    const errors: unknown[] = [];
    const { storage, afterCommit } = withCommitHooks(fakeStorage(), (e) => errors.push(e));
    const result = await storage.transaction(async (tx) => {
      afterCommit(tx, () => {
        throw new Error('listener broke');
      });
      afterCommit(tx, () => errors.push('second still ran'));
      return 42;
    });
    expect(result).toBe(42);
    expect(errors).toEqual([new Error('listener broke'), 'second still ran']);
  });
});
