import { keysetPage } from '../pagination.js';
import { TradeplaneError } from '../errors.js';
import type { AccountRecord, Repositories } from '../ports/index.js';
import { formatAmount } from '../money/amount.js';
import type { WalletContext } from './context.js';
import type { Journal } from './journal.js';
import type { Account, WalletService } from './service.js';

/** Opening, listing and choosing accounts, and reading their history and totals. */
export function createAccounts(
  ctx: WalletContext,
  journal: Pick<Journal, 'systemAccount' | 'post'>,
): Pick<WalletService, 'listAccounts' | 'getAccount' | 'defaultAccount' | 'openAccount' | 'openDemoAccount' | 'setDefault' | 'transactions' | 'totals' | 'openInitialAccount'> {
  const { storage, clock, ids, options, currency, demoBalance, toAccount, toTransaction, ownAccount } = ctx;
  const { systemAccount, post } = journal;

  async function openAccountIn(tx: Repositories, userId: string, kind: 'demo' | 'real', code: string, isDefault: boolean): Promise<AccountRecord> {
    const now = clock.now();
    const account: AccountRecord = {
      id: ids.next(),
      userId,
      currency: code,
      kind,
      systemCode: null,
      isDefault,
      status: 'active',
      balance: 0n,
      held: 0n,
      createdAt: now,
    };
    await tx.accounts.insert(account);
    if (kind === 'demo') {
      const amount = demoBalance(code);
      if (amount > 0n) {
        const faucet = await systemAccount(tx, 'demo_faucet', code);
        const { after } = await post(tx, { kind: 'demo_faucet', actorId: userId }, [
          { account: faucet, amount: -amount },
          { account, amount },
        ]);
        Object.assign(account, after.get(account.id));
      }
    }
    return account;
  }

  async function openWithLimit(userId: string, kind: 'demo' | 'real', code: string): Promise<Account> {
    currency(code);
    const account = await storage.transaction(async (tx) => {
      await tx.accounts.lockOwner(userId);
      const existing = await tx.accounts.listForUser(userId);
      if (existing.length >= options.maxAccountsPerUser) {
        throw new TradeplaneError('account_limit_reached', `You may have at most ${options.maxAccountsPerUser} accounts`);
      }
      const demoLimit = options.demo ? options.demo.maxAccounts : 0;
      if (kind === 'demo' && existing.filter((a) => a.kind === 'demo').length >= demoLimit) {
        throw new TradeplaneError('account_limit_reached', `You may have at most ${demoLimit} demo accounts`);
      }
      return openAccountIn(tx, userId, kind, code, existing.every((a) => !a.isDefault));
    });
    return toAccount(account);
  }

  return {
    async listAccounts(userId) {
      return (await storage.repos.accounts.listForUser(userId)).map(toAccount);
    },
    async getAccount(userId, accountId) {
      return toAccount(await ownAccount(storage.repos, userId, accountId));
    },
    async defaultAccount(userId) {
      return toAccount(await ownAccount(storage.repos, userId));
    },
    openAccount(userId, { currency: code }) {
      return openWithLimit(userId, 'real', code);
    },
    openDemoAccount(userId, input = {}) {
      if (!options.demo) return Promise.reject(new TradeplaneError('transfer_not_allowed', 'Demo accounts are turned off'));
      return openWithLimit(userId, 'demo', input.currency ?? options.defaultCurrency);
    },
    async setDefault(userId, accountId) {
      const account = await storage.transaction(async (tx) => {
        await tx.accounts.lockOwner(userId);
        if (!(await tx.accounts.setDefault(userId, accountId))) throw new TradeplaneError('not_found', 'No such account');
        return tx.accounts.findById(accountId);
      });
      return toAccount(account!);
    },

    async transactions(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const accounts = await storage.repos.accounts.listForUser(userId);
      let accountIds = accounts.map((a) => a.id);
      if (filter.accountId !== undefined) {
        if (!accountIds.includes(filter.accountId)) throw new TradeplaneError('not_found', 'No such account');
        accountIds = [filter.accountId];
      }
      const page = await keysetPage(limit, (n) => storage.repos.journal.listPostings({ accountIds, kind: filter.kind, from: filter.from, to: filter.to, cursor: filter.cursor, limit: n }), toTransaction);
      return { transactions: page.items, nextCursor: page.nextCursor };
    },

    async totals(userId) {
      const totals = new Map<string, { currency: string; kind: 'demo' | 'real'; balance: bigint; held: bigint; accounts: number }>();
      for (const a of await storage.repos.accounts.listForUser(userId)) {
        const key = `${a.currency}:${a.kind}`;
        const total = totals.get(key) ?? { currency: a.currency, kind: a.kind as 'demo' | 'real', balance: 0n, held: 0n, accounts: 0 };
        total.balance += a.balance;
        total.held += a.held;
        total.accounts += 1;
        totals.set(key, total);
      }
      return [...totals.values()]
        .sort((x, y) => (x.kind === y.kind ? x.currency.localeCompare(y.currency) : x.kind === 'real' ? -1 : 1))
        .map((t) => {
          const c = currency(t.currency);
          return { currency: t.currency, kind: t.kind, balance: formatAmount(t.balance, c), held: formatAmount(t.held, c), available: formatAmount(t.balance - t.held, c), accounts: t.accounts };
        });
    },

    async openInitialAccount(tx, user) {
      await openAccountIn(tx, user.id, options.demo ? 'demo' : 'real', options.defaultCurrency, true);
    },
  };
}
