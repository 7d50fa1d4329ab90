import { TradeplaneError } from '../errors.js';
import type { AccountRecord, Clock, HoldRecord, Ids, MovementBalances, PostingWithEntry, Repositories, Storage } from '../ports/index.js';
import { createCurrencyRegistry, type Currency, type CurrencyRegistry } from '../money/currency.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import { createIdempotency, type Idempotency } from '../idempotency/idempotency.js';
import type { NotificationInput } from '../notifications/service.js';
import type { WalletOptions } from './options.js';
import type { Account, CashMovement, Hold, Movement, Transaction, WalletServiceDeps } from './service.js';

/**
 * What every part of the wallet service shares: its dependencies, the currency registry and
 * idempotency store built from its options, and the checks and views that turn records into
 * what callers see. Built once per service; the parts (`accounts`, `movements`, `holds`, …)
 * each take it and return their methods.
 */
export interface WalletContext {
  readonly deps: WalletServiceDeps;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly options: WalletOptions;
  readonly currencies: CurrencyRegistry;
  readonly idempotency: Idempotency;
  /** The configured currency, or `validation_failed` naming the `currency` field. */
  currency(code: string): Currency;
  /** A decimal string parsed to minor units of the currency, or `validation_failed` naming the `amount` field. */
  amountOf(text: string, code: string): bigint;
  /** The demo starting balance for a currency, checked against its decimals. */
  demoBalance(code: string): bigint;
  toAccount(record: AccountRecord): Account;
  toTransaction(posting: PostingWithEntry): Transaction;
  toHold(hold: HoldRecord, code: string): Hold;
  /** The account as it stands after an entry changed its balance and held amount. */
  accountAfter(account: AccountRecord, state: { balance: bigint; held: bigint }): Account;
  /** The user's account (the default one when `accountId` is absent); other users' accounts are 404. */
  ownAccount(tx: Repositories, userId: string, accountId?: string): Promise<AccountRecord>;
  sameCurrency(account: AccountRecord, code: string): void;
  cashMovement(kind: CashMovement['kind'], userId: string, account: AccountRecord, entryId: string, amount: string): CashMovement;
  /**
   * A movement's answer as a movement posted whole stored it (its amounts not yet known),
   * completed from the balances its statement stored beside it: what a replay answers.
   */
  renderMovement(stored: Movement, balances: MovementBalances): Movement;
  /** A cash notice with the account's resulting balance added to its data, last. */
  withBalance(notice: NotificationInput, balance: string): NotificationInput;
}

/**
 * Waits for every promise to settle, then throws the first failure in array order (on
 * PostgreSQL the statement that failed first, the later ones failing only because the
 * transaction aborted), or returns the values. Never returns while a statement of the
 * transaction is still running.
 */
