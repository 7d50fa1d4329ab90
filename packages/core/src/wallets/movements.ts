import { TradeplaneError } from '../errors.js';
import { WithWrites, type IdempotentRequest } from '../idempotency/idempotency.js';
import type { AccountRecord, EntryKind, Repositories, SystemAccountCode } from '../ports/index.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import type { AccountCache } from './account-cache.js';
import { settled, type WalletContext } from './context.js';
import type { createFastPath } from './fast-path.js';
import type { DepositConfirmation, createFunding } from './funding.js';
import { systemFor, type Journal, type Line } from './journal.js';
import type { MoneyInput, Movement, WalletService } from './service.js';

/** What the movement parts are composed from. */
interface MovementParts {
  journal: Pick<Journal, 'systemAccount' | 'postPending'>;
  cache: Pick<AccountCache, 'recentAccount' | 'recentOwnAccount' | 'forgetAccounts'>;
  fastPath: ReturnType<typeof createFastPath>;
}

/** How a movement against a system account finds its account and what it must hold to. */
interface AgainstSystem {
  name: string;
  kind: EntryKind;
  direction: 1n | -1n;
  system: (account: AccountRecord) => SystemAccountCode;
  /** The account moved (default: the caller's own, or their default one): on a plain read, and in the transaction. */
  account?: { read(): Promise<AccountRecord>; inTransaction(tx: Repositories): Promise<AccountRecord> };
  /** Refuses an account the movement may not touch (on both paths, before anything is written). */
  admit?: (account: AccountRecord) => void;
  /** Checks that need the account locked (caps counted over earlier movements): the movement then takes the general path. */
  locked?: (tx: Repositories, account: AccountRecord, amount: bigint) => Promise<void>;
  /** The Idempotency-Key's owner when it is not the user (a funding source's confirmations). */
  keyOwner?: string;
  actorId?: string | null;
}

const demoOnly = (account: AccountRecord) => {
  if (account.kind !== 'demo') {
    throw new TradeplaneError('funding_provider_required', 'Real money enters a real account only through a funding provider or an operator credit, not on request');
  }
};
/** Refuses a demo account where only real money may go. */
export const realOnly = (account: AccountRecord) => {
  if (account.kind !== 'real') throw new TradeplaneError('transfer_not_allowed', 'Only real accounts take real money: demo money comes from the demo faucet');
};

/** Demo money comes from and returns to the faucet; real money from and to the outside world. */
const cashSide = (account: AccountRecord): SystemAccountCode => systemFor(account, 'external');

type CashPath = ReturnType<typeof createCashPath>;

/**
 * One money movement between a user account and a system account, on the movement path when
 * the storage has one, else in a transaction of its own; and a funding source's confirmation,
 * which is such a movement.
 */
