import { DECIMAL } from '../money/amount.js';
import { CURRENCY_CODE } from '../money/currency.js';
import { z } from 'zod';
import { defineRoute } from './route.js';
import { pageQuery, timestamp } from './common.js';

const entryKinds = ['deposit', 'withdrawal', 'transfer', 'fee', 'commission', 'trade_settlement', 'adjustment', 'demo_faucet', 'refund', 'chargeback'] as const;

/** A wire amount: a plain decimal string; the currency decides how many decimals it may have. */
export const amountSchema = z
  .string()
  .max(64)
  .regex(DECIMAL, 'must be a plain decimal string such as "100.50" (no sign, exponent or spaces)')
  .meta({ description: 'Decimal string in the currency’s units, at most its decimals', example: '100.50' });
const signedAmount = z.string().meta({ description: 'Signed decimal string: negative left the account', example: '-25.00' });
const currencyCode = z
  .string()
  .regex(CURRENCY_CODE, 'must be an upper-case currency code such as USD')
  .meta({ description: 'ISO 4217 code, or a configured asset code', example: 'USD' });
const id = z.string().min(1).max(64);
const reference = z.string().min(1).max(128).optional().meta({ description: 'Your reference (an order or payment id)' });
const metadata = z
  .record(z.string().max(64), z.union([z.string().max(512), z.number(), z.boolean(), z.null()]))
  .refine((value) => Object.keys(value).length <= 20, 'at most 20 keys')
  .optional()
  .meta({ description: 'Up to 20 flat key/value pairs stored with the entry' });

export const accountSchema = z
  .object({
    id: z.string(),
    currency: z.string(),
    kind: z.enum(['demo', 'real']),
    is_default: z.boolean(),
    status: z.enum(['active', 'frozen']),
    balance: z.string().meta({ example: '10000.00' }),
    held: z.string().meta({ description: 'Reserved by pending holds', example: '0.00' }),
    available: z.string().meta({ description: 'balance − held', example: '10000.00' }),
    created_at: timestamp,
  })
  .meta({ id: 'Account' });

export const transactionSchema = z
  .object({
    id: z.string().meta({ description: 'Posting id; history pages by it' }),
    entry_id: z.string().meta({ description: 'The journal entry this posting belongs to' }),
    account_id: z.string(),
    kind: z.enum(entryKinds),
    amount: signedAmount,
    currency: z.string(),
    balance_after: z.string(),
    reference: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    reverses_entry_id: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Transaction' });

export const movementSchema = z
  .object({ transaction: transactionSchema, account: accountSchema })
  .meta({ id: 'Movement', description: 'The posting on your account and the account after it' });

const withdrawalStatuses = ['pending', 'approved', 'paying', 'completed', 'rejected', 'failed', 'cancelled'] as const;

export const withdrawalSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    account_id: z.string(),
    amount: z.string().meta({ example: '250.00' }),
    currency: z.string(),
    status: z.enum(withdrawalStatuses).meta({
      description:
        '`pending` (the amount held) → `approved` (approvals in, risk checks passed) → `paying` (a payout provider was called) → `completed` (paid: the money left) or `failed` (released); `rejected` by an operator, `cancelled` by you while pending',
    }),
    reference: z.string().nullable(),
    destination: z.string().nullable().meta({ description: 'Where the money goes (null for `POST /wallet/withdraw`, paid out by an operator)' }),
    payout_provider: z.string().meta({ description: '`manual` (an operator pays it out) or a payout provider', example: 'manual' }),
    payout_reference: z.string().nullable().meta({ description: 'The payout’s reference at its provider or bank' }),
    approvals: z.array(z.object({ approver_id: z.string(), approved_at: timestamp })).meta({ description: 'The operators who approved it, oldest first' }),
    approved_at: timestamp.nullable().meta({ description: 'When the last approval came in' }),
    source: z.string().nullable().meta({ description: 'Who paid it out: `operator` or a funding provider' }),
    source_reference: z.string().nullable().meta({ description: 'The payer’s own reference (a bank transfer or payout id)' }),
    resolved_by: z.string().nullable().meta({ description: 'The operator who completed, failed or rejected it' }),
    note: z.string().nullable().meta({ description: 'Why it was rejected, failed or cancelled' }),
    entry_id: z.string().nullable().meta({ description: 'The journal entry that took the money out, once completed' }),
    created_at: timestamp,
    resolved_at: timestamp.nullable(),
  })
  .meta({ id: 'Withdrawal', description: 'A withdrawal from a real account: the amount is held until it is paid out or refused' });

