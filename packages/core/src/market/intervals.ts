/** Candle intervals and their lengths. Bars open on multiples of their length since the Unix epoch; weekly bars on Mondays 00:00 UTC. */
export const candleIntervals = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d', '1w'] as const;
export type CandleInterval = (typeof candleIntervals)[number];

const MINUTE = 60_000;
export const intervalMs: Record<CandleInterval, number> = {
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '2h': 120 * MINUTE,
  '4h': 240 * MINUTE,
  '6h': 360 * MINUTE,
  '12h': 720 * MINUTE,
  '1d': 1440 * MINUTE,
  '1w': 7 * 1440 * MINUTE,
};

/** The epoch was a Thursday: weekly bars are aligned four days later, on Monday. */
const WEEK_OFFSET = 4 * 1440 * MINUTE;

/** True if a bar of `interval` may open at `openTime` (ms since the epoch). */
export function isAligned(openTime: number, interval: CandleInterval): boolean {
  const length = intervalMs[interval];
  const shifted = interval === '1w' ? openTime - WEEK_OFFSET : openTime;
  return ((shifted % length) + length) % length === 0;
}
