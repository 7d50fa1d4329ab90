import { decimalFraction, divideRounded } from '../money/decimal.js';
import { MAX_MINOR_UNITS } from '../money/currency.js';
import type { TradeSide } from '../ports/storage.js';

/**
 * A price as an exact fraction `digits / 10^scale`, read from its shortest round-trip decimal
 * (`String(1.0835)` is "1.0835"), so P&L is computed from the price a user sees, not from the
 * binary double's expansion.
 */
export function exactPrice(price: number): { digits: bigint; scale: number } {
  if (!Number.isFinite(price) || price <= 0) throw new RangeError(`A price must be a positive finite number, not ${price}`);
  return decimalFraction(String(price));
}

/**
 * Realised or unrealised P&L of a stake, in minor units:
 *
 *   pnl = direction × stake × (exit − entry) ÷ entry,   direction = +1 for BUY, −1 for SELL
 *
 * computed exactly from the decimal prices and rounded once, half away from zero, to the minor
 * unit; then floored at −stake (a position can lose its stake and no more — a short whose price
 * doubles is stopped out) and capped at 2^63 − 1 minor units, the largest amount there is (a
 * price that gaps by a factor of 10^17 would otherwise owe more). With a stake of 100.00 bought
 * at 1.25 and sold at 1.30: +4.00.
 */
export function stakePnl(stake: bigint, side: TradeSide, entryPrice: number, exitPrice: number): bigint {
  const pnl = uncappedPnl(stake, side, entryPrice, exitPrice);
  return pnl > MAX_MINOR_UNITS ? MAX_MINOR_UNITS : pnl;
}

/** {@link stakePnl} before the cap at the largest amount (still floored at −stake): for refusing orders whose targets could not be paid. */
export function uncappedPnl(stake: bigint, side: TradeSide, entryPrice: number, exitPrice: number): bigint {
  const entry = exactPrice(entryPrice);
  const exit = exactPrice(exitPrice);
  // (exit − entry) / entry with both over a common scale: (x·10^se − e·10^sx) / (e·10^sx).
  const e = entry.digits * 10n ** BigInt(exit.scale);
  const x = exit.digits * 10n ** BigInt(entry.scale);
  const direction = side === 'BUY' ? 1n : -1n;
  const pnl = divideRounded(direction * stake * (x - e), e);
  return pnl < -stake ? -stake : pnl;
}

/** The price at which a SELL of this entry has lost its whole stake (twice the entry). */
export const stopOutPrice = (entryPrice: number): number => entryPrice * 2;

/**
 * The stake (minor units) that buys `quantity` units at `price`: quantity × price × 10^exponent,
 * rounded up so the reserved stake always covers the order.
 */
export function stakeForQuantity(quantity: number, price: number, exponent: number): bigint {
  const q = exactPrice(quantity);
  const p = exactPrice(price);
  const numerator = q.digits * p.digits * 10n ** BigInt(exponent);
  const denominator = 10n ** BigInt(q.scale + p.scale);
  return (numerator + denominator - 1n) / denominator;
}