export function createCashPath(ctx: WalletContext, { journal, cache, fastPath }: MovementParts) {
  const { storage, deps, idempotency, amountOf, ownAccount, sameCurrency, accountAfter, cashMovement, withBalance, renderMovement } = ctx;
  const { systemAccount, postPending } = journal;
  const { recentAccount, recentOwnAccount } = cache;
  const { postWhole } = fastPath;

  /** Deposit, withdrawal and fee share one shape: the user's account against a system account. */
  async function againstSystem(userId: string, input: MoneyInput, operation: AgainstSystem): Promise<Movement> {
    const amount = amountOf(input.amount, input.currency);
    const request: IdempotentRequest = {
      userId: operation.keyOwner ?? userId,
      key: input.idempotencyKey,
      operation: operation.name,
      input: { accountId: input.accountId ?? null, amount: amount.toString(), currency: input.currency, reference: input.reference ?? null, metadata: input.metadata ?? null },
    };
    const entry = { kind: operation.kind, reference: input.reference, metadata: input.metadata, actorId: operation.actorId === undefined ? userId : operation.actorId };
    const find = operation.account ?? { read: () => recentOwnAccount(userId, input.accountId), inTransaction: (tx: Repositories) => ownAccount(tx, userId, input.accountId) };
    if (storage.postMovement && !operation.locked) {
      // The same checks as below, on a plain read; then the whole movement at once.
      const account = await find.read();
      operation.admit?.(account);
      sameCurrency(account, input.currency);
      const code = operation.system(account);
      const cash = operation.kind === 'deposit' || operation.kind === 'withdrawal' ? operation.kind : undefined;
      const lines: [Line, Line] = [
        { account, amount: operation.direction * amount },
        { account: await systemAccount(storage.repos, code, account.currency, true), amount: -operation.direction * amount },
      ];
      const movement = await postWhole(request, entry, lines, cash);
      if (movement) return movement;
    }
    return idempotency.run(
      request,
      async (tx) => {
        const account = await find.inTransaction(tx);
        operation.admit?.(account);
        sameCurrency(account, input.currency);
        await operation.locked?.(tx, account, amount);
        const system = await systemAccount(tx, operation.system(account), account.currency);
        const lines: Line[] = [
          { account, amount: operation.direction * amount },
          { account: system, amount: -operation.direction * amount },
        ];
        const result = await postPending(tx, entry, lines);
        const movement = { transaction: result.transactions[0]!, account: accountAfter(account, result.after.get(account.id)!) };
        const cash = deps.cashNotifications;
        if (!cash || (operation.kind !== 'deposit' && operation.kind !== 'withdrawal')) return new WithWrites(movement, result.written);
        const owner = account.userId!;
        const notice = withBalance(cash.notice(cashMovement(operation.kind, owner, account, result.entryId, movement.transaction.amount)), movement.account.balance);
        const notified = cash.notifications.notifyIn(tx, owner, notice);
        // Sent together with the entry's own writes; settled() waits for both before any failure counts.
        return new WithWrites(movement, settled([result.written, notified]));
      },
      renderMovement,
    );
  }

  /** A funding source's confirmation, posted like any deposit (the movement path, the holder told), keyed by the source's reference. */
  function creditFromSource(source: string, confirmation: DepositConfirmation): Promise<Movement> {
    const read = async (repos: Repositories) => {
      const account = await repos.accounts.findById(confirmation.accountId);
      if (!account || account.kind === 'system') throw new TradeplaneError('not_found', 'No such account');
      return account;
    };
    const input: MoneyInput = {
      amount: confirmation.amount,
      currency: confirmation.currency,
      accountId: confirmation.accountId,
      reference: confirmation.reference,
      metadata: { ...confirmation.metadata, funding_source: source, source_reference: confirmation.sourceReference },
      idempotencyKey: confirmation.sourceReference,
    };
    return againstSystem('', input, {
      name: 'confirm_deposit',
      kind: 'deposit',
      direction: 1n,
      system: () => 'external',
      // Remembered like a user's own account: the statement re-checks every fact of it it relies on.
      account: { read: async () => (await recentAccount(confirmation.accountId, () => read(storage.repos)))!, inTransaction: read },
      admit: realOnly,
      keyOwner: `source:${source}`,
      actorId: null,
    });
  }

  return { againstSystem, creditFromSource };
}

