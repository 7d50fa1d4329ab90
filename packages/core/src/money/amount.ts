import { MAX_MINOR_UNITS, type Currency } from './currency.js';

/** Why a decimal string is not an amount; each maps to a field error code. */
export type AmountProblem = 'not_a_decimal' | 'too_many_decimals' | 'not_positive' | 'too_large';

/** A plain non-negative decimal: no sign, exponent, spaces, leading zeros or trailing dot. Amounts, demo balances and multipliers all use it. */
export const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Reads a wire amount (`"100.50"`) as minor units (`10050n`), exactly: no floats anywhere.
 * Accepts plain decimals only — no sign, exponent, spaces, leading zeros or trailing dot — with
 * at most the currency's decimals, greater than zero and at most 2^63 − 1 minor units.
 */
export function parseAmount(text: string, currency: Currency): { ok: true; minor: bigint } | { ok: false; problem: AmountProblem; message: string } {
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, problem: 'not_a_decimal', message: 'must be a plain decimal string such as "100.50"' };
  const [, whole, fraction = ''] = match;
  if (fraction.length > currency.exponent) {
    return {
      ok: false,
      problem: 'too_many_decimals',
      message: currency.exponent === 0 ? `${currency.code} has no decimals` : `${currency.code} allows at most ${currency.exponent} decimals`,
    };
  }
  const minor = BigInt(whole! + fraction.padEnd(currency.exponent, '0'));
  if (minor <= 0n) return { ok: false, problem: 'not_positive', message: 'must be greater than zero' };
  if (minor > MAX_MINOR_UNITS) return { ok: false, problem: 'too_large', message: `must be at most ${formatAmount(MAX_MINOR_UNITS, currency)}` };
  return { ok: true, minor };
}

/** Writes minor units as the wire's decimal string, always with the currency's decimals: `"100.50"`. */
export function formatAmount(minor: bigint, currency: Currency): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(currency.exponent + 1, '0');
  const whole = digits.slice(0, digits.length - currency.exponent);
  const fraction = digits.slice(digits.length - currency.exponent);
  return `${negative ? '-' : ''}${whole}${currency.exponent > 0 ? `.${fraction}` : ''}`;
}

/**
 * {@link formatAmount} for stored amounts whose currency may since have left the configuration:
 * then the minor units as an integer string, rather than a guess at the decimals.
 */
export function formatStored(minor: bigint, currency: Currency | undefined): string {
  return currency ? formatAmount(minor, currency) : String(minor);
}

/** Reads back what {@link formatAmount} wrote (signed, zero allowed), e.g. a trade's pnl. Throws on anything else. */
export function parseFormatted(text: string, currency: Currency): bigint {
  const match = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (!match || (match[3] ?? '').length !== currency.exponent) throw new Error(`'${text}' is not a formatted ${currency.code} amount`);
  const minor = BigInt(match[2]! + (match[3] ?? ''));
  return match[1] ? -minor : minor;
}
