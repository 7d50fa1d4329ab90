import { sql } from 'drizzle-orm';
import { boolean, integer, money, text, timestamp, type ColumnSpec } from '../columns.js';
import { check, index, isTrue, oneOf, primaryKey, table, uniqueIndex } from '../kit.js';
import { accountKinds, accountStatuses, entryKinds, holdStatuses, operatorCreditStatuses, systemAccountCodes, withdrawalStatuses } from '../values.js';
import { users } from './auth.js';

/*
 * The wallets module's tables: the ledger (accounts, journal entries, postings, holds) and the
 * money moving in and out of it (withdrawals, operator credits).
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/**
 * Ledger accounts: users' demo and real accounts and the per-currency system accounts.
 * `balance` caches the sum of the account's postings and `held` the sum of its pending holds,
 * both updated in the transaction that changes them; the CHECK is the last line of defence
 * against an overdraft (the conditional UPDATE refuses first).
 */
export const accounts = table(
  'accounts',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').references(() => users.columns.id, { onDelete: 'restrict' }),
    currency: text('currency').notNull(),
    kind: text('kind', accountKinds).notNull(),
    systemCode: text('system_code', systemAccountCodes),
    isDefault: boolean('is_default').notNull().default(false),
    status: text('status', accountStatuses).notNull(),
    balance: money('balance').notNull(),
    held: money('held').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t, dialect) => [
    index('accounts_user_idx').on(t.userId),
    uniqueIndex('accounts_one_default_per_user').on(t.userId).where(isTrue(t.isDefault, dialect)),
    uniqueIndex('accounts_system_unique').on(t.systemCode, t.currency),
    check('accounts_kind_check', oneOf(t.kind, accountKinds)),
    check('accounts_owner_check', sql`(${t.kind} = 'system') = (${t.userId} is null) and (${t.kind} = 'system') = (${t.systemCode} is not null)`),
    check('accounts_balance_check', sql`${t.kind} = 'system' or (${t.balance} >= 0 and ${t.held} >= 0 and ${t.held} <= ${t.balance})`),
  ],
);

/** Journal entries: append-only; a correction is a new reversing entry. */
export const journalEntries = table(
  'journal_entries',
  {
    id: text('id').primaryKey(),
    kind: text('kind', entryKinds).notNull(),
    reference: text('reference'),
    /** JSON object. */
    metadata: text('metadata'),
    reversesEntryId: text('reverses_entry_id').references((): ColumnSpec => journalEntries.columns.id),
    actorId: text('actor_id'),
    createdAt: timestamp('created_at').notNull(),
  },
  // Partial: only reversals are indexed, so an ordinary entry writes one index fewer (0011).
  (t) => [uniqueIndex('journal_entries_reverses_unique').on(t.reversesEntryId).where(sql`${t.reversesEntryId} is not null`)],
);

/** One line of an entry; an entry's postings sum to zero per currency. */
export const postings = table(
  'postings',
  {
    id: text('id').primaryKey(),
    entryId: text('entry_id')
      .notNull()
      .references(() => journalEntries.columns.id),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
    balanceAfter: money('balance_after').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('postings_account_idx').on(t.accountId, t.id), index('postings_entry_idx').on(t.entryId), check('postings_nonzero_check', sql`${t.amount} <> 0`)],
);

/** Two-phase reservations: pending → captured | released | expired. */
export const holds = table(
  'holds',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    amount: money('amount').notNull(),
    status: text('status', holdStatuses).notNull(),
    reference: text('reference'),
    expiresAt: timestamp('expires_at'),
    createdAt: timestamp('created_at').notNull(),
    resolvedAt: timestamp('resolved_at'),
    capturedAmount: money('captured_amount'),
    /** The capture's entry (no foreign key: the hold is claimed before its entry is written). */
    entryId: text('entry_id'),
  },
  (t) => [index('holds_account_status_idx').on(t.accountId, t.status), index('holds_pending_expiry_idx').on(t.status, t.expiresAt), check('holds_amount_check', sql`${t.amount} > 0`)],
);

/**
 * Withdrawals from real accounts. The user's request holds the amount (`hold_id`); the money
 * leaves only once operators approved it and its payout provider (or an operator) completed it
 * (`entry_id`), and a rejected, failed or cancelled one releases the hold.
 */
export const withdrawals = table(
  'withdrawals',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    holdId: text('hold_id')
      .notNull()
      .references(() => holds.columns.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', withdrawalStatuses).notNull(),
    reference: text('reference'),
    /** Where the money goes, as the user gave it (null for withdrawals an operator pays out by hand without one). */
    destination: text('destination'),
    /** `manual` or a configured payout provider's name. */
    payoutProvider: text('payout_provider').notNull().default('manual'),
    payoutReference: text('payout_reference'),
    payoutAttempts: integer('payout_attempts').notNull().default(0),
    /** While `paying`: when an unanswered payout call may be retried (null: the provider answered, completion comes later). */
    nextPayoutAt: timestamp('next_payout_at'),
    /** The funding source that paid it out (`operator`, a provider's id) and its own reference. */
    source: text('source'),
    sourceReference: text('source_reference'),
    /** Who resolved it: an operator's user id (null when a source or the user did). */
    resolvedBy: text('resolved_by'),
    /** Why it was rejected, failed or cancelled. */
    note: text('note'),
    entryId: text('entry_id'),
    createdAt: timestamp('created_at').notNull(),
    approvedAt: timestamp('approved_at'),
    resolvedAt: timestamp('resolved_at'),
  },
  (t) => [
    index('withdrawals_user_idx').on(t.userId, t.id),
    index('withdrawals_status_idx').on(t.status, t.id),
    index('withdrawals_due_payouts_idx').on(t.status, t.nextPayoutAt),
    check('withdrawals_amount_check', sql`${t.amount} > 0`),
    check('withdrawals_status_check', oneOf(t.status, withdrawalStatuses)),
  ],
);

/** Operators' approvals of withdrawals: one row per operator and withdrawal, so nobody approves one twice. */
export const withdrawalApprovals = table(
  'withdrawal_approvals',
  {
    withdrawalId: text('withdrawal_id')
      .notNull()
      .references(() => withdrawals.columns.id),
    approverId: text('approver_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    approvedAt: timestamp('approved_at').notNull(),
  },
  (t) => [primaryKey(t.withdrawalId, t.approverId)],
);

/**
 * Real money credited by an operator: audited with a reason, and above the configured amount
 * posted only once a second operator approves it.
 */
export const operatorCredits = table(
  'operator_credits',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'restrict' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.columns.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', operatorCreditStatuses).notNull(),
    reason: text('reason').notNull(),
    reference: text('reference'),
    requestedBy: text('requested_by').notNull(),
    /** The second operator who approved or rejected it (the requester when none was needed). */
    resolvedBy: text('resolved_by'),
    note: text('note'),
    entryId: text('entry_id'),
    createdAt: timestamp('created_at').notNull(),
    resolvedAt: timestamp('resolved_at'),
  },
  (t) => [
    index('operator_credits_status_idx').on(t.status, t.id),
    index('operator_credits_account_idx').on(t.accountId, t.id),
    check('operator_credits_amount_check', sql`${t.amount} > 0`),
    check('operator_credits_status_check', oneOf(t.status, operatorCreditStatuses)),
  ],
);
