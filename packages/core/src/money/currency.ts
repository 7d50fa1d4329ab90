/**
 * Currencies and their minor-unit exponents. ISO 4217 codes come with their official exponent;
 * other codes (crypto assets, points) are added through configuration with up to 18 decimals.
 */

export interface Currency {
  /** Upper-case code: `USD`, `JPY`, `BTC`. */
  code: string;
  /** Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD, 8 for BTC. */
  exponent: number;
}

/** The largest amount, in minor units, any account or posting may hold: 2^63 − 1 (a signed 64-bit integer). */
export const MAX_MINOR_UNITS = (1n << 63n) - 1n;

/** ISO 4217 currencies whose exponent is not 2, and the common ones that are. */
const ISO_4217: Record<string, number> = {
  // exponent 0
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  // exponent 3
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  // exponent 4
  CLF: 4, UYW: 4,
  // exponent 2 (the usual case)
  AED: 2, ARS: 2, AUD: 2, BRL: 2, CAD: 2, CHF: 2, CNY: 2, CZK: 2, DKK: 2, EGP: 2, EUR: 2, GBP: 2, HKD: 2, HUF: 2, IDR: 2, ILS: 2,
  INR: 2, KES: 2, MXN: 2, MYR: 2, NGN: 2, NOK: 2, NZD: 2, PHP: 2, PKR: 2, PLN: 2, RON: 2, RUB: 2, SAR: 2, SEK: 2, SGD: 2, THB: 2,
  TRY: 2, TWD: 2, UAH: 2, USD: 2, ZAR: 2,
};

/** An upper-case currency or asset code (ISO 4217, or a configured one such as BTC). */
export const CURRENCY_CODE = /^[A-Z][A-Z0-9]{1,9}$/;

export interface CurrencyRegistry {
  /** The currency for a code, or undefined if it is not configured. */
  get(code: string): Currency | undefined;
  /** Every configured code. */
  codes(): string[];
}

/**
 * The built-in ISO 4217 table plus `extra` currencies (e.g. `{ code: 'BTC', exponent: 8 }`).
 * With exponent 18, 2^63 − 1 minor units is about 9.22 whole units: amounts are limited to
 * signed 64-bit minor units on both databases, so pick the exponent with that in mind
 * (8 for BTC-style assets is the common choice).
 */
export function createCurrencyRegistry(extra: readonly Currency[] = []): CurrencyRegistry {
  const table = new Map<string, Currency>(Object.entries(ISO_4217).map(([code, exponent]) => [code, { code, exponent }]));
  for (const currency of extra) {
    if (!CURRENCY_CODE.test(currency.code)) throw new TypeError(`Currency code '${currency.code}' must be 2–10 upper-case letters or digits`);
    if (!Number.isInteger(currency.exponent) || currency.exponent < 0 || currency.exponent > 18) {
      throw new TypeError(`Currency ${currency.code}: exponent must be an integer from 0 to 18`);
    }
    table.set(currency.code, { ...currency });
  }
  return { get: (code) => table.get(code), codes: () => [...table.keys()].sort() };
}
