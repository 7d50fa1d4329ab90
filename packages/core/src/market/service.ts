import { TradeplaneError, type FieldError } from '../errors.js';
import type { CandleRecord, Logger, Storage } from '../ports/index.js';
import { intervalMs, isAligned, type CandleInterval } from './intervals.js';

/** A bar as the service takes it in: the stored record, with the interval checked. */
export type CandleInput = Omit<CandleRecord, 'interval'> & { interval: CandleInterval };

/** A stored bar. */
export type StoredCandle = CandleInput;

export interface Ticker {
  symbol: string;
  price: number;
  time: Date;
  interval: CandleInterval;
  open24h: number;
  high24h: number;
  low24h: number;
  volume24h: number;
  change24h: number;
  changePercent24h: number;
}

export interface CandleQuery {
  interval: CandleInterval;
  from?: Date;
  to?: Date;
  limit: number;
}

/**
 * Market data: candles in the database plus an in-process feed. Ingested bars are stored (one
 * transaction per batch, all or nothing) and then published, in open-time order, to every
 * subscriber — the paper broker and live strategies listen there.
 */
export interface MarketDataService {
  ingest(candles: CandleInput[]): Promise<{ accepted: number }>;
  candles(symbol: string, query: CandleQuery): Promise<StoredCandle[]>;
  ticker(symbol: string): Promise<Ticker>;
  /** Called with each stored bar, after its batch commits. Returns an unsubscribe function. */
  subscribe(listener: (candle: StoredCandle) => void | Promise<void>): () => void;
  /** The latest close this process has seen for a symbol (from ingested bars), if any. */
  lastPrice(symbol: string): { price: number; time: Date } | undefined;
}

const DAY = 86_400_000;
const MAX_FIELD_ERRORS = 50;

/** Problems with one bar, as field errors under `candles.<index>`. */
function problemsOf(c: CandleInput, index: number): FieldError[] {
  const at = (field: string, code: string, message: string): FieldError => ({ in: 'body', path: `candles.${index}.${field}`, code, message });
  const out: FieldError[] = [];
  for (const field of ['open', 'high', 'low', 'close'] as const) {
    if (!(c[field] > 0)) out.push(at(field, 'not_positive', 'must be greater than zero'));
  }
  const pricesPositive = out.length === 0;
  if (!(c.volume >= 0)) out.push(at('volume', 'negative', 'must not be negative'));
  // Range checks only between valid prices: one problem per field is clearer than two.
  if (pricesPositive && c.low > c.high) out.push(at('low', 'low_above_high', 'must not exceed high'));
  else if (pricesPositive) {
    if (c.open > c.high || c.open < c.low) out.push(at('open', 'outside_range', 'must lie between low and high'));
    if (c.close > c.high || c.close < c.low) out.push(at('close', 'outside_range', 'must lie between low and high'));
  }
  if (!isAligned(c.openTime.getTime(), c.interval)) {
    out.push(at('open_time', 'not_aligned', `must be a multiple of ${c.interval}${c.interval === '1w' ? ' starting on a Monday 00:00 UTC' : ''}`));
  }
  return out;
}

const keyOf = (c: { symbol: string; interval: string; openTime: Date }) => `${c.symbol}\u0000${c.interval}\u0000${c.openTime.getTime()}`;

export function createMarketDataService(deps: { storage: Storage; logger: Logger }): MarketDataService {
  const { storage, logger } = deps;
  const listeners = new Set<(candle: StoredCandle) => void | Promise<void>>();
  const last = new Map<string, { price: number; time: Date }>();

  const publish = async (candles: StoredCandle[]) => {
    for (const candle of candles) {
      const closeTime = new Date(candle.openTime.getTime() + intervalMs[candle.interval]);
      const seen = last.get(candle.symbol);
      if (!seen || seen.time.getTime() <= closeTime.getTime()) last.set(candle.symbol, { price: candle.close, time: closeTime });
      for (const listener of listeners) {
        try {
          await listener(candle);
        } catch (error) {
          // A failing subscriber must not undo stored data or starve the others.
          logger.error({ event: 'market.subscriber_failed', symbol: candle.symbol, error: error instanceof Error ? error.message : String(error) }, 'A market-data subscriber failed');
        }
      }
    }
  };

  return {
    async ingest(input) {
      const fields = input.flatMap(problemsOf);
      if (fields.length > 0) {
        throw new TradeplaneError('validation_failed', `${fields.length} problem(s) in the batch; nothing was stored`, { fields: fields.slice(0, MAX_FIELD_ERRORS) });
      }
      // The last copy of a bar within the batch wins, as a later re-send would.
      const distinct = new Map<string, CandleInput>();
      for (const c of input) {
        distinct.delete(keyOf(c));
        distinct.set(keyOf(c), c);
      }
      const rows: CandleRecord[] = [...distinct.values()].map((c) => ({ ...c }));
      await storage.transaction((repos) => repos.candles.upsert(rows));
      await publish([...distinct.values()].sort((a, b) => a.openTime.getTime() - b.openTime.getTime()));
      return { accepted: rows.length };
    },

    async candles(symbol, query) {
      const rows = await storage.repos.candles.list(symbol, query.interval, { from: query.from, to: query.to, limit: query.limit });
      return rows.map((r) => ({ ...r, interval: r.interval as CandleInterval }));
    },

    async ticker(symbol) {
      const stored = (await storage.repos.candles.intervals(symbol)) as CandleInterval[];
      if (stored.length === 0) throw new TradeplaneError('not_found', `No candles for ${symbol}`);
      const finest = stored.reduce((a, b) => (intervalMs[a] <= intervalMs[b] ? a : b));
      const [latest] = await storage.repos.candles.list(symbol, finest, { limit: 1, order: 'desc' });
      const closeTime = latest!.openTime.getTime() + intervalMs[finest];
      const window = await storage.repos.candles.list(symbol, finest, {
        from: new Date(closeTime - DAY),
        limit: Math.ceil(DAY / intervalMs[finest]) + 1,
      });
      const open24h = window[0]!.open;
      return {
        symbol,
        price: latest!.close,
        time: new Date(closeTime),
        interval: finest,
        open24h,
        high24h: Math.max(...window.map((c) => c.high)),
        low24h: Math.min(...window.map((c) => c.low)),
        volume24h: window.reduce((sum, c) => sum + c.volume, 0),
        change24h: latest!.close - open24h,
        changePercent24h: ((latest!.close - open24h) / open24h) * 100,
      };
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    lastPrice(symbol) {
      return last.get(symbol);
    },
  };
}
