import type { CandleRecord } from '@tradeplane/core';

/**
 * Reads candles from CSV: a header row naming the columns (any order; extra columns are
 * ignored), then one bar per line.
 *
 *   open_time,open,high,low,close,volume
 *   2026-01-05T00:00:00Z,43012.5,43180,42950.25,43101,12.4
 *
 * `open_time` is an ISO 8601 timestamp or milliseconds since the epoch. Numbers use a dot for
 * decimals. Bad lines are reported with their line number; nothing is returned then.
 */
/** A parsed bar: the core's stored-candle shape. */
export type CsvCandle = CandleRecord;

const COLUMNS = ['open_time', 'open', 'high', 'low', 'close', 'volume'] as const;

export class CsvError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} problem(s) in the CSV:\n  ${problems.slice(0, 20).join('\n  ')}`);
    this.name = 'CsvError';
  }
}

export function parseCandlesCsv(text: string, bar: { symbol: string; interval: string }): CsvCandle[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const missing = COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new CsvError([`line 1: the header lacks ${missing.join(', ')}`]);
  const at = Object.fromEntries(COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof COLUMNS)[number], number>;

  const problems: string[] = [];
  const candles: CsvCandle[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',').map((c) => c.trim());
    const number = (column: (typeof COLUMNS)[number]) => {
      const cell = cells[at[column]] ?? '';
      const value = cell === '' ? Number.NaN : Number(cell);
      if (!Number.isFinite(value)) problems.push(`line ${i + 2}: ${column} '${cell}' is not a number`);
      return value;
    };
    const time = cells[at.open_time] ?? '';
    const openTime = new Date(/^\d+$/.test(time) ? Number(time) : time);
    if (Number.isNaN(openTime.getTime())) problems.push(`line ${i + 2}: open_time '${time}' is not a timestamp`);
    candles.push({ ...bar, openTime, open: number('open'), high: number('high'), low: number('low'), close: number('close'), volume: number('volume') });
  });
  if (problems.length > 0) throw new CsvError(problems);
  return candles;
}

/** Hands the candles to `store` in batches, oldest first; returns how many bars were stored. */
export async function feedCandles(candles: readonly CsvCandle[], store: (batch: CsvCandle[]) => Promise<{ accepted: number }>, batchSize = 1000): Promise<number> {
  const sorted = [...candles].sort((a, b) => a.openTime.getTime() - b.openTime.getTime());
  let accepted = 0;
  for (let i = 0; i < sorted.length; i += batchSize) accepted += (await store(sorted.slice(i, i + batchSize))).accepted;
  return accepted;
}
