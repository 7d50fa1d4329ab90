import type { AccountRecord } from '../ports/index.js';
import type { WalletContext } from './context.js';
import type { Line } from './journal.js';

export type AccountCache = ReturnType<typeof createAccountCache>;

/**
 * User accounts as movements posted by `postMovement` last read them, by id and as `default:<user id>`,
 * so that a movement is one round trip, not two. Never trusted: the statement re-checks every
 * fact of the account it relies on (`expected`: owner, currency, kind, status, default flag),
 * so a stale record gets the movement refused — it then takes the general path, which reads
 * afresh — and forgotten. Bounded: cleared when full.
 */
export function createAccountCache({ storage, ownAccount }: Pick<WalletContext, 'storage' | 'ownAccount'>) {
  const recentAccounts = new Map<string, AccountRecord>();
  const RECENT_ACCOUNTS = 10_000;
  async function recentAccount(key: string, read: () => Promise<AccountRecord | undefined>): Promise<AccountRecord | undefined> {
    const known = recentAccounts.get(key);
    if (known) return known;
    const account = await read();
    if (account && account.kind !== 'system') {
      if (recentAccounts.size >= RECENT_ACCOUNTS) recentAccounts.clear();
      recentAccounts.set(key, account);
    }
    return account;
  }
  /** `ownAccount` through `recentAccounts`: another user's account is still `not_found`. */
  async function recentOwnAccount(userId: string, accountId?: string): Promise<AccountRecord> {
    const account = await recentAccount(accountId ?? `default:${userId}`, () => ownAccount(storage.repos, userId, accountId));
    return account?.userId === userId ? account : ownAccount(storage.repos, userId, accountId);
  }
  function forgetAccounts(lines: Line[]): void {
    for (const { account } of lines) {
      recentAccounts.delete(account.id);
      if (account.userId !== null) recentAccounts.delete(`default:${account.userId}`);
    }
  }

  return { recentAccount, recentOwnAccount, forgetAccounts };
}
