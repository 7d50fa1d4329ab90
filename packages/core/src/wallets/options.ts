import { DECIMAL } from '../money/amount.js';
import { CURRENCY_CODE } from '../money/currency.js';
import { z } from 'zod';

const currencyCode = z.string().regex(CURRENCY_CODE, 'an upper-case currency code such as USD');
const decimal = z.string().regex(DECIMAL, 'a decimal string such as "10000.00"');

/** `createEngine({ wallets })`: the ledger's configuration. */
export const walletOptionsSchema = z.strictObject({
  /** Currencies beyond ISO 4217, e.g. `{ code: 'BTC', exponent: 8 }` (0–18 decimals). */
  currencies: z.array(z.strictObject({ code: currencyCode, exponent: z.number().int().min(0).max(18) })).default([]),
  /** The currency of the account every user gets at sign-up. */
  defaultCurrency: currencyCode.default('USD'),
  /**
   * Demo money. With it, sign-up opens a default demo account funded from the `demo_faucet`
   * system account, and `POST /accounts/demo` opens more; `false` opens a real account at zero
   * instead and refuses demo accounts.
   */
  demo: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Starting balance of a demo account, in the account's currency. */
        balance: decimal.default('10000.00'),
        /** Per-currency starting balances where `balance` does not fit (`{ JPY: '1000000' }`). */
        balances: z.record(currencyCode, decimal).default({}),
        /**
         * The most a demo account may hold after a top-up, in its currency (default: ten times
         * its starting balance; `false`: no cap). Demo money is free: the caps keep it from being farmed.
         */
        maxBalance: z.union([z.literal(false), decimal]).optional(),
        /** Per-currency caps where `maxBalance` does not fit. */
        maxBalances: z.record(currencyCode, decimal).default({}),
        /** Demo top-ups (`POST /wallet/deposit` on a demo account) a user may make per UTC day, all demo accounts together. */
        topUpsPerDay: z.union([z.literal(false), z.number().int().min(0).max(10_000)]).default(10),
        /** Demo accounts a user may hold (within `maxAccountsPerUser`). */
        maxAccounts: z.number().int().min(1).max(1000).default(5),
      }),
    ])
    .prefault({}),
  /** Allow `POST /wallet/transfer` to another user's account (same currency and kind). */
  userTransfers: z.boolean().default(false),
  /** Accounts a user may open, demo and real together. */
  maxAccountsPerUser: z.number().int().min(1).max(1000).default(20),
  /**
   * Real money credited by an operator (`POST /admin/accounts/{id}/credit`, and `ledger.adjust`
   * credits of real accounts): above `secondApprovalAbove` (in the account's currency; per
   * currency in `secondApprovalAboveByCurrency`) it is posted only once a second operator
   * approves it. `false` lets one operator credit any amount.
   */
  operatorCredits: z
    .strictObject({
      secondApprovalAbove: z.union([z.literal(false), decimal]).default('10000'),
      secondApprovalAboveByCurrency: z.record(currencyCode, decimal).default({}),
    })
    .prefault({}),
  /**
   * Withdrawals from real accounts. Each needs an operator's approval before it is paid out;
   * above `secondApprovalAbove` (in the account's currency; per currency in
   * `secondApprovalAboveByCurrency`) two different operators' (`false`: one always suffices).
   * `depositClearingSeconds`: money a payment provider deposited within this many seconds
   * cannot leave yet (0, the default, turns the check off; a card payment can be disputed for
   * weeks, so production wants days: 604800 is a week).
   */
  withdrawals: z
    .strictObject({
      secondApprovalAbove: z.union([z.literal(false), decimal]).default('10000'),
      secondApprovalAboveByCurrency: z.record(currencyCode, decimal).default({}),
      depositClearingSeconds: z.number().int().min(0).max(366 * 24 * 60 * 60).default(0),
    })
    .prefault({}),
  /** How long an Idempotency-Key's outcome is kept, in seconds (at least a day by default). */
  idempotencyTtl: z.number().int().positive().default(24 * 60 * 60),
});

export type WalletOptionsInput = z.input<typeof walletOptionsSchema>;
export type WalletOptions = z.output<typeof walletOptionsSchema>;
