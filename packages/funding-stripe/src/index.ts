/**
 * `@tradeplane/funding-stripe`: Stripe for tradeplane's payment ports. Deposits as
 * PaymentIntents with refunds and disputes (`stripeFunding`, a `FundingProvider`), withdrawals
 * paid as Connect transfers (`stripeConnectPayouts`, a `PayoutProvider`) and paid plans through
 * Stripe Billing (`stripeBilling`, a `BillingProvider`). `stripe` is a peer dependency: pass your
 * own SDK instance.
 *
 * @packageDocumentation
 */
export { stripeFunding, DEPOSIT_METADATA } from './funding.js';
export type { StripeFundingOptions } from './funding.js';
export { stripeConnectPayouts, payoutIdempotencyKey } from './payouts.js';
export type { StripeConnectPayoutsOptions } from './payouts.js';
export { stripeBilling } from './billing.js';
export type { StripeBillingOptions } from './billing.js';
export { stripeCurrencyExponent, toStripeAmount } from './currency.js';
