import { type Currency, TradeplaneError } from '@tradeplane/core';

/**
 * The digits Stripe's API counts in an amount, where they are not 2 (Stripe's "Supported
 * currencies" page: zero-decimal currencies, three-decimal currencies and the special cases).
 * ISK and UGX are whole-unit currencies that the API still takes as two-decimal amounts ending
 * in 00, kept at 2 here. HUF and TWD are two-decimal for payments (whole units only for payouts).
 */
const STRIPE_EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, JPY: 0, KMF: 0, KRW: 0, MGA: 0, PYG: 0, RWF: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, JOD: 3, KWD: 3, OMR: 3, TND: 3,
  ISK: 2, UGX: 2,
};

/** How many decimals Stripe's API counts for a currency code (any case): 0, 2 or 3. */
export function stripeCurrencyExponent(code: string): number {
  return STRIPE_EXPONENTS[code.toUpperCase()] ?? 2;
}

/**
 * Checks that `amount` minor units of `currency` mean the same money to Stripe as to tradeplane
 * and that the SDK can send it, and answers Stripe's lower-case code and a safe number. Refuses
 * (`validation_failed`) a currency whose decimals differ (tradeplane's ISK has 0, Stripe counts 2:
 * 100 ISK would be charged as 1 ISK), and an amount past `Number.MAX_SAFE_INTEGER` (the SDK
 * sends numbers; a larger one would be rounded).
 */
export function toStripeAmount(amount: bigint, currency: Currency, field = 'amount'): { amount: number; currency: string } {
  const exponent = stripeCurrencyExponent(currency.code);
  if (currency.exponent !== exponent) {
    throw new TradeplaneError('validation_failed', `Stripe counts ${exponent} decimals in ${currency.code}, tradeplane ${currency.exponent}: this provider cannot take ${currency.code}`, {
      fields: [{ in: 'body', path: 'currency', code: 'unsupported_currency', message: `${currency.code} has ${currency.exponent} decimals here and ${exponent} at Stripe` }],
    });
  }
  if (amount <= 0n || amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TradeplaneError('validation_failed', `${field} must be from 1 to ${Number.MAX_SAFE_INTEGER} minor units for Stripe`, {
      fields: [{ in: 'body', path: field, code: 'too_big', message: `must be at most ${Number.MAX_SAFE_INTEGER} minor units` }],
    });
  }
  // Stripe takes three-decimal amounts in steps of 10 (whole hundredths) only.
  if (exponent === 3 && amount % 10n !== 0n) {
    throw new TradeplaneError('validation_failed', `Stripe takes ${currency.code} amounts in steps of 0.01`, {
      fields: [{ in: 'body', path: field, code: 'invalid_precision', message: 'must be a multiple of 0.010 for Stripe' }],
    });
  }
  return { amount: Number(amount), currency: currency.code.toLowerCase() };
}