export async function settled<T extends readonly unknown[]>(promises: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

const iso = (d: Date) => d.toISOString();

/** Builds the shared context; refuses options whose default currency or demo balances do not fit the currencies. */
export function createWalletContext(deps: WalletServiceDeps): WalletContext {
  const { storage, clock, ids, options } = deps;
  const currencies = createCurrencyRegistry(options.currencies);
  const idempotency = createIdempotency({ storage, clock, ttlSeconds: options.idempotencyTtl });

  if (!currencies.get(options.defaultCurrency)) throw new TypeError(`wallets.defaultCurrency ${options.defaultCurrency} is not a known currency`);
  if (options.demo) {
    demoBalance(options.defaultCurrency);
    for (const code of Object.keys(options.demo.balances)) demoBalance(code);
  }

  function currency(code: string): Currency {
    const found = currencies.get(code);
    if (!found) {
      throw new TradeplaneError('validation_failed', `Unknown currency ${code}`, {
        fields: [{ in: 'body', path: 'currency', code: 'unknown_currency', message: `${code} is not a configured currency` }],
      });
    }
    return found;
  }

  function amountOf(text: string, code: string): bigint {
    const parsed = parseAmount(text, currency(code));
    if (!parsed.ok) {
      throw new TradeplaneError('validation_failed', `amount ${parsed.message}`, {
        fields: [{ in: 'body', path: 'amount', code: parsed.problem, message: parsed.message }],
      });
    }
    return parsed.minor;
  }

  function demoBalance(code: string): bigint {
    if (!options.demo) throw new TradeplaneError('transfer_not_allowed', 'Demo accounts are turned off');
    const text = options.demo.balances[code] ?? options.demo.balance;
    const parsed = parseAmount(text, currency(code));
    if (!parsed.ok) throw new TypeError(`wallets.demo balance "${text}" is not valid for ${code}: ${parsed.message}`);
    return parsed.minor;
  }

  const toAccount = (r: AccountRecord): Account => {
    const c = currency(r.currency);
    return {
      id: r.id,
      currency: r.currency,
      kind: r.kind as Account['kind'],
      isDefault: r.isDefault,
      status: r.status,
      balance: formatAmount(r.balance, c),
      held: formatAmount(r.held, c),
      available: formatAmount(r.balance - r.held, c),
      createdAt: iso(r.createdAt),
    };
  };

  const toTransaction = (p: PostingWithEntry): Transaction => {
    const c = currency(p.currency);
    return {
      id: p.id,
      entryId: p.entryId,
      accountId: p.accountId,
      kind: p.kind,
      amount: formatAmount(p.amount, c),
      currency: p.currency,
      balanceAfter: formatAmount(p.balanceAfter, c),
      reference: p.reference,
      metadata: p.metadata,
      reversesEntryId: p.reversesEntryId,
      createdAt: iso(p.createdAt),
    };
  };

  const toHold = (h: HoldRecord, code: string): Hold => {
    const c = currency(code);
    return {
      id: h.id,
      accountId: h.accountId,
      amount: formatAmount(h.amount, c),
      currency: code,
      status: h.status,
      reference: h.reference,
      expiresAt: h.expiresAt ? iso(h.expiresAt) : null,
      createdAt: iso(h.createdAt),
      resolvedAt: h.resolvedAt ? iso(h.resolvedAt) : null,
      capturedAmount: h.capturedAmount === null ? null : formatAmount(h.capturedAmount, c),
    };
  };

  async function ownAccount(tx: Repositories, userId: string, accountId?: string): Promise<AccountRecord> {
    if (accountId === undefined) {
      const found = await tx.accounts.findDefault(userId);
      if (!found) throw new TradeplaneError('not_found', 'You have no default account; open one first');
      return found;
    }
    const found = await tx.accounts.findById(accountId);
    if (!found || found.userId !== userId) throw new TradeplaneError('not_found', 'No such account');
    return found;
  }

  function sameCurrency(account: AccountRecord, code: string): void {
    if (account.currency !== code) {
      throw new TradeplaneError('currency_mismatch', `The account holds ${account.currency}, not ${code}`, {
        fields: [{ in: 'body', path: 'currency', code: 'currency_mismatch', message: `must be ${account.currency}, the account's currency` }],
      });
    }
  }

  const accountAfter = (account: AccountRecord, state: { balance: bigint; held: bigint }) => toAccount({ ...account, ...state });

  const cashMovement = (kind: CashMovement['kind'], userId: string, account: AccountRecord, entryId: string, amount: string): CashMovement => ({
    kind,
    userId,
    accountId: account.id,
    entryId,
    amount: amount.startsWith('-') ? amount.slice(1) : amount,
    currency: account.currency,
  });
  const renderMovement = (stored: Movement, balances: MovementBalances): Movement => {
    const state = balances[stored.account.id];
    if (!state) return stored;
    const c = currency(stored.account.currency);
    const [balance, held] = [BigInt(state.balance), BigInt(state.held)];
    const amounts = { balance: formatAmount(balance, c), held: formatAmount(held, c), available: formatAmount(balance - held, c) };
    return { transaction: { ...stored.transaction, balanceAfter: amounts.balance }, account: { ...stored.account, ...amounts } };
  };
  const withBalance = (notice: NotificationInput, balance: string): NotificationInput => ({ ...notice, data: { ...notice.data, balance } });

  return {
    deps,
    storage,
    clock,
    ids,
    options,
    currencies,
    idempotency,
    currency,
    amountOf,
    demoBalance,
    toAccount,
    toTransaction,
    toHold,
    accountAfter,
    ownAccount,
    sameCurrency,
    cashMovement,
    renderMovement,
    withBalance,
  };
}
