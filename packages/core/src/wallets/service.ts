import type { Clock, Ids, Logger, Observer } from '../ports/index.js';
import type {
  AccountRecord,
  EntryKind,
  HoldRecord,
  LedgerCheck,
  Repositories,
  Storage,
  SystemAccountCode,
  UserRecord,
} from '../ports/index.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import type { CurrencyRegistry } from '../money/currency.js';
import type { WalletOptions } from './options.js';
import type { NotificationInput, NotificationService } from '../notifications/service.js';
import type { PayoutProvider } from '../payments/provider.js';
import { createFunding, type FundingService, type WithdrawalRequested } from './funding.js';
import { createWalletContext } from './context.js';
import { createJournal } from './journal.js';
import { createAccountCache } from './account-cache.js';
import { createFastPath } from './fast-path.js';
import { createLedgerSteps } from './ledger-steps.js';
import { createAccounts } from './accounts.js';
import { createCashPath, createMovements, realOnly } from './movements.js';
import { createHolds } from './holds.js';
import { createCorrections } from './corrections.js';

export { systemFor } from './journal.js';

/** An account as callers see it: amounts are decimal strings in the account's currency. */
export interface Account {
  id: string;
  currency: string;
  kind: 'demo' | 'real';
  isDefault: boolean;
  status: 'active' | 'frozen';
  balance: string;
  /** Reserved by pending holds. */
  held: string;
  /** balance − held: what withdrawals, transfers and new holds may use. */
  available: string;
  createdAt: string;
}

/** One posting on one account: a line of transaction history. */
export interface Transaction {
  /** The posting id (history pages by it). */
  id: string;
  entryId: string;
  accountId: string;
  kind: EntryKind;
  /** Signed: `"-25.00"` left the account. */
  amount: string;
  currency: string;
  balanceAfter: string;
  reference: string | null;
  metadata: Record<string, unknown> | null;
  /** Set on a reversal: the entry it cancels. */
  reversesEntryId: string | null;
  createdAt: string;
}

/** The result of a deposit, withdrawal, transfer, fee or adjustment: the caller's posting and account after it. */
export interface Movement {
  transaction: Transaction;
  account: Account;
}

export interface Hold {
  id: string;
  accountId: string;
  amount: string;
  currency: string;
  status: HoldRecord['status'];
  reference: string | null;
  expiresAt: string | null;
  createdAt: string;
  resolvedAt: string | null;
  capturedAmount: string | null;
}

export interface BalanceTotal {
  currency: string;
  kind: 'demo' | 'real';
  balance: string;
  held: string;
  available: string;
  accounts: number;
}

/** `verifyLedger()`'s report with `ok` on top; amounts are minor units. */
export interface LedgerReport extends LedgerCheck {
  ok: boolean;
}

export interface MoneyInput {
  /** Decimal string in the currency: `"100.50"`. */
  amount: string;
  currency: string;
  /** Defaults to the user's default account. */
  accountId?: string;
  reference?: string;
  metadata?: Record<string, unknown>;
  /** Required: retries with the same key return the first outcome (see `createIdempotency`). */
  idempotencyKey: string;
}

export interface TransferInput {
  /** Defaults to the user's default account. */
  fromAccountId?: string;
  toAccountId: string;
  amount: string;
  currency: string;
  reference?: string;
  metadata?: Record<string, unknown>;
  idempotencyKey: string;
}

export interface TransactionFilter {
  accountId?: string;
  kind?: EntryKind;
  from?: Date;
  /** Exclusive. */
  to?: Date;
  cursor?: string;
  limit?: number;
}

export interface HoldInput {
  accountId?: string;
  amount: string;
  currency: string;
  reference?: string;
  /** After this the hold no longer reserves funds (once swept) and cannot be captured. */
  expiresAt?: Date;
}

