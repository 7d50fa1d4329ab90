import { decimalFraction } from '../money/decimal.js';

/** Rates are stored in basis points (1/10,000). `"0.125"` → 1250n. */
export const bpsOf = (fraction: string): bigint => {
  const { digits, scale } = decimalFraction(fraction);
  return (digits * 10_000n) / 10n ** BigInt(scale);
};

/** Basis points as the API shows a rate: `1000` → `"0.10"`, `1250` → `"0.1250"`. */
export const rateOf = (bps: number): string => (bps / 10_000).toFixed(bps % 100 === 0 ? 2 : 4);

/** `amount × bps ÷ 10,000`, rounded down (toward zero for the non-negative amounts charged). */
export const shareOf = (amount: bigint, bps: bigint): bigint => (amount * bps) / 10_000n;
