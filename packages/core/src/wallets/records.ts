/**
 * Storage records and repositories of the wallets module: the ledger (accounts, journal
 * entries, postings, holds) and its check, withdrawals, operator credits, and the two-posting
 * movement that `Storage.postMovement` commits in one go.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
import type { IdempotencyRecord } from '../idempotency/records.js';
import type { NotificationRecord } from '../notifications/records.js';

/** `demo` and `real` accounts belong to users; `system` accounts are the ledger's other side. */
export type AccountKind = 'demo' | 'real' | 'system';
export type AccountStatus = 'active' | 'frozen';
/**
 * The system accounts, one per currency, that make both sides of every movement explicit:
 * `external` is money outside the platform (deposits come from it, withdrawals go to it),
 * `demo_faucet` funds demo accounts, `fees` collects fees, `commission` pays commissions,
 * `settlement` is the counterparty of trade settlements, `adjustments` of admin corrections.
 * Their balances may go negative: `external` is minus everything deposited.
 */
/**
 * Per-currency system accounts. Demo money moves only through `demo_faucet` (where it comes from
 * and returns to) and `demo_settlement` (the other side of demo trades' results), so no system
 * account real money moves through ever holds demo money.
 */
export type SystemAccountCode = 'external' | 'demo_faucet' | 'demo_settlement' | 'fees' | 'commission' | 'settlement' | 'adjustments' | 'receivable';

export interface AccountRecord {
  id: string;
  /** Null for system accounts. */
  userId: string | null;
  currency: string;
  kind: AccountKind;
  systemCode: SystemAccountCode | null;
  isDefault: boolean;
  status: AccountStatus;
  /** Minor units; the sum of the account's postings (a cache kept in the same transaction). */
  balance: bigint;
  /** Minor units reserved by pending holds; available = balance − held. */
  held: bigint;
  createdAt: Date;
}

export type EntryKind =
  | 'deposit'
  | 'withdrawal'
  | 'transfer'
  | 'fee'
  | 'commission'
  | 'trade_settlement'
  | 'adjustment'
  | 'demo_faucet'
  /** A payment provider returned (part of) a deposit to the payer. */
  | 'refund'
  /** A payment provider took a disputed deposit back. */
  | 'chargeback';

export interface JournalEntryRecord {
  id: string;
  kind: EntryKind;
  /** The caller's reference (an order id, a payment id). */
  reference: string | null;
  metadata: Record<string, unknown> | null;
  /** Set on a reversing entry: the entry it cancels (each entry can be reversed once). */
  reversesEntryId: string | null;
  /** The user who caused the movement (null for the system). */
  actorId: string | null;
  createdAt: Date;
}

export interface PostingRecord {
  id: string;
  entryId: string;
  accountId: string;
  currency: string;
  /** Signed minor units: positive raises the account's balance, negative lowers it. */
  amount: bigint;
  /** The account's balance right after this posting. */
  balanceAfter: bigint;
  createdAt: Date;
}

/** A posting with its entry's facts, as transaction history shows it. */
export interface PostingWithEntry extends PostingRecord {
  kind: EntryKind;
  reference: string | null;
  metadata: Record<string, unknown> | null;
  reversesEntryId: string | null;
}

export interface PostingFilter {
  accountIds: string[];
  kind?: EntryKind;
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Newest first; `cursor` is the last posting id of the previous page. */
  cursor?: string;
  limit: number;
}

export type HoldStatus = 'pending' | 'captured' | 'released' | 'expired';

export interface HoldRecord {
  id: string;
  accountId: string;
  /** Minor units reserved. */
  amount: bigint;
  status: HoldStatus;
  reference: string | null;
  expiresAt: Date | null;
  createdAt: Date;
  resolvedAt: Date | null;
  /** Minor units taken on capture (≤ amount; the rest was released). */
  capturedAmount: bigint | null;
  /** The capture's journal entry. */
  entryId: string | null;
}

/** What `verifyLedger()` found; an empty report is a clean ledger. */
export interface LedgerCheck {
  accountsChecked: number;
  entriesChecked: number;
  /** Accounts whose cached balance differs from the sum of their postings. */
  balanceMismatches: { accountId: string; cached: bigint; computed: bigint }[];
  /** Accounts whose cached `held` differs from the sum of their pending holds. */
  heldMismatches: { accountId: string; cached: bigint; computed: bigint }[];
  /** Entries whose postings do not sum to zero in some currency, or that have fewer than two. */
  unbalancedEntries: { entryId: string; currency: string; sum: bigint; postings: number }[];
  /** Currencies whose postings do not sum to zero across the whole ledger. */
  currencyImbalances: { currency: string; sum: bigint }[];
  /** User accounts with a negative balance or available amount (the CHECK should make this impossible). */
  negativeAccounts: { accountId: string; balance: bigint; held: bigint }[];
}