export interface CaptureInput {
  /** Partial capture: at most the held amount (default: all of it); the rest is released. */
  amount?: string;
  /** Where the money goes: a system account (default `settlement`) or another account of the same currency. */
  to?: { system: SystemAccountCode } | { accountId: string };
  kind?: EntryKind;
  reference?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Wallets: a double-entry ledger. Every movement is one journal entry whose postings sum to
 * zero per currency, written in one transaction with the balance updates it causes. Balances
 * change only through a conditional UPDATE (`balance + delta >= held`), so concurrent
 * withdrawals cannot overdraw, and updates run in ascending account id order, so concurrent
 * transfers cannot deadlock; a CHECK constraint backs both up. Entries are never updated:
 * a correction is a reversing entry.
 *
 * Money in and out of the service is decimal strings; inside it is `bigint` minor units.
 */
export interface WalletService {
  readonly currencies: CurrencyRegistry;
  listAccounts(userId: string): Promise<Account[]>;
  getAccount(userId: string, accountId: string): Promise<Account>;
  /** The default account (what `GET /wallet` shows). */
  defaultAccount(userId: string): Promise<Account>;
  /** Opens a real account at zero. */
  openAccount(userId: string, input: { currency: string }): Promise<Account>;
  /** Opens a demo account funded with the configured demo balance. */
  openDemoAccount(userId: string, input?: { currency?: string }): Promise<Account>;
  setDefault(userId: string, accountId: string): Promise<Account>;
  /**
   * Tops a demo account up from the demo faucet, within the demo caps (`demo_limit_reached`).
   * A real account is refused with `funding_provider_required`: real money enters only through
   * `funding` (a source's confirmation or an audited operator credit).
   */
  deposit(userId: string, input: MoneyInput): Promise<Movement>;
  /**
   * From a demo account, at once. From a real account, a pending withdrawal, paid out by hand,
   * that holds the amount until it is approved and paid (`funding`); rejected, failed or
   * cancelled, the hold is released.
   */
  withdraw(userId: string, input: MoneyInput): Promise<Movement | WithdrawalRequested>;
  /** Real money in and out: withdrawals, operator credits, and the port funding sources drive. */
  readonly funding: FundingService;
  transfer(userId: string, input: TransferInput): Promise<Movement>;
  /** Charges a fee (kind `fee`, or `commission`) from the user's account to the `fees` system account. */
  chargeFee(userId: string, input: MoneyInput & { kind?: 'fee' | 'commission' }): Promise<Movement>;
  transactions(userId: string, filter?: TransactionFilter): Promise<{ transactions: Transaction[]; nextCursor: string | null }>;
  /** Totals per currency and kind across the user's accounts. */
  totals(userId: string): Promise<BalanceTotal[]>;
  /** Reserves funds (available = balance − held). */
  hold(userId: string, input: HoldInput): Promise<Hold>;
  captureHold(holdId: string, input?: CaptureInput): Promise<{ hold: Hold; movement: Movement }>;
  releaseHold(holdId: string): Promise<Hold>;
  /** Expires pending holds whose time has passed, freeing their funds; returns how many. */
  expireHolds(limit?: number): Promise<number>;
  /** Admin correction against the `adjustments` system account; `reason` is required and audited. */
  adjust(
    actorId: string,
    accountId: string,
    input: { direction: 'credit' | 'debit'; amount: string; currency: string; reason: string; idempotencyKey: string },
    context?: RequestContext,
  ): Promise<Movement>;
  /** Cancels an entry with a new entry of opposite postings (once per entry); audited. */
  reverse(actorId: string, entryId: string, input: { reason: string; idempotencyKey: string }, context?: RequestContext): Promise<{ entryId: string; transactions: Transaction[] }>;
  /** Recomputes every balance from postings and reports any mismatch. */
  verifyLedger(): Promise<LedgerReport>;
  /** Called by sign-up inside its transaction: opens the user's default account. */
  openInitialAccount(tx: Repositories, user: UserRecord): Promise<void>;
  /**
   * The ledger steps other services compose into their own transaction (trading reserves a
   * stake when it places an order and settles it when the trade closes): same rules, no
   * transaction of their own.
   */
  readonly within: LedgerSteps;
}

/** Ledger operations that run inside the caller's transaction. Amounts are minor units. */
export interface LedgerSteps {
  /** The user's account (their default one without `accountId`); other users' accounts are `not_found`. */
  ownAccount(tx: Repositories, userId: string, accountId?: string): Promise<AccountRecord>;
  /** Reserves `amount` of the account's available balance (`insufficient_funds` if it is not there). */
  reserve(tx: Repositories, account: AccountRecord, amount: bigint, hold: { reference: string | null; expiresAt?: Date | null }): Promise<HoldRecord>;
  /** Releases a pending hold in full; `hold_not_pending` (with `detail`) if it was no longer pending. */
  release(tx: Repositories, holdId: string, detail?: string): Promise<HoldRecord>;
  /**
   * Resolves a pending hold with a signed result: the account gains `pnl` (a loss takes at most
   * the held amount) against the `settlement` system account, in one `trade_settlement` entry
   * with id `entryId`, and the hold stops reserving. A zero result only releases the hold.
   */
  settle(tx: Repositories, input: { holdId: string; pnl: bigint; entryId: string; reference: string | null; metadata?: Record<string, unknown> }): Promise<void>;
  /**
   * The account of `userId` to pay money of this currency and kind into: their default account
   * when it matches, else their oldest matching one, else a new one opened at zero.
   */
  payeeAccount(tx: Repositories, userId: string, currency: string, kind: 'demo' | 'real'): Promise<AccountRecord>;
  /**
   * Moves `amount` out of one account into several (user accounts of the same currency and
   * kind, or system accounts) as one entry with id `entryId`. The payer's available balance
   * must cover it (`insufficient_funds`); shares must add up to `amount`.
   */
  distribute(
    tx: Repositories,
    input: { entryId: string; kind: EntryKind; from: AccountRecord; shares: { to: AccountRecord | SystemAccountCode; amount: bigint }[]; reference: string | null; metadata?: Record<string, unknown> },
  ): Promise<void>;
  /** Real money arrived for a real account: `external` → the account, one `deposit` entry with id `entryId`; the holder is told. */
  fundFromOutside(tx: Repositories, input: { account: AccountRecord; amount: bigint; entryId: string; reference: string | null; metadata: Record<string, unknown>; actorId: string | null }): Promise<void>;
  /** A withdrawal paid out: its whole hold leaves for `external` as one `withdrawal` entry with id `entryId`; the holder is told. */
  payOut(tx: Repositories, input: { holdId: string; entryId: string; reference: string | null; metadata: Record<string, unknown>; actorId: string | null }): Promise<void>;
  /**
   * A payment provider took money back from a real account (a refund, a lost chargeback):
   * `amount` leaves for `external` as one entry with id `entryId`. It comes from `holdId`'s hold
   * (captured whole) and then the account's available balance; whatever those cannot cover is
   * booked against the `receivable` system account — the holder owes it — so the account never
   * goes below what it holds. Answers the part the account paid and the shortfall.
   */
  returnToPayer(
    tx: Repositories,
    input: { account: AccountRecord; amount: bigint; holdId: string | null; entryId: string; kind: 'refund' | 'chargeback'; reference: string | null; metadata: Record<string, unknown> },
  ): Promise<{ fromAccount: bigint; shortfall: bigint }>;
  /**
   * Settles money a holder owes (booked against `receivable`): collected from the account's
   * available balance (`insufficient_funds` if it is not there), or written off by the platform
   * from `adjustments`. One `adjustment` entry with id `entryId`.
   */
  settleOwed(
    tx: Repositories,
    input: { account: AccountRecord; amount: bigint; how: 'collect' | 'write_off'; entryId: string; reference: string | null; metadata: Record<string, unknown>; actorId: string | null },
  ): Promise<void>;
}

/** A user account's balance after a committed journal entry (decimal strings). */
export interface BalanceChange {
  userId: string;
  accountId: string;
  currency: string;
  balance: string;
  available: string;
  entryId: string;
  kind: EntryKind;
}

/**
 * A deposit or withdrawal as the notice hook sees it (amount in the account's currency). The
 * notice's data gets `balance` — the account's balance after it — added by the wallet service
 * once it is known (a movement posted whole learns it in its own statement).
 */
export interface CashMovement {
  kind: 'deposit' | 'withdrawal';
  userId: string;
  accountId: string;
  entryId: string;
  amount: string;
  currency: string;
}

export interface WalletServiceDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  audit: AuditLog;
  options: WalletOptions;
  /**
   * Tells the user of each deposit and withdrawal, in the movement's own transaction or
   * statement, the first time only (never on a replay): `notice` says what, `notifications`
   * writes it. Its data gets `balance`, the account's balance after the movement, added last.
   */
  cashNotifications?: {
    notifications: Pick<NotificationService, 'notifyIn' | 'draft' | 'committed'>;
    notice(movement: CashMovement): NotificationInput;
  };
  /** Counts committed journal entries by kind (metrics), via `afterCommit`. */
  observer?: Observer;
  /** Told of every user account an entry changed, with its new balance, after the commit (the real-time stream). */
  onBalancesCommitted?: (changes: BalanceChange[]) => void;
  afterCommit?: (tx: Repositories, fn: () => void) => void;
  /** Payout providers approved withdrawals may be paid through, besides the built-in `manual` one. */
  payouts?: readonly PayoutProvider[];
}

