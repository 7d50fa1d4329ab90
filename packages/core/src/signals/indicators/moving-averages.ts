import { priceOf, requirePeriod, type PriceInput } from '../candle.js';
import { batchSeries, Indicator, Ring } from './base.js';

/**
 * Simple moving average: the mean of the last `period` values. Stable after `period` values.
 * A running sum makes each update O(1); once per lap of the window the sum is recomputed exactly,
 * so floating-point drift cannot build up over millions of bars.
 */
export class SMA extends Indicator<PriceInput, number> {
  private readonly ring: Ring;
  private sum = 0;
  private undoSum = 0;

  constructor(readonly period: number) {
    super();
    requirePeriod(period, 'SMA');
    this.ring = new Ring(period);
  }

  describe(): string {
    return `SMA(${this.period})`;
  }

  protected step(input: PriceInput, replacing: boolean): number | undefined {
    const x = priceOf(input, this.describe());
    if (replacing) {
      this.ring.undo();
      this.sum = this.undoSum;
    }
    this.undoSum = this.sum;
    const evicted = this.ring.push(x);
    if (!this.ring.full) {
      this.sum += x;
      return undefined;
    }
    this.sum = this.ring.cursor === 0 ? this.ring.sum() : evicted === evicted ? this.sum + x - evicted : this.sum + x;
    return this.sum / this.period;
  }
}

/** How an exponential average starts. */
export type EmaSeed = 'sma' | 'first';

export interface EmaOptions {
  /**
   * `'sma'` (default, as TA-Lib): the first value is the SMA of the first `period` inputs, so
   * the EMA is stable after `period` values. `'first'` (as Tulip Indicators and most charting
   * tools' "EMA from bar one"): the first input is the seed and the EMA is stable at once.
   */
  seed?: EmaSeed;
}

/** Exponential smoothing with factor `alpha`, seeded per `seed`; shared by EMA and Wilder's average. */
abstract class Smoothing extends Indicator<PriceInput, number> {
  private readonly seedMode: EmaSeed;
  private seen = 0;
  private level = 0;
  private undoSeen = 0;
  private undoLevel = 0;

  constructor(
    readonly period: number,
    private readonly alpha: number,
    seed: EmaSeed,
  ) {
    super();
    this.seedMode = seed;
  }

  protected step(input: PriceInput, replacing: boolean): number | undefined {
    const x = priceOf(input, this.describe());
    if (replacing) {
      this.seen = this.undoSeen;
      this.level = this.undoLevel;
    }
    this.undoSeen = this.seen;
    this.undoLevel = this.level;
    this.seen++;
    if (this.seedMode === 'first') {
      this.level = this.seen === 1 ? x : this.level + this.alpha * (x - this.level);
      return this.level;
    }
    if (this.seen < this.period) {
      this.level += x; // the running sum of the seed window
      return undefined;
    }
    this.level = this.seen === this.period ? (this.level + x) / this.period : this.level + this.alpha * (x - this.level);
    return this.level;
  }
}

/**
 * Exponential moving average, α = 2 / (period + 1). Seeded by the SMA of the first `period`
 * values unless `{ seed: 'first' }`.
 */
export class EMA extends Smoothing {
  constructor(period: number, options: EmaOptions = {}) {
    requirePeriod(period, 'EMA');
    super(period, 2 / (period + 1), options.seed ?? 'sma');
  }

  describe(): string {
    return `EMA(${this.period})`;
  }
}

/**
 * Wilder's moving average (also called SMMA or RMA), α = 1 / period, seeded by the SMA of the
 * first `period` values. RSI and ATR smooth with it.
 */
export class WilderMA extends Smoothing {
  constructor(period: number) {
    requirePeriod(period, 'WilderMA');
    super(period, 1 / period, 'sma');
  }

  describe(): string {
    return `WilderMA(${this.period})`;
  }
}

/**
 * Weighted moving average: weights 1…period, the newest value heaviest. O(1) per update through
 * a running plain sum S and weighted sum W: on a full window, W' = W + period·x − S and
 * S' = S + x − evicted. Both are recomputed exactly once per lap.
 */
export class WMA extends Indicator<PriceInput, number> {
  private readonly ring: Ring;
  private readonly divisor: number;
  private sum = 0;
  private weighted = 0;
  private undoSum = 0;
  private undoWeighted = 0;

  constructor(readonly period: number) {
    super();
    requirePeriod(period, 'WMA');
    this.ring = new Ring(period);
    this.divisor = (period * (period + 1)) / 2;
  }

  describe(): string {
    return `WMA(${this.period})`;
  }

  protected step(input: PriceInput, replacing: boolean): number | undefined {
    const x = priceOf(input, this.describe());
    if (replacing) {
      this.ring.undo();
      this.sum = this.undoSum;
      this.weighted = this.undoWeighted;
    }
    this.undoSum = this.sum;
    this.undoWeighted = this.weighted;
    const wasFull = this.ring.full;
    const evicted = this.ring.push(x);
    if (!wasFull) {
      // Filling: the k-th value gets weight k for now; the weights are right once the window is full.
      this.sum += x;
      this.weighted += this.ring.length * x;
      return this.ring.full ? this.weighted / this.divisor : undefined;
    }
    if (this.ring.cursor === 0) {
      this.resum();
    } else {
      this.weighted += this.period * x - this.sum;
      this.sum += x - evicted;
    }
    return this.weighted / this.divisor;
  }

  private resum(): void {
    // The oldest value sits at the cursor; weights grow from 1 there to `period` at the newest.
    let s = 0;
    let w = 0;
    for (let k = 0; k < this.period; k++) {
      const v = this.ring.at(this.period - 1 - k);
      s += v;
      w += (k + 1) * v;
    }
    this.sum = s;
    this.weighted = w;
  }
}

/** SMA over an array: NaN for the first `period − 1` positions. */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  return batchSeries(new SMA(period), values.length, (i) => values[i]!);
}

/** EMA over an array: NaN while warming up. */
export function ema(values: ArrayLike<number>, period: number, options?: EmaOptions): Float64Array {
  return batchSeries(new EMA(period, options), values.length, (i) => values[i]!);
}

/** WMA over an array: NaN for the first `period − 1` positions. */
export function wma(values: ArrayLike<number>, period: number): Float64Array {
  return batchSeries(new WMA(period), values.length, (i) => values[i]!);
}

/** Wilder's moving average over an array. */
export function wilderMA(values: ArrayLike<number>, period: number): Float64Array {
  return batchSeries(new WilderMA(period), values.length, (i) => values[i]!);
}