export interface AccountsRepository {
  insert(account: AccountRecord): Promise<void>;
  /**
   * The system account for `code` and `currency` (id `sys_<code>_<currency>`), created on first
   * use. `existed` is true when another, committed transaction had already created it.
   */
  ensureSystem(code: SystemAccountCode, currency: string, now: Date): Promise<{ id: string; existed: boolean }>;
  findById(id: string): Promise<AccountRecord | undefined>;
  /** The user's default account, if they have one. */
  findDefault(userId: string): Promise<AccountRecord | undefined>;
  /** A user's accounts, oldest first. */
  listForUser(userId: string): Promise<AccountRecord[]>;
  /**
   * Serialises changes to one user's set of accounts (opening one, switching the default) by
   * locking the user's row until the transaction ends. Balance updates never take this lock, so
   * it cannot deadlock with them. (SQLite transactions are serial already.)
   */
  lockOwner(userId: string): Promise<void>;
  /** Makes `id` the user's only default account; false if it is not theirs. Call `lockOwner` first. */
  setDefault(userId: string, id: string): Promise<boolean>;
  /**
   * Adds `delta` to the balance and `heldDelta` to the held amount in one conditional UPDATE:
   * for user accounts only if neither goes negative and held stays ≤ balance. Returns the new
   * values, or undefined when refused (no row changes). On PostgreSQL it locks the row until
   * the transaction ends; callers apply deltas in ascending account id order so two
   * transactions touching the same accounts cannot deadlock.
   */
  applyDelta(id: string, delta: bigint, heldDelta?: bigint): Promise<{ balance: bigint; held: bigint } | undefined>;
}

export interface JournalRepository {
  /** Appends an entry and its postings (`balanceAfter` is read from the account in SQL). */
  insert(entry: JournalEntryRecord, postings: Omit<PostingRecord, 'balanceAfter'>[]): Promise<void>;
  findEntry(id: string): Promise<{ entry: JournalEntryRecord; postings: PostingRecord[] } | undefined>;
  /** True if `entryId` already has a reversing entry. */
  isReversed(entryId: string): Promise<boolean>;
  listPostings(filter: PostingFilter): Promise<PostingWithEntry[]>;
  /** Recomputes every balance, held amount and entry sum from the rows (a full scan). */
  verify(): Promise<LedgerCheck>;
}

export interface HoldsRepository {
  insert(hold: HoldRecord): Promise<void>;
  findById(id: string): Promise<HoldRecord | undefined>;
  /** Moves a pending hold to a final state; undefined if it was no longer pending. */
  resolve(
    id: string,
    change: { status: Exclude<HoldStatus, 'pending'>; at: Date; capturedAmount?: bigint; entryId?: string },
  ): Promise<HoldRecord | undefined>;
  /** Pending holds whose `expiresAt` ≤ `now` (optionally of one account), oldest first. */
  listExpired(now: Date, accountId?: string, limit?: number): Promise<HoldRecord[]>;
}

/**
 * `pending` (requested, the amount held) → `approved` (every approval in, the risk checks passed)
 * → `paying` (a payout provider was called or is awaited) → `completed` (paid: the hold captured)
 * or `failed` (the hold released); `rejected` by an operator from `pending` or `approved`,
 * `cancelled` by the user while `pending`. `completed` is the paid state.
 */
export type WithdrawalStatus = 'pending' | 'approved' | 'paying' | 'completed' | 'rejected' | 'failed' | 'cancelled';

/** A withdrawal from a real account: the amount is held until it is paid out or refused. */
export interface WithdrawalRecord {
  id: string;
  userId: string;
  accountId: string;
  holdId: string;
  /** Minor units. */
  amount: bigint;
  currency: string;
  status: WithdrawalStatus;
  reference: string | null;
  /** Where the money goes, as the user gave it (checked by the payout provider); null on withdrawals asked through `POST /wallet/withdraw`. */
  destination: string | null;
  /** The payout provider that pays it out: `manual` (an operator) or a configured provider's name. */
  payoutProvider: string;
  /** The payout provider's own reference for the payout, once it answered. */
  payoutReference: string | null;
  /** Calls made to the payout provider (each with the withdrawal id as idempotency key). */
  payoutAttempts: number;
  /**
   * When the payout provider may be called again while `paying`: set before each call, so a
   * call that never answered (a timeout, a crash) is retried after it; null once the provider
   * answered `pending` (an operator or an event completes it).
   */
  nextPayoutAt: Date | null;
  /** The funding source that paid it out (`operator`, a provider's id) and its own reference. */
  source: string | null;
  sourceReference: string | null;
  /** The operator who resolved it (null when a source or the user did). */
  resolvedBy: string | null;
  note: string | null;
  entryId: string | null;
  createdAt: Date;
  /** When the last approval came in. */
  approvedAt: Date | null;
  resolvedAt: Date | null;
}

/** One operator's approval of a withdrawal; an operator approves a withdrawal at most once. */
export interface WithdrawalApprovalRecord {
  withdrawalId: string;
  approverId: string;
  approvedAt: Date;
}

