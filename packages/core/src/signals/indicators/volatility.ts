import { priceOf, rangeOf, requireFinite, requirePeriod, type PriceInput, type RangeInput } from '../candle.js';
import { TradeplaneError } from '../../errors.js';
import { Indicator, Ring, runBatch, batchSeries } from './base.js';
import { WilderMA } from './moving-averages.js';

export interface BollingerOptions {
  period?: number;
  /** Band width in standard deviations; default 2. */
  k?: number;
}

export interface BollingerValue {
  upper: number;
  middle: number;
  lower: number;
  /** The population standard deviation of the window (divisor `period`, as Bollinger defines it). */
  deviation: number;
}

/**
 * Bollinger Bands: middle = SMA(period), bands = middle ± k·σ with σ the population standard
 * deviation of the same window. Defaults 20 and 2. The mean and the sum of squared deviations
 * (M2) are updated in O(1) per bar with the exact add/replace formulas (no Σx² − (Σx)²/n
 * cancellation), and recomputed from the window once per lap.
 */
export class BollingerBands extends Indicator<PriceInput, BollingerValue> {
  readonly period: number;
  readonly k: number;
  private readonly ring: Ring;
  private mean = 0;
  private m2 = 0;
  private undoMean = 0;
  private undoM2 = 0;
  // Length of the current run of identical values: a window of them has σ = 0 exactly, which the
  // rounding residue of the O(1) update would otherwise turn into √(tiny) ≈ 1e-8·price.
  private run = 0;
  private undoRun = 0;

  constructor(options: BollingerOptions = {}) {
    super();
    this.period = requirePeriod(options.period ?? 20, 'BollingerBands');
    this.k = requireFinite(options.k ?? 2, 'BollingerBands', 'k');
    if (this.k < 0) throw new TradeplaneError('validation_failed', 'BollingerBands: k must not be negative');
    this.ring = new Ring(this.period);
  }

  describe(): string {
    return `BollingerBands(${this.period},${this.k})`;
  }

  protected step(input: PriceInput, replacing: boolean): BollingerValue | undefined {
    const x = priceOf(input, this.describe());
    if (replacing) {
      this.ring.undo();
      this.mean = this.undoMean;
      this.m2 = this.undoM2;
      this.run = this.undoRun;
    }
    this.undoMean = this.mean;
    this.undoM2 = this.m2;
    this.undoRun = this.run;
    this.run = this.run > 0 && this.ring.at(0) === x ? this.run + 1 : 1;
    const wasFull = this.ring.full;
    const old = this.ring.push(x);
    if (!wasFull) {
      // Welford's update while the window fills.
      const delta = x - this.mean;
      this.mean += delta / this.ring.length;
      this.m2 += delta * (x - this.mean);
      if (!this.ring.full) return undefined;
    } else if (this.ring.cursor === 0) {
      this.recompute();
    } else {
      const previousMean = this.mean;
      this.mean += (x - old) / this.period;
      this.m2 += (x - old) * (x - this.mean + old - previousMean);
    }
    if (this.run >= this.period) {
      this.mean = x;
      this.m2 = 0;
    }
    const deviation = Math.sqrt(Math.max(0, this.m2 / this.period));
    const width = this.k * deviation;
    return { upper: this.mean + width, middle: this.mean, lower: this.mean - width, deviation };
  }

  private recompute(): void {
    const values = this.ring.values;
    const mean = this.ring.sum() / this.period;
    let m2 = 0;
    for (let i = 0; i < this.period; i++) m2 += (values[i]! - mean) * (values[i]! - mean);
    this.mean = mean;
    this.m2 = m2;
  }
}

/**
 * Average True Range (Wilder). True range = max(high − low, |high − previous close|, |low −
 * previous close|); the first bar, having no previous close, counts high − low (Wilder's and
 * Tulip Indicators' convention; TA-Lib instead skips it). ATR = Wilder's average of the true
 * ranges, seeded by their plain mean over the first `period` bars: stable on bar `period − 1`.
 */
export class ATR extends Indicator<RangeInput, number> {
  private readonly smoothing: WilderMA;
  private previousClose = Number.NaN;
  private undoPreviousClose = Number.NaN;

  constructor(readonly period: number) {
    super();
    requirePeriod(period, 'ATR');
    this.smoothing = new WilderMA(period);
  }

  describe(): string {
    return `ATR(${this.period})`;
  }

  /** The true range of a bar given the previous close (NaN for none). */
  static trueRange(bar: RangeInput, previousClose: number): number {
    const range = bar.high - bar.low;
    if (previousClose !== previousClose) return range;
    return Math.max(range, Math.abs(bar.high - previousClose), Math.abs(bar.low - previousClose));
  }

  protected step(input: RangeInput, replacing: boolean): number | undefined {
    const bar = rangeOf(input, this.describe());
    if (replacing) this.previousClose = this.undoPreviousClose;
    this.undoPreviousClose = this.previousClose;
    const tr = ATR.trueRange(bar, this.previousClose);
    this.previousClose = bar.close;
    return replacing ? this.smoothing.replace(tr) : this.smoothing.update(tr);
  }
}

/** Bollinger Bands over an array: aligned series, NaN while warming up. */
export function bollinger(
  values: ArrayLike<number>,
  options?: BollingerOptions,
): { upper: Float64Array; middle: Float64Array; lower: Float64Array } {
  const n = values.length;
  const out = { upper: new Float64Array(n), middle: new Float64Array(n), lower: new Float64Array(n) };
  runBatch(new BollingerBands(options), n, (i) => values[i]!, (i, v) => {
    out.upper[i] = v ? v.upper : Number.NaN;
    out.middle[i] = v ? v.middle : Number.NaN;
    out.lower[i] = v ? v.lower : Number.NaN;
  });
  return out;
}

/** Columns of bar data, as typed arrays or plain arrays. */
export interface RangeColumns {
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
}

/** ATR over columns of high/low/close: NaN for the first `period − 1` positions. */
export function atr(bars: RangeColumns, period: number): Float64Array {
  const bar = { high: 0, low: 0, close: 0 };
  return batchSeries(new ATR(period), bars.close.length, (i) => {
    bar.high = bars.high[i]!;
    bar.low = bars.low[i]!;
    bar.close = bars.close[i]!;
    return bar;
  });
}
