import { randomUUID } from 'node:crypto';
import { keysetPage } from '../pagination.js';
import { TradeplaneError } from '../errors.js';
import type { Clock, Ids, Logger, Observer } from '../ports/index.js';
import type {
  AccountRecord,
  AccountState,
  EntryKind,
  HoldRecord,
  JournalEntryRecord,
  LedgerCheck,
  MovementLine,
  PostingRecord,
  PostingWithEntry,
  Repositories,
  Storage,
  SystemAccountCode,
  TextTemplate,
  UserRecord,
} from '../ports/storage.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { createCurrencyRegistry, type Currency, type CurrencyRegistry } from '../money/currency.js';
import { formatAmount, parseAmount } from '../money/amount.js';
import { createIdempotency, WithWrites, type IdempotentRequest } from '../idempotency/idempotency.js';
import type { WalletOptions } from './options.js';
import type { NotificationInput, NotificationService } from '../notifications/service.js';
import { createFunding, type DepositConfirmation, type FundingService, type WithdrawalRequested } from './funding.js';

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
   * From a demo account, at once. From a real account, a pending withdrawal that holds the amount
   * until an operator or a funding source completes it (`funding`); rejected, failed or
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

/** A deposit or withdrawal as the movement hook sees it (amount in the account's currency). */
export interface CashMovement {
  kind: 'deposit' | 'withdrawal';
  userId: string;
  accountId: string;
  entryId: string;
  amount: string;
  currency: string;
  balance: string;
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
   * writes it.
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
}

interface Line {
  account: AccountRecord;
  amount: bigint;
  heldDelta?: bigint;
}

interface EntryInput {
  id?: string;
  kind: EntryKind;
  reference?: string | null;
  metadata?: Record<string, unknown> | null;
  actorId: string | null;
  reversesEntryId?: string | null;
}

interface Posted {
  entryId: string;
  transactions: Transaction[];
  after: Map<string, { balance: bigint; held: bigint }>;
}

/**
 * Waits for every promise to settle, then throws the first failure in array order (on
 * PostgreSQL the statement that failed first, the later ones failing only because the
 * transaction aborted), or returns the values. Never returns while a statement of the
 * transaction is still running.
 */
