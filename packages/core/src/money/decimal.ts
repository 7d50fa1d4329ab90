/**
 * Exact decimal arithmetic on bigints, shared by the risk manager (stake progression), trading
 * (P&L from prices) and backtest metrics.
 */

/** A decimal string (`"2.25"`, `"1e-7"`, as `String(number)` prints) as an exact fraction digits ÷ 10^scale. */
export function decimalFraction(text: string): { digits: bigint; scale: number } {
  const [mantissa, exponentText] = text.split('e');
  const [whole = '0', fraction = ''] = mantissa!.split('.');
  let scale = fraction.length - Number(exponentText ?? 0);
  let digits = BigInt(whole + fraction);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

/** n ÷ d (d > 0) rounded half away from zero (half up for n ≥ 0). */
export function divideRounded(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (2n * (r < 0n ? -r : r) >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}