export const withdrawResultSchema = z
  .object({
    transaction: transactionSchema.nullable().meta({ description: 'The posting, when the money left at once (demo accounts)' }),
    account: accountSchema,
    withdrawal: withdrawalSchema.nullable().meta({ description: 'The pending withdrawal, for a real account' }),
  })
  .meta({ id: 'WithdrawResult' });

export const operatorCreditSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    account_id: z.string(),
    amount: z.string(),
    currency: z.string(),
    status: z.enum(['pending_approval', 'completed', 'rejected']),
    reason: z.string(),
    reference: z.string().nullable(),
    requested_by: z.string(),
    resolved_by: z.string().nullable().meta({ description: 'The operator who approved or rejected it (the requester when no approval was needed)' }),
    note: z.string().nullable(),
    entry_id: z.string().nullable(),
    created_at: timestamp,
    resolved_at: timestamp.nullable(),
  })
  .meta({ id: 'OperatorCredit', description: 'Real money credited by an operator, with the reason; large ones wait for a second operator' });

const transactionPage = z.object({ transactions: z.array(transactionSchema), next_cursor: z.string().nullable() });
const historyQuery = z.object({
  account: id.optional(),
  kind: z.enum(entryKinds).optional(),
  from: timestamp.optional().meta({ description: 'Inclusive lower bound on created_at' }),
  to: timestamp.optional().meta({ description: 'Exclusive upper bound on created_at' }),
  cursor: z.string().min(1).max(64).optional().meta({ description: 'The `next_cursor` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const moneyBody = z.strictObject({
  amount: amountSchema,
  currency: currencyCode,
  account_id: id.optional().meta({ description: 'Defaults to your default account' }),
  reference,
  metadata,
});
const moneyErrors = ['not_found', 'currency_mismatch', 'idempotency_conflict'] as const;

export const accountRoutes = {
  list: defineRoute({
    id: 'accounts.list',
    method: 'GET',
    path: '/accounts',
    summary: 'Your accounts, oldest first',
    tags: ['accounts'],
    auth: 'user',
    scope: 'wallet:read',
    response: z.object({ accounts: z.array(accountSchema) }),
    errors: [],
  }),
  getDefault: defineRoute({
    id: 'accounts.getDefault',
    method: 'GET',
    path: '/accounts/default',
    summary: 'Your default account',
    tags: ['accounts'],
    auth: 'user',
    scope: 'wallet:read',
    response: accountSchema,
    errors: ['not_found'],
  }),
  get: defineRoute({
    id: 'accounts.get',
    method: 'GET',
    path: '/accounts/{id}',
    summary: 'One of your accounts',
    tags: ['accounts'],
    auth: 'user',
    scope: 'wallet:read',
    params: z.strictObject({ id }),
    response: accountSchema,
    errors: ['not_found'],
  }),
  open: defineRoute({
    id: 'accounts.open',
    method: 'POST',
    path: '/accounts',
    summary: 'Open a real account in a currency, at zero',
    tags: ['accounts'],
    auth: 'user',
    scope: 'wallet:write',
    body: z.strictObject({ currency: currencyCode }),
    response: accountSchema,
    successStatus: 201,
    errors: ['account_limit_reached'],
  }),
  openDemo: defineRoute({
    id: 'accounts.openDemo',
    method: 'POST',
    path: '/accounts/demo',
    summary: 'Open a demo account funded with the configured demo balance',
    tags: ['accounts'],
    auth: 'user',
    scope: 'wallet:write',
    body: z.strictObject({ currency: currencyCode.optional().meta({ description: 'Defaults to the configured default currency' }) }).optional(),
    response: accountSchema,
    successStatus: 201,
    errors: ['account_limit_reached', 'transfer_not_allowed'],
  }),
  setDefault: defineRoute({
    id: 'accounts.setDefault',
    method: 'PUT',
    path: '/accounts/{id}/default',
    summary: 'Make this your default account (the previous default stops being one, atomically)',
    tags: ['accounts'],
    auth: 'user',
    scope: 'wallet:write',
    params: z.strictObject({ id }),
    response: accountSchema,
    errors: ['not_found'],
  }),
  balance: defineRoute({
    id: 'accounts.balance',
    method: 'GET',
    path: '/accounts/{id}/balance',
    summary: 'An account’s balance, held and available amounts',
    tags: ['accounts'],
    auth: 'user',
    scope: 'wallet:read',
    params: z.strictObject({ id }),
    response: z.object({ account_id: z.string(), currency: z.string(), balance: z.string(), held: z.string(), available: z.string() }),
    errors: ['not_found'],
  }),
} as const;

export const walletRoutes = {
  get: defineRoute({
    id: 'wallet.get',
    method: 'GET',
    path: '/wallet',
    summary: 'Your default account’s balance and available amount',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:read',
    response: accountSchema,
    errors: ['not_found'],
  }),
  deposit: defineRoute({
    id: 'wallet.deposit',
    method: 'POST',
    path: '/wallet/deposit',
    summary: 'Top a demo account up from the demo faucet (real accounts are funded by a provider or an operator)',
    description:
      'Demo accounts only, within the demo caps (a balance cap and a number of top-ups per day: `demo_limit_reached`). A real account answers 403 `funding_provider_required`: real money enters only through a funding provider’s verified confirmation or an audited operator credit (`POST /admin/accounts/{id}/credit`).',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    body: moneyBody,
    response: movementSchema,
    errors: [...moneyErrors, 'funding_provider_required', 'demo_limit_reached', 'transfer_not_allowed'],
    idempotent: true,
  }),
  withdraw: defineRoute({
    id: 'wallet.withdraw',
    method: 'POST',
    path: '/wallet/withdraw',
    summary: 'Withdraw from an account; never more than its available amount',
    description:
      'From a demo account the money returns to the demo faucet at once (200, `transaction` set). From a real account the amount is held and a pending withdrawal, paid out by an operator, is answered (202, `withdrawal` set; `POST /wallet/withdrawals` names a destination and a payout provider): the money leaves once it is approved and paid, and a rejected, failed or cancelled withdrawal releases the hold.',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    body: moneyBody,
    response: withdrawResultSchema,
    otherResponses: { 202: { description: 'A real account: the withdrawal is pending and the amount held', schema: withdrawResultSchema } },
    errors: [...moneyErrors, 'insufficient_funds'],
    idempotent: true,
  }),
  transfer: defineRoute({
    id: 'wallet.transfer',
    method: 'POST',
    path: '/wallet/transfer',
    summary: 'Move money between your accounts (same currency and kind), or to another user where allowed',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    body: z.strictObject({
      from_account_id: id.optional().meta({ description: 'Defaults to your default account' }),
      to_account_id: id,
      amount: amountSchema,
      currency: currencyCode,
      reference,
      metadata,
    }),
    response: movementSchema,
    errors: [...moneyErrors, 'insufficient_funds', 'transfer_not_allowed'],
    idempotent: true,
  }),
  transactions: defineRoute({
    id: 'wallet.transactions',
    method: 'GET',
    path: '/wallet/transactions',
    summary: 'Transaction history of one account (default: your default account), newest first',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:read',
    query: historyQuery,
    response: transactionPage,
    errors: ['not_found'],
  }),
} as const;

export const billingRoutes = {
  balance: defineRoute({
    id: 'billing.balance',
    method: 'GET',
    path: '/billing/balance',
    summary: 'Totals per currency and kind across your accounts',
    tags: ['billing'],
    auth: 'user',
    scope: 'wallet:read',
    response: z.object({
      totals: z.array(
        z.object({ currency: z.string(), kind: z.enum(['demo', 'real']), balance: z.string(), held: z.string(), available: z.string(), accounts: z.number().int() }),
      ),
    }),
    errors: [],
  }),
  transactions: defineRoute({
    id: 'billing.transactions',
    method: 'GET',
    path: '/billing/transactions',
    summary: 'Transaction history across all your accounts, newest first',
    tags: ['billing'],
    auth: 'user',
    scope: 'wallet:read',
    query: historyQuery,
    response: transactionPage,
    errors: ['not_found'],
  }),
} as const;

const minorUnits = z.string().meta({ description: 'Minor units (integer string)' });
const mismatch = z.object({ account_id: z.string(), cached: minorUnits, computed: minorUnits });

export const ledgerRoutes = {
  adjust: defineRoute({
    id: 'ledger.adjust',
    method: 'POST',
    path: '/admin/accounts/{id}/adjust',
    summary: 'Credit or debit a user account against the adjustments system account (audited)',
    tags: ['admin', 'ledger'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: z.strictObject({
      direction: z.enum(['credit', 'debit']),
      amount: amountSchema,
      currency: currencyCode,
      reason: z.string().trim().min(3).max(500).meta({ description: 'Why; kept in the entry and the audit log' }),
    }),
    response: movementSchema,
    errors: ['not_found', 'currency_mismatch', 'insufficient_funds', 'idempotency_conflict', 'second_approval_required'],
    idempotent: true,
  }),
  reverse: defineRoute({
    id: 'ledger.reverse',
    method: 'POST',
    path: '/admin/ledger/entries/{id}/reverse',
    summary: 'Cancel a journal entry with a new entry of opposite postings (once per entry; audited)',
    tags: ['admin', 'ledger'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: z.strictObject({ reason: z.string().trim().min(3).max(500) }),
    response: z.object({ entry_id: z.string(), transactions: z.array(transactionSchema) }),
    errors: ['not_found', 'already_reversed', 'insufficient_funds', 'idempotency_conflict'],
    idempotent: true,
  }),
  verify: defineRoute({
    id: 'ledger.verify',
    method: 'GET',
    path: '/admin/ledger/verify',
    summary: 'Recompute every balance from its postings and report mismatches (a full scan)',
    tags: ['admin', 'ledger'],
    auth: 'admin',
    response: z
      .object({
        ok: z.boolean(),
        accounts_checked: z.number().int(),
        entries_checked: z.number().int(),
        balance_mismatches: z.array(mismatch),
        held_mismatches: z.array(mismatch),
        unbalanced_entries: z.array(z.object({ entry_id: z.string(), currency: z.string(), sum: minorUnits, postings: z.number().int() })),
        currency_imbalances: z.array(z.object({ currency: z.string(), sum: minorUnits })),
        negative_accounts: z.array(z.object({ account_id: z.string(), balance: minorUnits, held: minorUnits })),
      })
      .meta({ id: 'LedgerReport' }),
    errors: [],
  }),
} as const;

const withdrawalStatus = z.enum(withdrawalStatuses);
const withdrawalPage = z.object({ withdrawals: z.array(withdrawalSchema), next_cursor: z.string().nullable() });
const reasonBody = z.strictObject({ reason: z.string().trim().min(3).max(500).meta({ description: 'Why; kept with the record and in the audit log' }) });

export const withdrawalRoutes = {
  request: defineRoute({
    id: 'withdrawals.request',
    method: 'POST',
    path: '/wallet/withdrawals',
    summary: 'Withdraw from a real account to a destination: the amount is held until the withdrawal is approved and paid out',
    description:
      'The withdrawal is `pending` with the amount held; operators approve it (two different ones above a configured amount), then its payout provider pays it (`manual`: an operator records the bank transfer). Rejected, failed or cancelled, the hold is released. `destination` is checked by the payout provider.',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    body: z.strictObject({
      account_id: id,
      amount: amountSchema,
      currency: currencyCode,
      destination: z.string().trim().min(1).max(256).meta({ description: 'Where the money goes (an IBAN, a connected account id), as the payout provider expects it' }),
      payout_provider: z.string().min(1).max(64).optional().meta({ description: '`manual` (default) or a configured payout provider' }),
      reference,
    }),
    response: z.object({ withdrawal: withdrawalSchema, account: accountSchema }).meta({ id: 'WithdrawalRequested' }),
    successStatus: 201,
    errors: [...moneyErrors, 'insufficient_funds', 'transfer_not_allowed'],
    idempotent: true,
  }),
  list: defineRoute({
    id: 'withdrawals.list',
    method: 'GET',
    path: '/wallet/withdrawals',
    summary: 'Your withdrawals from real accounts, newest first',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:read',
    query: z.object({ status: withdrawalStatus.optional(), ...pageQuery }),
    response: withdrawalPage,
    errors: [],
  }),
  get: defineRoute({
    id: 'withdrawals.get',
    method: 'GET',
    path: '/wallet/withdrawals/{id}',
    summary: 'One of your withdrawals',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:read',
    params: z.strictObject({ id }),
    response: withdrawalSchema,
    errors: ['not_found'],
  }),
  cancel: defineRoute({
    id: 'withdrawals.cancel',
    method: 'POST',
    path: '/wallet/withdrawals/{id}/cancel',
    summary: 'Cancel a pending withdrawal (not yet approved): the held amount is available again',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    params: z.strictObject({ id }),
    response: withdrawalSchema,
    errors: ['not_found', 'withdrawal_not_pending'],
  }),
} as const;

export const fundingRoutes = {
  withdrawals: defineRoute({
    id: 'funding.withdrawals',
    method: 'GET',
    path: '/admin/withdrawals',
    summary: 'Every user’s withdrawals, newest first (`pending` ones await approval, `approved` manual ones an operator’s payout)',
    tags: ['admin', 'funding'],
    auth: 'admin',
    query: z.object({ status: withdrawalStatus.optional(), ...pageQuery }),
    response: withdrawalPage,
    errors: [],
  }),
  approveWithdrawal: defineRoute({
    id: 'funding.approveWithdrawal',
    method: 'POST',
    path: '/admin/withdrawals/{id}/approve',
    summary: 'Approve a pending withdrawal (audited); the final approval runs the risk checks and hands it to its payout provider',
    description:
      'Never the account holder’s own withdrawal (403). Above `wallets.withdrawals.secondApprovalAbove` two different operators must approve: the same one again is 409 `second_approval_required`. The final approval refuses, changing nothing, while a dispute is open on the account (`dispute_open`) or when the amount includes deposits still within the clearing window (`funds_not_cleared`).',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    response: withdrawalSchema,
    errors: ['not_found', 'forbidden', 'withdrawal_not_pending', 'second_approval_required', 'dispute_open', 'funds_not_cleared'],
  }),
  completeWithdrawal: defineRoute({
    id: 'funding.completeWithdrawal',
    method: 'POST',
    path: '/admin/withdrawals/{id}/complete',
    summary: 'Record that an approved withdrawal was paid out: the held amount leaves the account (audited)',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: z.strictObject({ reference: z.string().min(1).max(128).optional().meta({ description: 'The payout’s reference (a bank transfer id)' }) }).optional(),
    response: withdrawalSchema,
    errors: ['not_found', 'withdrawal_not_approved', 'withdrawal_not_pending'],
  }),
  failWithdrawal: defineRoute({
    id: 'funding.failWithdrawal',
    method: 'POST',
    path: '/admin/withdrawals/{id}/fail',
    summary: 'Record that the payout of an approved withdrawal failed: the held amount is released (audited)',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: reasonBody,
    response: withdrawalSchema,
    errors: ['not_found', 'withdrawal_not_approved', 'withdrawal_not_pending'],
  }),
  rejectWithdrawal: defineRoute({
    id: 'funding.rejectWithdrawal',
    method: 'POST',
    path: '/admin/withdrawals/{id}/reject',
    summary: 'Refuse a pending or approved withdrawal: the held amount is released (audited)',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: reasonBody,
    response: withdrawalSchema,
    errors: ['not_found', 'withdrawal_not_pending'],
  }),
  credit: defineRoute({
    id: 'funding.credit',
    method: 'POST',
    path: '/admin/accounts/{id}/credit',
    summary: 'Credit real money to a real account (audited); above the configured amount it waits for a second operator',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: z.strictObject({
      amount: amountSchema,
      currency: currencyCode,
      reason: reasonBody.shape.reason,
      reference: z.string().min(1).max(128).optional().meta({ description: 'Where the money came from (a bank transfer id)' }),
    }),
    response: operatorCreditSchema,
    successStatus: 201,
    errors: ['not_found', 'currency_mismatch', 'transfer_not_allowed', 'idempotency_conflict'],
    idempotent: true,
  }),
  credits: defineRoute({
    id: 'funding.credits',
    method: 'GET',
    path: '/admin/credits',
    summary: 'Operator credits, newest first (`pending_approval` ones await a second operator)',
    tags: ['admin', 'funding'],
    auth: 'admin',
    query: z.object({ status: z.enum(['pending_approval', 'completed', 'rejected']).optional(), ...pageQuery }),
    response: z.object({ credits: z.array(operatorCreditSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  approveCredit: defineRoute({
    id: 'funding.approveCredit',
    method: 'POST',
    path: '/admin/credits/{id}/approve',
    summary: 'Approve an operator credit as a second operator: the money is posted (audited)',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    response: operatorCreditSchema,
    errors: ['not_found', 'credit_not_pending', 'forbidden'],
  }),
  rejectCredit: defineRoute({
    id: 'funding.rejectCredit',
    method: 'POST',
    path: '/admin/credits/{id}/reject',
    summary: 'Refuse an operator credit awaiting approval (audited)',
    tags: ['admin', 'funding'],
    auth: 'admin',
    params: z.strictObject({ id }),
    body: reasonBody,
    response: operatorCreditSchema,
    errors: ['not_found', 'credit_not_pending'],
  }),
} as const;