/**
 * Composes the service from its parts, each built on one shared context (`context.ts`): the
 * journal that writes entries (`journal.ts`), the account cache and movement path the fast
 * movements use (`account-cache.ts`, `fast-path.ts`), the ledger steps other services compose
 * (`ledger-steps.ts`), and the method groups — accounts, movements, holds, corrections.
 */
export function createWalletService(deps: WalletServiceDeps): WalletService {
  const ctx = createWalletContext(deps);
  const journal = createJournal(ctx);
  const cache = createAccountCache(ctx);
  const fastPath = createFastPath(ctx, journal, cache);
  const within = createLedgerSteps(ctx, journal);
  const cashPath = createCashPath(ctx, { journal, cache, fastPath });
  const { storage, clock, ids, audit, options } = deps;
  const { idempotency, currency, amountOf, toAccount, sameCurrency } = ctx;
  const funding = createFunding({
    storage,
    clock,
    ids,
    logger: deps.logger,
    payouts: deps.payouts ?? [],
    audit,
    options,
    idempotency,
    within,
    currency,
    amountOf,
    toAccount,
    sameCurrency,
    realOnly,
    creditFromSource: cashPath.creditFromSource,
  });

  const accounts = createAccounts(ctx, journal);
  const movements = createMovements(ctx, { journal, cache, fastPath, cashPath, funding });
  const holds = createHolds(ctx, journal, within);
  const corrections = createCorrections(ctx, journal, funding.service);

  const service: WalletService = {
    currencies: ctx.currencies,
    within,
    funding: funding.service,
    listAccounts: accounts.listAccounts,
    getAccount: accounts.getAccount,
    defaultAccount: accounts.defaultAccount,
    openAccount: accounts.openAccount,
    openDemoAccount: accounts.openDemoAccount,
    setDefault: accounts.setDefault,
    deposit: movements.deposit,
    withdraw: movements.withdraw,
    chargeFee: movements.chargeFee,
    transfer: movements.transfer,
    transactions: accounts.transactions,
    totals: accounts.totals,
    hold: holds.hold,
    captureHold: holds.captureHold,
    releaseHold: holds.releaseHold,
    expireHolds: holds.expireHolds,
    adjust: corrections.adjust,
    reverse: corrections.reverse,
    verifyLedger: corrections.verifyLedger,
    openInitialAccount: accounts.openInitialAccount,
  };

  return service;
}