/** Deposits, withdrawals, fees and transfers: the movements a user asks for. */
export function createMovements(
  ctx: WalletContext,
  { journal, cache, fastPath, cashPath, funding }: MovementParts & { cashPath: CashPath; funding: Pick<ReturnType<typeof createFunding>, 'request'> },
): Pick<WalletService, 'deposit' | 'withdraw' | 'chargeFee' | 'transfer'> {
  const { storage, clock, options, idempotency, currency, amountOf, demoBalance, ownAccount, sameCurrency, accountAfter, renderMovement } = ctx;
  const { postPending } = journal;
  const { recentAccount, recentOwnAccount } = cache;
  const { postWhole } = fastPath;
  const { againstSystem } = cashPath;

  /** Demo money is free: the faucet tops a demo account up only within the configured caps. */
  async function demoCaps(tx: Repositories, account: AccountRecord, amount: bigint): Promise<void> {
    const demo = options.demo;
    if (!demo) throw new TradeplaneError('transfer_not_allowed', 'Demo accounts are turned off');
    const userId = account.userId!;
    // Locks the user's accounts: concurrent top-ups are counted one after the other.
    await tx.accounts.lockOwner(userId);
    const c = currency(account.currency);
    const cap = demoCap(c.code);
    const current = (await tx.accounts.findById(account.id))!;
    if (cap !== undefined && current.balance + amount > cap) {
      throw new TradeplaneError('demo_limit_reached', `A demo account holds at most ${formatAmount(cap, c)} ${c.code}; it holds ${formatAmount(current.balance, c)}`, {
        fields: [{ in: 'body', path: 'amount', code: 'demo_balance_cap', message: `may be at most ${formatAmount(cap - current.balance < 0n ? 0n : cap - current.balance, c)}` }],
      });
    }
    if (demo.topUpsPerDay === false) return;
    const now = clock.now();
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const demoAccounts = (await tx.accounts.listForUser(userId)).filter((a) => a.kind === 'demo').map((a) => a.id);
    const today = await tx.journal.listPostings({ accountIds: demoAccounts, kind: 'deposit', from: dayStart, limit: demo.topUpsPerDay + 1 });
    if (today.length >= demo.topUpsPerDay) {
      throw new TradeplaneError('demo_limit_reached', `At most ${demo.topUpsPerDay} demo top-ups a day; the next one is possible after midnight UTC`);
    }
  }

  /** A demo account's balance cap in a currency: configured, or ten times its starting balance; undefined when off. */
  function demoCap(code: string): bigint | undefined {
    const demo = options.demo;
    if (!demo) return 0n;
    const text = demo.maxBalances[code] ?? demo.maxBalance;
    if (text === false) return undefined;
    if (text === undefined) return demoBalance(code) * 10n;
    const parsed = parseAmount(text, currency(code));
    if (!parsed.ok) throw new TypeError(`wallets.demo max balance "${text}" is not valid for ${code}: ${parsed.message}`);
    return parsed.minor;
  }

  return {
    deposit(userId, input) {
      // Checked in the transaction that would credit the account: a real one is refused there,
      // writing nothing. Caps are counted with the user's accounts locked; with none configured
      // a top-up takes the movement path transfers take.
      const capped = !options.demo || (options.demo.topUpsPerDay !== false || options.demo.maxBalance !== false || Object.keys(options.demo.maxBalances).length > 0);
      return againstSystem(userId, input, { name: 'deposit', kind: 'deposit', direction: 1n, system: cashSide, admit: demoOnly, ...(capped ? { locked: demoCaps } : {}) });
    },
    async withdraw(userId, input) {
      // An account's kind never changes, so a remembered record may choose the path.
      const account = storage.postMovement ? await recentOwnAccount(userId, input.accountId) : await ownAccount(storage.repos, userId, input.accountId);
      if (account.kind === 'real') return funding.request(userId, input, (tx) => ownAccount(tx, userId, input.accountId));
      return againstSystem(userId, input, { name: 'withdraw', kind: 'withdrawal', direction: -1n, system: cashSide });
    },
    chargeFee(userId, input) {
      const kind = input.kind ?? 'fee';
      return againstSystem(userId, input, { name: `charge_${kind}`, kind, direction: -1n, system: (account) => systemFor(account, kind === 'fee' ? 'fees' : 'commission') });
    },

    async transfer(userId, input) {
      const amount = amountOf(input.amount, input.currency);
      const request: IdempotentRequest = {
        userId,
        key: input.idempotencyKey,
        operation: 'transfer',
        input: {
          fromAccountId: input.fromAccountId ?? null,
          toAccountId: input.toAccountId,
          amount: amount.toString(),
          currency: input.currency,
          reference: input.reference ?? null,
          metadata: input.metadata ?? null,
        },
      };
      const entry = { kind: 'transfer' as const, reference: input.reference, metadata: input.metadata, actorId: userId };
      /** The two accounts, checked; two independent reads, sent together. */
      const accounts = async (read: { own(accountId?: string): Promise<AccountRecord>; byId(id: string): Promise<AccountRecord | undefined> }): Promise<[Line, Line]> => {
        const [from, to] = await settled([read.own(input.fromAccountId), read.byId(input.toAccountId)]);
        // Another user's account is invisible unless transfers between users are on.
        if (!to || to.kind === 'system' || (to.userId !== userId && !options.userTransfers)) {
          throw new TradeplaneError('not_found', 'No such destination account');
        }
        sameCurrency(from, input.currency);
        if (to.id === from.id) throw new TradeplaneError('transfer_not_allowed', 'The source and destination are the same account');
        if (to.currency !== from.currency) throw new TradeplaneError('currency_mismatch', `The destination holds ${to.currency}, not ${from.currency}`);
        if (to.kind !== from.kind) throw new TradeplaneError('transfer_not_allowed', 'Money cannot move between demo and real accounts');
        return [
          { account: from, amount: -amount },
          { account: to, amount },
        ];
      };
      if (storage.postMovement) {
        const lines = await accounts({ own: (accountId) => recentOwnAccount(userId, accountId), byId: (id) => recentAccount(id, () => storage.repos.accounts.findById(id)) });
        const movement = await postWhole(request, entry, lines);
        if (movement) return movement;
      }
      return idempotency.run(request, async (tx) => {
        const lines = await accounts({ own: (accountId) => ownAccount(tx, userId, accountId), byId: (id) => tx.accounts.findById(id) });
        const result = await postPending(tx, entry, lines);
        return new WithWrites({ transaction: result.transactions[0]!, account: accountAfter(lines[0].account, result.after.get(lines[0].account.id)!) }, result.written);
      }, renderMovement);
    },
  };
}
