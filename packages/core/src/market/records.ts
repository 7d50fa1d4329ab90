/**
 * Storage records and repositories of the market module: stored candles.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
/** One stored OHLCV bar. */
export interface CandleRecord {
  symbol: string;
  interval: string;
  openTime: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface CandleRange {
  /** Inclusive lower bound on open time. */
  from?: Date;
  /** Exclusive upper bound on open time. */
  to?: Date;
  limit: number;
  /** `asc` (default): the oldest `limit` bars in the range; `desc`: the newest, newest first. */
  order?: 'asc' | 'desc';
}

export interface CandlesRepository {
  /** Inserts each bar, or replaces the stored one with the same symbol, interval and open time. Keys must be unique within a call. */
  upsert(candles: CandleRecord[]): Promise<void>;
  list(symbol: string, interval: string, range: CandleRange): Promise<CandleRecord[]>;
  /** The intervals stored for a symbol. */
  intervals(symbol: string): Promise<string[]>;
}