async function settled<T extends readonly unknown[]>(promises: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

const iso = (d: Date) => d.toISOString();

/**
 * The system account on the other side of a movement of this account. Demo money comes from and
 * returns to the demo faucet whatever it pays for (fees, corrections, captures), and demo trades
 * settle against `demo_settlement` — so no system account real money moves through ever holds
 * demo money, and no demo result, however large, can use up the faucet's range that funds new
 * demo accounts.
 */
export function systemFor(account: Pick<AccountRecord, 'kind'>, real: SystemAccountCode): SystemAccountCode {
  if (account.kind !== 'demo') return real;
  return real === 'settlement' ? 'demo_settlement' : 'demo_faucet';
}

export function createWalletService(deps: WalletServiceDeps): WalletService {
  const { storage, clock, ids, audit, options } = deps;
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

  /** The demo starting balance for a currency, checked against its decimals. */
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

  /** The user's account (the default one when `accountId` is absent); other users' accounts are 404. */
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

  /**
   * System account ids known to be committed (they are never deleted), so the common path skips
   * the insert. One a transaction creates is not remembered: it could still roll back. With
   * `outsideTransaction` (`repos` is `storage.repos`) a created account is committed at once.
   */
  const knownSystem = new Map<string, string>();
  async function systemAccount(repos: Repositories, code: SystemAccountCode, currencyCode: string, outsideTransaction = false): Promise<AccountRecord> {
    const key = `${code}:${currencyCode}`;
    let id = knownSystem.get(key);
    if (id === undefined) {
      const ensured = await repos.accounts.ensureSystem(code, currencyCode, clock.now());
      id = ensured.id;
      if (ensured.existed || outsideTransaction) knownSystem.set(key, id);
    }
    // Only id, kind and currency are read from it: balances come back from applyDelta.
    return { id, userId: null, currency: currencyCode, kind: 'system', systemCode: code, isDefault: false, status: 'active', balance: 0n, held: 0n, createdAt: clock.now() };
  }

  /** Expires one account's due holds and frees their funds (inside the caller's transaction). */
  async function sweepExpired(tx: Repositories, accountId: string, now: Date): Promise<{ expired: number; freed: bigint }> {
    let expired = 0;
    let freed = 0n;
    for (const hold of await tx.holds.listExpired(now, accountId)) {
      if (await tx.holds.resolve(hold.id, { status: 'expired', at: now })) {
        expired += 1;
        freed += hold.amount;
      }
    }
    if (freed > 0n) await tx.accounts.applyDelta(accountId, 0n, -freed);
    return { expired, freed };
  }

  /** A debit of a user account: `apply` may free its expired holds and retry it. */
  const mayRetry = (line: Line) => line.account.kind !== 'system' && line.amount - (line.heldDelta ?? 0n) < 0n;

  /**
   * Applies one line: a conditional update that refuses to overdraw. A refused debit first frees
   * the account's expired holds and tries once more.
   */
  async function apply(tx: Repositories, line: Line, now: Date): Promise<{ balance: bigint; held: bigint }> {
    const heldDelta = line.heldDelta ?? 0n;
    let result = await tx.accounts.applyDelta(line.account.id, line.amount, heldDelta);
    const reducesAvailable = line.amount - heldDelta < 0n;
    if (!result && mayRetry(line) && (await sweepExpired(tx, line.account.id, now)).freed > 0n) {
      result = await tx.accounts.applyDelta(line.account.id, line.amount, heldDelta);
    }
    if (!result) {
      if (reducesAvailable) throw new TradeplaneError('insufficient_funds', 'The available balance does not cover this amount');
      throw new TradeplaneError('validation_failed', 'The resulting balance would exceed the largest amount an account can hold', {
        fields: [{ in: 'body', path: 'amount', code: 'too_large', message: 'would take the balance past 2^63 − 1 minor units' }],
      });
    }
    return result;
  }

  /**
   * Posts one journal entry and waits for all of it. Returns the postings as transactions, in the
   * order of `lines`.
   */
  async function post(tx: Repositories, entry: EntryInput, lines: Line[]): Promise<Posted> {
    const result = await postPending(tx, entry, lines);
    await result.written;
    return result;
  }

  /**
   * Posts one journal entry, leaving its append in flight (`written`), so that a caller with a
   * last write of its own (the idempotency key) issues both together: on PostgreSQL they share a
   * round trip. Lines are applied in ascending account id order (the lock order that rules out
   * deadlocks); consecutive lines are sent without waiting for each other's answers, except after
   * a debit that may be refused and retried (see `apply`): that retry locks its account again, so
   * no line with a higher id may be locked before it has settled.
   */
  async function postPending(tx: Repositories, entry: EntryInput, lines: Line[]): Promise<Posted & { written: Promise<void> }> {
    if (lines.length < 2) throw new Error('A journal entry needs at least two postings');
    const sums = new Map<string, bigint>();
    for (const line of lines) sums.set(line.account.currency, (sums.get(line.account.currency) ?? 0n) + line.amount);
    for (const [code, sum] of sums) if (sum !== 0n) throw new Error(`Unbalanced entry: ${code} postings sum to ${sum}`);

    const now = clock.now();
    const after = new Map<string, { balance: bigint; held: bigint }>();
    let inFlight: Promise<void>[] = [];
    for (const line of [...lines].sort((x, y) => (x.account.id < y.account.id ? -1 : x.account.id > y.account.id ? 1 : 0))) {
      inFlight.push(apply(tx, line, now).then((state) => void after.set(line.account.id, state)));
      if (mayRetry(line)) {
        await settled(inFlight);
        inFlight = [];
      }
    }
    await settled(inFlight);
    const record = {
      id: entry.id ?? ids.next(),
      kind: entry.kind,
      reference: entry.reference ?? null,
      metadata: entry.metadata ?? null,
      reversesEntryId: entry.reversesEntryId ?? null,
      actorId: entry.actorId,
      createdAt: now,
    };
    const postings = lines.map((line) => ({ id: ids.next(), entryId: record.id, accountId: line.account.id, currency: line.account.currency, amount: line.amount, createdAt: now }));
    const written = tx.journal.insert(record, postings);
    const observe = deps.observer?.ledgerEntry;
    if (observe && deps.afterCommit) deps.afterCommit(tx, () => observe(record.kind));
    const announce = deps.onBalancesCommitted;
    if (announce && deps.afterCommit) {
      const changes = balanceChanges(record, lines, (line) => after.get(line.account.id));
      if (changes.length > 0) deps.afterCommit(tx, () => announce(changes));
    }
    // Awaited by the caller; this only keeps a failure from counting as unhandled meanwhile.
    written.catch(() => undefined);
    const transactions = postings.map((p) =>
      toTransaction({ ...p, ...record, id: p.id, createdAt: now, balanceAfter: after.get(p.accountId)!.balance }),
    );
    return { entryId: record.id, transactions, after, written };
  }

  const accountAfter = (account: AccountRecord, state: { balance: bigint; held: bigint }) => toAccount({ ...account, ...state });

  /** The user accounts an entry changed, with their balances after it (for the real-time stream). */
  function balanceChanges(entry: { id: string; kind: EntryKind }, lines: Line[], stateOf: (line: Line) => AccountState | undefined): BalanceChange[] {
    const changes: BalanceChange[] = [];
    for (const line of lines) {
      const state = stateOf(line);
      if (line.account.userId === null || !state) continue;
      const c = currency(line.account.currency);
      changes.push({ userId: line.account.userId, accountId: line.account.id, currency: c.code, balance: formatAmount(state.balance, c), available: formatAmount(state.balance - state.held, c), entryId: entry.id, kind: entry.kind });
    }
    return changes;
  }

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

  const cashMovement = (kind: CashMovement['kind'], userId: string, account: AccountRecord, entryId: string, amount: string, balance: string): CashMovement => ({
    kind,
    userId,
    accountId: account.id,
    entryId,
    amount: amount.startsWith('-') ? amount.slice(1) : amount,
    currency: account.currency,
    balance,
  });

  /**
   * What a movement answers: the first line's posting and that account after it. `amounts` are
   * the results as text: formatted values, or the holes of a template (see `postWhole`).
   */
  function movementView(entry: JournalEntryRecord, posting: PostingRecord, account: AccountRecord, amounts: { balance: string; held: string; available: string }): Movement {
    const transaction = { ...toTransaction({ ...posting, ...entry, id: posting.id, createdAt: posting.createdAt, balanceAfter: 0n }), balanceAfter: amounts.balance };
    return { transaction, account: { ...toAccount(account), ...amounts } };
  }

  /**
   * Marks a hole in text built before a movement posted by `postMovement` runs: random per process, so no
   * text a caller supplies (a reference, metadata) can contain one by accident or on purpose.
   */
  const holeMark = `\u27ea${randomUUID()}:`;
  const HOLE_VALUES = ['balance', 'held', 'available'] as const;
  /** Hole `3 × line + value`: `0`–`2` the first line's balance, held, available; `3`–`5` the second's. */
  const holeOf = (line: 0 | 1, value: (typeof HOLE_VALUES)[number]) => `${holeMark}${line * 3 + HOLE_VALUES.indexOf(value)}\u27eb`;
  const holesOf = (line: 0 | 1) => ({ balance: holeOf(line, 'balance'), held: holeOf(line, 'held'), available: holeOf(line, 'available') });
  const holePattern = new RegExp(`${holeMark}(\\d)\u27eb`, 'g');
  function template(text: string): TextTemplate {
    const parts: string[] = [];
    const holes: TextTemplate['holes'] = [];
    let from = 0;
    for (const match of text.matchAll(holePattern)) {
      parts.push(text.slice(from, match.index));
      const n = Number(match[1]);
      holes.push({ line: n < 3 ? 0 : 1, value: HOLE_VALUES[n % 3]! });
      from = match.index + match[0].length;
    }
    parts.push(text.slice(from));
    return { parts, holes };
  }

  const statementLine = ({ account, amount }: Line): MovementLine => ({
    accountId: account.id,
    delta: amount,
    ...(account.kind === 'system' ? {} : { expected: { userId: account.userId, currency: account.currency, kind: account.kind, status: account.status, isDefault: account.isDefault } }),
  });

  /**
   * User accounts as movements posted by `postMovement` last read them, by id and as `default:<user id>`,
   * so that a movement is one round trip, not two. Never trusted: the statement re-checks every
   * fact of the account it relies on (`expected`: owner, currency, kind, status, default flag),
   * so a stale record gets the movement refused — it then takes the general path, which reads
   * afresh — and forgotten. Bounded: cleared when full.
   */
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

  /**
   * The happy path of a two-line movement, posted whole (`Storage.postMovement`): the caller
   * has made the checks the general path makes before writing; everything else — the entry, its
   * postings, the stored outcome, the notification — is built here, with holes where the
   * resulting balances go. Resolves to `undefined` when the storage refused it (wrote nothing):
   * the caller then runs the general path, which refuses, replays or retries properly.
   * `lines[0]` is the caller's account: the movement reports it.
   */
  async function postWhole(request: IdempotentRequest, input: EntryInput, lines: [Line, Line], cash?: CashMovement['kind']): Promise<Movement | undefined> {
    const key = idempotency.record(request);
    const now = clock.now();
    const c = currency(lines[0].account.currency);
    const entry: JournalEntryRecord = { id: ids.next(), kind: input.kind, reference: input.reference ?? null, metadata: input.metadata ?? null, reversesEntryId: null, actorId: input.actorId, createdAt: now };
    const postings = lines.map((line) => ({ id: ids.next(), entryId: entry.id, accountId: line.account.id, currency: line.account.currency, amount: line.amount, balanceAfter: 0n, createdAt: now })) as [PostingRecord, PostingRecord];
    // The statement applies the lines in lock order (ascending account id), and numbers its results so.
    const first: 0 | 1 = lines[0].account.id < lines[1].account.id ? 0 : 1;
    const slot = (i: 0 | 1): 0 | 1 => (i === first ? 0 : 1);
    const user = lines[0].account;
    const answer = movementView(entry, postings[0], user, holesOf(slot(0)));
    const notifications = cash ? deps.cashNotifications : undefined;
    const notice = (balance: string) => notifications!.notice(cashMovement(cash!, user.userId!, user, entry.id, answer.transaction.amount, balance));
    const draft = notifications?.notifications.draft(user.userId!, notice(answer.account.balance));
    if (draft && (draft.title.includes(holeMark) || draft.body?.includes(holeMark))) throw new Error('A cash notification may show the balance in its data only');

    const ordered = first === 0 ? lines : ([lines[1], lines[0]] as const);
    const states = await storage.postMovement!({
      lines: [statementLine(ordered[0]), statementLine(ordered[1])],
      minorUnit: c.exponent === 0 ? '1' : `0.${'0'.repeat(c.exponent - 1)}1`,
      entry,
      postings,
      key: { ...key, outcome: template(JSON.stringify({ ok: true, value: answer })) },
      ...(draft ? { notification: { ...draft, data: template(JSON.stringify(draft.data)) } } : {}),
    });
    if (!states) {
      // Perhaps refused because a remembered account changed: the next movement reads it again.
      forgetAccounts(lines);
      return undefined;
    }

    // Committed: what the general path does after its commit.
    const after = (i: 0 | 1) => states[slot(i)];
    const { balance, held, available } = accountAfter(user, after(0));
    const movement = movementView(entry, postings[0], user, { balance, held, available });
    try {
      deps.observer?.ledgerEntry?.(entry.kind);
      const changes = balanceChanges(entry, lines, (line) => after(line === lines[0] ? 0 : 1));
      if (changes.length > 0) deps.onBalancesCommitted?.(changes);
      if (draft) notifications!.notifications.committed({ ...draft, data: notice(movement.account.balance).data ?? null });
    } catch (error) {
      // As after any commit (see withCommitHooks): a failing announcement must not turn the movement's success into an error.
      deps.logger.warn({ event: 'wallets.after_commit_failed', entryId: entry.id, error: error instanceof Error ? error.message : String(error) }, 'Work after a committed movement failed');
    }
    return movement;
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
        const notice = cash.notice(cashMovement(operation.kind, owner, account, result.entryId, movement.transaction.amount, movement.account.balance));
        const notified = cash.notifications.notifyIn(tx, owner, notice);
        // Sent together with the entry's own writes; settled() waits for both before any failure counts.
        return new WithWrites(movement, settled([result.written, notified]));
      },
    );
  }

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

  const demoOnly = (account: AccountRecord) => {
    if (account.kind !== 'demo') {
      throw new TradeplaneError('funding_provider_required', 'Real money enters a real account only through a funding provider or an operator credit, not on request');
    }
  };
  const realOnly = (account: AccountRecord) => {
    if (account.kind !== 'real') throw new TradeplaneError('transfer_not_allowed', 'Only real accounts take real money: demo money comes from the demo faucet');
  };

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

  /** Demo money comes from and returns to the faucet; real money from and to the outside world. */
  const cashSide = (account: AccountRecord): SystemAccountCode => systemFor(account, 'external');

  const within: LedgerSteps = {
    ownAccount,
    async payeeAccount(tx, userId, code, kind) {
      const accounts = (await tx.accounts.listForUser(userId)).filter((a) => a.currency === code && a.kind === kind && a.status === 'active');
      const found = accounts.find((a) => a.isDefault) ?? accounts.sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1))[0];
      if (found) return found;
      await tx.accounts.lockOwner(userId);
      // Opened at zero even when it is a demo account: it receives money, it is not a new player.
      const account: AccountRecord = { id: ids.next(), userId, currency: code, kind, systemCode: null, isDefault: false, status: 'active', balance: 0n, held: 0n, createdAt: clock.now() };
      await tx.accounts.insert(account);
      return account;
    },
    async distribute(tx, { entryId, kind, from, shares, reference, metadata }) {
      const total = shares.reduce((sum, share) => sum + share.amount, 0n);
      const lines: Line[] = [{ account: from, amount: -total }];
      for (const share of shares) {
        if (share.amount === 0n) continue;
        const account = typeof share.to === 'string' ? await systemAccount(tx, share.to, from.currency) : share.to;
        if (account.kind !== 'system' && (account.currency !== from.currency || account.kind !== from.kind)) throw new Error('A share must go to an account of the same currency and kind');
        // Two shares to one account (a master who is also the affiliate) become one posting.
        const same = lines.find((l) => l.account.id === account.id);
        if (same) same.amount += share.amount;
        else lines.push({ account, amount: share.amount });
      }
      if (total === 0n) return;
      await post(tx, { id: entryId, kind, reference, metadata: metadata ?? null, actorId: null }, lines);
    },
    async reserve(tx, account, amount, { reference, expiresAt = null }) {
      const now = clock.now();
      await apply(tx, { account, amount: 0n, heldDelta: amount }, now);
      const record: HoldRecord = {
        id: ids.next(),
        accountId: account.id,
        amount,
        status: 'pending',
        reference,
        expiresAt,
        createdAt: now,
        resolvedAt: null,
        capturedAmount: null,
        entryId: null,
      };
      await tx.holds.insert(record);
      return record;
    },
    async release(tx, holdId, detail = 'The stake is no longer reserved') {
      const resolved = await tx.holds.resolve(holdId, { status: 'released', at: clock.now() });
      if (!resolved) throw new TradeplaneError('hold_not_pending', detail);
      await tx.accounts.applyDelta(resolved.accountId, 0n, -resolved.amount);
      return resolved;
    },
    async settle(tx, { holdId, pnl, entryId, reference, metadata }) {
      if (pnl === 0n) {
        await within.release(tx, holdId);
        return;
      }
      const hold = await tx.holds.findById(holdId);
      if (!hold) throw new TradeplaneError('not_found', 'No such hold');
      if (-pnl > hold.amount) throw new Error(`A settlement cannot take more than the held ${hold.amount}, asked ${-pnl}`);
      const resolved = await tx.holds.resolve(hold.id, { status: 'captured', at: clock.now(), capturedAmount: pnl < 0n ? -pnl : 0n, entryId });
      if (!resolved) throw new TradeplaneError('hold_not_pending', 'The stake is no longer reserved');
      const account = (await tx.accounts.findById(hold.accountId))!;
      const settlement = await systemAccount(tx, systemFor(account, 'settlement'), account.currency);
      await post(tx, { id: entryId, kind: 'trade_settlement', reference, metadata, actorId: account.userId }, [
        { account, amount: pnl, heldDelta: -hold.amount },
        { account: settlement, amount: -pnl },
      ]);
    },
    async fundFromOutside(tx, { account, amount, entryId, reference, metadata, actorId }) {
      const external = await systemAccount(tx, 'external', account.currency);
      const result = await post(tx, { id: entryId, kind: 'deposit', reference, metadata, actorId }, [
        { account, amount },
        { account: external, amount: -amount },
      ]);
      await tellHolder(tx, 'deposit', account, result);
    },
    async payOut(tx, { holdId, entryId, reference, metadata, actorId }) {
      const hold = await tx.holds.findById(holdId);
      if (!hold) throw new TradeplaneError('not_found', 'No such hold');
      const resolved = await tx.holds.resolve(hold.id, { status: 'captured', at: clock.now(), capturedAmount: hold.amount, entryId });
      if (!resolved) throw new TradeplaneError('hold_not_pending', 'The withdrawal no longer holds its amount');
      const account = (await tx.accounts.findById(hold.accountId))!;
      const external = await systemAccount(tx, 'external', account.currency);
      const result = await post(tx, { id: entryId, kind: 'withdrawal', reference, metadata, actorId }, [
        { account, amount: -hold.amount, heldDelta: -hold.amount },
        { account: external, amount: hold.amount },
      ]);
      await tellHolder(tx, 'withdrawal', account, result);
    },
  };

  /** The deposit or withdrawal notice, in the movement's transaction (real money that an operator or a source moved). */
  async function tellHolder(tx: Repositories, kind: CashMovement['kind'], account: AccountRecord, result: Posted): Promise<void> {
    const cash = deps.cashNotifications;
    if (!cash || account.userId === null) return;
    const after = accountAfter(account, result.after.get(account.id)!);
    const amount = result.transactions.find((t) => t.accountId === account.id)!.amount;
    await cash.notifications.notifyIn(tx, account.userId, cash.notice(cashMovement(kind, account.userId, account, result.entryId, amount, after.balance)));
  }

  const funding = createFunding({ storage, clock, ids, audit, options, idempotency, within, currency, amountOf, toAccount, sameCurrency, realOnly, creditFromSource });

  const service: WalletService = {
    currencies,
    within,
    funding: funding.service,

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
      });
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

    async hold(userId, input) {
      const amount = amountOf(input.amount, input.currency);
      const { hold, code } = await storage.transaction(async (tx) => {
        const account = await ownAccount(tx, userId, input.accountId);
        sameCurrency(account, input.currency);
        return { hold: await within.reserve(tx, account, amount, { reference: input.reference ?? null, expiresAt: input.expiresAt ?? null }), code: account.currency };
      });
      return toHold(hold, code);
    },

    async captureHold(holdId, input = {}) {
      const outcome = await storage.transaction(async (tx) => {
        const hold = await tx.holds.findById(holdId);
        if (!hold) throw new TradeplaneError('not_found', 'No such hold');
        const account = (await tx.accounts.findById(hold.accountId))!;
        const now = clock.now();
        if (hold.status === 'pending' && hold.expiresAt && hold.expiresAt <= now) {
          // Too late to capture: expire it now (committed), then refuse.
          await sweepExpired(tx, account.id, now);
          return { expired: true as const };
        }
        const captured = input.amount === undefined ? hold.amount : amountOf(input.amount, account.currency);
        if (captured > hold.amount) {
          throw new TradeplaneError('validation_failed', 'A capture cannot exceed the held amount', {
            fields: [{ in: 'body', path: 'amount', code: 'too_large', message: `must be at most ${formatAmount(hold.amount, currency(account.currency))}` }],
          });
        }
        let destination: AccountRecord;
        if (input.to && 'accountId' in input.to) {
          const found = await tx.accounts.findById(input.to.accountId);
          if (!found) throw new TradeplaneError('not_found', 'No such destination account');
          if (found.currency !== account.currency) throw new TradeplaneError('currency_mismatch', `The destination holds ${found.currency}, not ${account.currency}`);
          if (found.kind !== account.kind) throw new TradeplaneError('transfer_not_allowed', 'Money cannot move between demo and real accounts');
          destination = found;
        } else {
          destination = await systemAccount(tx, systemFor(account, input.to?.system ?? 'settlement'), account.currency);
        }
        const entryId = ids.next();
        const resolved = await tx.holds.resolve(hold.id, { status: 'captured', at: now, capturedAmount: captured, entryId });
        if (!resolved) throw new TradeplaneError('hold_not_pending', `The hold is already ${hold.status}`);
        const lines: Line[] = [
          { account, amount: -captured, heldDelta: -hold.amount },
          { account: destination, amount: captured },
        ];
        const result = await post(tx, { id: entryId, kind: input.kind ?? 'trade_settlement', reference: input.reference ?? hold.reference, metadata: input.metadata, actorId: account.userId }, lines);
        return {
          expired: false as const,
          hold: toHold(resolved, account.currency),
          movement: { transaction: result.transactions[0]!, account: accountAfter(account, result.after.get(account.id)!) },
        };
      });
      if (outcome.expired) throw new TradeplaneError('hold_not_pending', 'The hold has expired');
      return { hold: outcome.hold, movement: outcome.movement };
    },

    async releaseHold(holdId) {
      return storage.transaction(async (tx) => {
        const hold = await tx.holds.findById(holdId);
        if (!hold) throw new TradeplaneError('not_found', 'No such hold');
        const resolved = await within.release(tx, hold.id, `The hold is already ${hold.status}`);
        const account = (await tx.accounts.findById(hold.accountId))!;
        return toHold(resolved, account.currency);
      });
    },

    async expireHolds(limit = 500) {
      const now = clock.now();
      const due = await storage.repos.holds.listExpired(now, undefined, limit);
      let expired = 0;
      for (const accountId of new Set(due.map((h) => h.accountId))) {
        expired += (await storage.transaction((tx) => sweepExpired(tx, accountId, now))).expired;
      }
      return expired;
    },

    async adjust(actorId, accountId, input, context) {
      const amount = amountOf(input.amount, input.currency);
      const direction = input.direction === 'credit' ? 1n : -1n;
      return idempotency.run(
        { userId: actorId, key: input.idempotencyKey, operation: 'adjust', input: { accountId, direction: input.direction, amount: amount.toString(), currency: input.currency, reason: input.reason } },
        async (tx) => {
          const account = await tx.accounts.findById(accountId);
          if (!account || account.kind === 'system') throw new TradeplaneError('not_found', 'No such account');
          sameCurrency(account, input.currency);
          if (direction > 0n && account.kind === 'real' && funding.service.needsSecondApproval(amount, currency(account.currency))) {
            // A correction is no back door for real money that would need two operators as a credit.
            throw new TradeplaneError('second_approval_required', 'A credit this large to a real account needs a second operator: use POST /admin/accounts/{id}/credit');
          }
          const system = await systemAccount(tx, systemFor(account, 'adjustments'), account.currency);
          const result = await post(tx, { kind: 'adjustment', reference: null, metadata: { reason: input.reason }, actorId }, [
            { account, amount: direction * amount },
            { account: system, amount: -direction * amount },
          ]);
          await audit.recordIn(
            tx,
            { actorId, action: 'ledger.adjusted', targetType: 'account', targetId: account.id, details: { entryId: result.entryId, direction: input.direction, amount: input.amount, currency: input.currency, reason: input.reason } },
            context,
          );
          return { transaction: result.transactions[0]!, account: accountAfter(account, result.after.get(account.id)!) };
        },
      );
    },

    async reverse(actorId, entryId, input, context) {
      return idempotency.run({ userId: actorId, key: input.idempotencyKey, operation: 'reverse', input: { entryId, reason: input.reason } }, async (tx) => {
        const found = await tx.journal.findEntry(entryId);
        if (!found) throw new TradeplaneError('not_found', 'No such journal entry');
        if (await tx.journal.isReversed(entryId)) throw new TradeplaneError('already_reversed', 'This entry has already been reversed');
        const lines: Line[] = [];
        for (const posting of found.postings) {
          const account = (await tx.accounts.findById(posting.accountId))!;
          lines.push({ account, amount: -posting.amount });
        }
        const result = await post(tx, { kind: 'adjustment', reference: found.entry.reference, metadata: { reason: input.reason, reversedKind: found.entry.kind }, actorId, reversesEntryId: entryId }, lines);
        await audit.recordIn(tx, { actorId, action: 'ledger.reversed', targetType: 'journal_entry', targetId: entryId, details: { entryId: result.entryId, reason: input.reason } }, context);
        return { entryId: result.entryId, transactions: result.transactions };
      });
    },

    async verifyLedger() {
      const check = await storage.repos.journal.verify();
      const problems = {
        balanceMismatches: check.balanceMismatches.length,
        heldMismatches: check.heldMismatches.length,
        unbalancedEntries: check.unbalancedEntries.length,
        currencyImbalances: check.currencyImbalances.length,
        negativeAccounts: check.negativeAccounts.length,
      };
      const ok = Object.values(problems).every((n) => n === 0);
      if (!ok) deps.logger.error({ event: 'ledger.verify_failed', ...problems }, 'ledger verification found mismatches');
      return { ok, ...check };
    },

    async openInitialAccount(tx, user) {
      await openAccountIn(tx, user.id, options.demo ? 'demo' : 'real', options.defaultCurrency, true);
    },
  };

  return service;
}