/** What a withdrawal's transition may change besides its status. */
export type WithdrawalChange = Partial<
  Pick<WithdrawalRecord, 'resolvedAt' | 'resolvedBy' | 'note' | 'entryId' | 'source' | 'sourceReference' | 'approvedAt' | 'payoutReference' | 'payoutAttempts' | 'nextPayoutAt'>
>;

export interface WithdrawalsRepository {
  insert(record: WithdrawalRecord): Promise<void>;
  findById(id: string): Promise<WithdrawalRecord | undefined>;
  /** Newest first, `cursor` being the last id of the previous page; optionally one user's or one status's. */
  list(filter: { userId?: string; status?: WithdrawalStatus; cursor?: string; limit: number }): Promise<WithdrawalRecord[]>;
  /** Moves a pending withdrawal to a final state; undefined if it was no longer pending. */
  resolve(
    id: string,
    change: Pick<WithdrawalRecord, 'resolvedAt' | 'resolvedBy' | 'note' | 'entryId' | 'source' | 'sourceReference'> & { status: Exclude<WithdrawalStatus, 'pending'> },
  ): Promise<WithdrawalRecord | undefined>;
  /**
   * Moves a withdrawal on from one of `from` (one conditional UPDATE, also on `nextPayoutAt`
   * when `ifNextPayoutAt` is given): of two callers moving it at once, one wins; undefined,
   * nothing written, for the other.
   */
  transition(id: string, from: readonly WithdrawalStatus[], change: WithdrawalChange & { status: WithdrawalStatus }, ifNextPayoutAt?: Date): Promise<WithdrawalRecord | undefined>;
  /** Records an approval; false (nothing written) when this operator already approved it. */
  addApproval(approval: WithdrawalApprovalRecord): Promise<boolean>;
  /** A withdrawal's approvals, oldest first. */
  approvals(withdrawalId: string): Promise<WithdrawalApprovalRecord[]>;
  /** `paying` withdrawals whose `nextPayoutAt` ≤ `now`, oldest first. */
  listDuePayouts(now: Date, limit: number): Promise<WithdrawalRecord[]>;
}

export type OperatorCreditStatus = 'pending_approval' | 'completed' | 'rejected';

/** Real money credited by an operator, with the reason; above a set amount it waits for a second operator. */
export interface OperatorCreditRecord {
  id: string;
  userId: string;
  accountId: string;
  /** Minor units. */
  amount: bigint;
  currency: string;
  status: OperatorCreditStatus;
  reason: string;
  reference: string | null;
  requestedBy: string;
  resolvedBy: string | null;
  note: string | null;
  entryId: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface OperatorCreditsRepository {
  insert(record: OperatorCreditRecord): Promise<void>;
  findById(id: string): Promise<OperatorCreditRecord | undefined>;
  /** Newest first, `cursor` being the last id of the previous page. */
  list(filter: { status?: OperatorCreditStatus; cursor?: string; limit: number }): Promise<OperatorCreditRecord[]>;
  /** Moves a credit awaiting approval to a final state; undefined if it was no longer awaiting. */
  resolve(
    id: string,
    change: Pick<OperatorCreditRecord, 'resolvedAt' | 'resolvedBy' | 'note' | 'entryId'> & { status: Exclude<OperatorCreditStatus, 'pending_approval'> },
  ): Promise<OperatorCreditRecord | undefined>;
}

/** An account's balance and held amount (minor units). */
export interface AccountState {
  balance: bigint;
  held: bigint;
}

/** A movement's resulting balances as its stored outcome keeps them: by account id, minor units as decimal strings. */
export type MovementBalances = Record<string, { balance: string; held: string }>;

export interface MovementLine {
  accountId: string;
  delta: bigint;
  expected?: Pick<AccountRecord, 'userId' | 'currency' | 'kind' | 'status' | 'isDefault'>;
}

/** See `Storage.postMovement`. Everything is decided up front except the resulting balances. */
export interface MovementStatement {
  /**
   * The two balance changes, in lock order (ascending account id). Each is refused, not applied,
   * if it would overdraw a user account or leave the 64-bit range, or if the account no longer
   * is as `expected` (a record the caller remembered): then the caller's checks and answer,
   * made from that record, would be stale.
   */
  lines: [MovementLine, MovementLine];
  entry: JournalEntryRecord;
  /** Their `balanceAfter` is ignored: the statement fills it in from its line. */
  postings: [PostingRecord, PostingRecord];
  /**
   * Inserted, not upserted: a key already stored (expired or not) refuses the statement. Its
   * outcome is stored with `balances` added: each line's resulting state, by account id, in
   * minor units as decimal strings (`MovementBalances`); a replay renders its answer from them.
   */
  key: Omit<IdempotencyRecord, 'outcome'> & { outcome: { ok: true; value: unknown } };
  /**
   * Inserted with `balance` added to its data, last: the resulting balance of the line of
   * account `balanceOf`, as a decimal amount, `minorUnit` (`"0.01"`, `"1"`) being the value of
   * one minor unit.
   */
  notification?: { record: NotificationRecord; balanceOf: string; minorUnit: string };
}
