import { priceOf, requireFinite, requirePeriod, type PriceInput } from '../candle.js';
import { batchSeries, Indicator, Ring } from './base.js';

/**
 * Simple moving average: the mean of the last `period` values. Stable after `period` values.
 * A running sum makes each update O(1); once per lap of the window the sum is recomputed exactly,
 * so floating-point drift cannot build up over millions of bars.
 */
export class SMA extends Indicator<PriceInput, number> {
  // The ring of the last `period` values is inlined (not a Ring object): this is the hottest
  // indicator, and every field access through another object costs at these rates.
  private readonly window: Float64Array;
  private next = 0;
  private filled = 0;
  private sum = 0;
  private undoSum = 0;
  private undoNext = 0;
  private undoFilled = 0;
  private undoSlot = 0;

  constructor(readonly period: number) {
    super();
    requirePeriod(period, 'SMA');
    this.window = new Float64Array(period);
  }

  describe(): string {
    return `SMA(${this.period})`;
  }

  // Hot path: each hot indicator has its own update(), so the call to step() stays monomorphic
  // even when an application mixes many indicator classes.
  override update(input: PriceInput): number | undefined {
    return this.record(this.step(input, false));
  }

  protected step(input: PriceInput, replacing: boolean): number | undefined {
    const x = typeof input === 'number' ? input : input.close;
    if (x - x !== 0) priceOf(input, this.describe()); // throws the clear error for NaN/±Infinity
    const window = this.window;
    if (replacing) {
      this.next = this.undoNext;
      this.filled = this.undoFilled;
      window[this.next] = this.undoSlot;
      this.sum = this.undoSum;
    }
    const i = this.next;
    const evicted = window[i]!;
    this.undoSum = this.sum;
    this.undoNext = i;
    this.undoFilled = this.filled;
    this.undoSlot = evicted;
    window[i] = x;
    const next = i + 1 === this.period ? 0 : i + 1;
    this.next = next;
    if (this.filled < this.period) {
      this.filled++;
      if (this.filled < this.period) {
        this.sum += x;
        return undefined;
      }
      this.sum = exactSum(window); // just filled: the cursor is back at 0
    } else if (next === 0) {
      this.sum = exactSum(window); // once per lap, oldest first
    } else {
      this.sum = this.sum + x - evicted;
    }
    return this.sum / this.period;
  }
}

function exactSum(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
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

/**
 * Exponential smoothing with factor `alpha`, seeded per `seed`; shared by EMA and Wilder's
 * average. The steady-state update is three field writes, on par with the leanest libraries:
 * the bar count doubles as the warm-up state, and replace() needs only the previous level
 * (the count before the last update is always one less).
 */
abstract class Smoothing extends Indicator<PriceInput, number> {
  private readonly stableAt: number;
  private seen = 0;
  private level = 0;
  private undoLevel = 0;

  constructor(
    readonly period: number,
    private readonly alpha: number,
    seed: EmaSeed,
  ) {
    super();
    this.stableAt = seed === 'first' ? 1 : period;
  }

  override get value(): number | undefined {
    return this.seen >= this.stableAt ? this.level : undefined;
  }

  override get isStable(): boolean {
    return this.seen >= this.stableAt;
  }

  override get count(): number {
    return this.seen;
  }

  override update(input: PriceInput): number | undefined {
    const x = typeof input === 'number' ? input : input.close;
    if (x - x !== 0) priceOf(input, this.describe()); // throws the clear error for NaN/±Infinity
    const level = this.level;
    this.undoLevel = level;
    if (this.seen >= this.stableAt) {
      this.seen++;
      return (this.level = level + this.alpha * (x - level));
    }
    return this.warm(x);
  }

  override replace(input: PriceInput): number | undefined {
    if (this.seen === 0) return super.replace(input); // the base class explains the misuse
    const x = priceOf(input, this.describe()); // check before undoing anything
    this.seen--;
    this.level = this.undoLevel;
    return this.update(x);
  }

  protected step(input: PriceInput, replacing: boolean): number | undefined {
    return replacing ? this.replace(input) : this.update(input);
  }

  private warm(x: number): number | undefined {
    this.seen++;
    if (this.stableAt === 1) return (this.level = x); // seeded with the first value
    if (this.seen < this.period) {
      this.level += x; // the running sum of the seed window
      return undefined;
    }
    return (this.level = (this.level + x) / this.period);
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

/**
 * SMA over an array: NaN for the first `period − 1` positions. A tight loop written separately
 * from the streaming class (same arithmetic, in the same order, so the results are identical —
 * a property test holds the two together).
 */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  requirePeriod(period, 'SMA');
  const n = values.length;
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = finiteAt(values, i, 'SMA');
    if (i < period - 1) {
      sum += x;
      out[i] = Number.NaN;
      continue;
    }
    if ((i + 1) % period === 0) {
      // Once per lap: the exact sum of the window, oldest first (as the streaming ring does).
      sum = 0;
      for (let k = i - period + 1; k <= i; k++) sum += values[k]!;
    } else {
      sum = sum + x - values[i - period]!;
    }
    out[i] = sum / period;
  }
  return out;
}

/** EMA over an array: NaN while warming up. A tight loop, identical to streaming `EMA`. */
export function ema(values: ArrayLike<number>, period: number, options: EmaOptions = {}): Float64Array {
  requirePeriod(period, 'EMA');
  return smooth(values, period, 2 / (period + 1), options.seed ?? 'sma', 'EMA');
}

/** WMA over an array: NaN for the first `period − 1` positions. */
export function wma(values: ArrayLike<number>, period: number): Float64Array {
  return batchSeries(new WMA(period), values.length, (i) => values[i]!);
}

/** Wilder's moving average over an array. */
export function wilderMA(values: ArrayLike<number>, period: number): Float64Array {
  requirePeriod(period, 'WilderMA');
  return smooth(values, period, 1 / period, 'sma', 'WilderMA');
}

function smooth(values: ArrayLike<number>, period: number, alpha: number, seed: EmaSeed, what: string): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  let level = 0;
  for (let i = 0; i < n; i++) {
    const x = finiteAt(values, i, what);
    if (seed === 'first') {
      level = i === 0 ? x : level + alpha * (x - level);
    } else if (i < period - 1) {
      level += x;
      out[i] = Number.NaN;
      continue;
    } else {
      level = i === period - 1 ? (level + x) / period : level + alpha * (x - level);
    }
    out[i] = level;
  }
  return out;
}

/** `values[i]`, refused with the indicator's clear error unless finite. */
export function finiteAt(values: ArrayLike<number>, i: number, what: string): number {
  const x = values[i]!;
  // x − x is 0 for every finite number and NaN for NaN and ±Infinity.
  if (x - x !== 0) requireFinite(x, what, `values[${i}]`);
  return x;
}
