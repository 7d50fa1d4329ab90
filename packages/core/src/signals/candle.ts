import { TradeplaneError } from '../errors.js';

/**
 * One OHLCV bar. `time` is the bar's open time in epoch milliseconds. Prices are plain numbers:
 * market data are measurements fed to floating-point indicators, not money (money stays in
 * bigint minor units in the ledger).
 */
export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** What price indicators accept: a number, or a candle (its close is used). */
export type PriceInput = number | Pick<Candle, 'close'>;

/** What range indicators (ATR, support/resistance) need from a bar. */
export type RangeInput = Pick<Candle, 'high' | 'low' | 'close'>;

/** Throws a clear `validation_failed` error unless `value` is a finite number. */
export function requireFinite(value: number, what: string, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TradeplaneError('validation_failed', `${what}: ${field} must be a finite number, got ${String(value)}`, {
      fields: [{ in: 'body', path: field, code: 'not_finite', message: `${field} must be a finite number` }],
    });
  }
  return value;
}

/** The close of a price input, checked finite. */
export function priceOf(input: PriceInput, what: string): number {
  return requireFinite(typeof input === 'number' ? input : input.close, what, typeof input === 'number' ? 'value' : 'close');
}

/** High, low and close of a bar, each checked finite and consistent (low ≤ close ≤ high is not required: feeds disagree). */
export function rangeOf(input: RangeInput, what: string): RangeInput {
  const high = requireFinite(input.high, what, 'high');
  const low = requireFinite(input.low, what, 'low');
  const close = requireFinite(input.close, what, 'close');
  if (low > high) {
    throw new TradeplaneError('validation_failed', `${what}: low (${low}) is above high (${high})`, {
      fields: [{ in: 'body', path: 'low', code: 'low_above_high', message: 'low must not exceed high' }],
    });
  }
  return { high, low, close };
}

/** Checks an indicator period: an integer ≥ `min`. */
export function requirePeriod(value: number, what: string, name = 'period', min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TradeplaneError('validation_failed', `${what}: ${name} must be an integer ≥ ${min}, got ${String(value)}`, {
      fields: [{ in: 'body', path: name, code: 'invalid_period', message: `${name} must be an integer ≥ ${min}` }],
    });
  }
  return value;
}
