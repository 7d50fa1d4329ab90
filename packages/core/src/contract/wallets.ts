import { DECIMAL } from '../money/amount.js';
import { CURRENCY_CODE } from '../money/currency.js';
import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';

const entryKinds = ['deposit', 'withdrawal', 'transfer', 'fee', 'commission', 'trade_settlement', 'adjustment', 'demo_faucet'] as const;

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
    summary: 'Deposit into an account (demo accounts are topped up from the demo faucet)',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    body: moneyBody,
    response: movementSchema,
    errors: [...moneyErrors],
    idempotent: true,
  }),
  withdraw: defineRoute({
    id: 'wallet.withdraw',
    method: 'POST',
    path: '/wallet/withdraw',
    summary: 'Withdraw from an account; never more than its available amount',
    tags: ['wallet'],
    auth: 'user',
    scope: 'wallet:write',
    body: moneyBody,
    response: movementSchema,
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
    errors: ['not_found', 'currency_mismatch', 'insufficient_funds', 'idempotency_conflict'],
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
