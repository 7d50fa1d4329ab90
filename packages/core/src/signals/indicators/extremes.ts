import { TradeplaneError } from '../../errors.js';
import { priceOf, rangeOf, requireFinite, requirePeriod, type Candle, type PriceInput, type RangeInput } from '../candle.js';
import { batchSeries, Indicator, runBatch } from './base.js';
import { EMA, SMA } from './moving-averages.js';

/**
 * Rolling extreme over the last `period` bars with a monotonic deque: each bar enters once and
 * leaves at most once, so updates are amortised O(1). `index` is the bar number (0-based, as
 * counted by `update`) of the extreme; among equal values the most recent one wins.
 */
abstract class RollingExtreme extends Indicator<number | Pick<Candle, 'high' | 'low' | 'close'>, number> {
  private readonly values: Float64Array; // by bar number modulo period + 1
  private readonly deque: Float64Array; // bar numbers, circular
  private head = 0;
  private size = 0;
  private bar = 0;
  private extremeIndex = -1;
  // One step of undo.
  private undoHead = 0;
  private undoSize = 0;
  private undoBar = 0;
  private undoExtremeIndex = -1;
  private undoDequeSlot = 0;
  private undoDequeValue = 0;
  private undoValueSlot = 0;
  private undoValue = 0;

  constructor(
    readonly period: number,
    private readonly highest: boolean,
  ) {
    super();
    this.values = new Float64Array(period + 1);
    this.deque = new Float64Array(period + 1);
  }

  /** Bar number of the current extreme, or −1 before the first bar. */
  get index(): number {
    return this.extremeIndex;
  }

  protected abstract pick(input: number | Pick<Candle, 'high' | 'low' | 'close'>): number;

  protected step(input: number | Pick<Candle, 'high' | 'low' | 'close'>, replacing: boolean): number | undefined {
    const v = this.pick(input);
    const cap = this.period + 1;
    if (replacing) {
      this.head = this.undoHead;
      this.size = this.undoSize;
      this.bar = this.undoBar;
      this.extremeIndex = this.undoExtremeIndex;
      this.deque[this.undoDequeSlot] = this.undoDequeValue;
      this.values[this.undoValueSlot] = this.undoValue;
    }
    this.undoHead = this.head;
    this.undoSize = this.size;
    this.undoBar = this.bar;
    this.undoExtremeIndex = this.extremeIndex;

    const i = this.bar++;
    const slot = i % cap;
    this.undoValueSlot = slot;
    this.undoValue = this.values[slot]!;
    this.values[slot] = v;

    // Drop dominated bars from the back (they can never be the extreme again).
    while (this.size > 0) {
      const back = this.deque[(this.head + this.size - 1) % cap]!;
      const w = this.values[back % cap]!;
      if (this.highest ? w <= v : w >= v) this.size--;
      else break;
    }
    const tail = (this.head + this.size) % cap;
    this.undoDequeSlot = tail;
    this.undoDequeValue = this.deque[tail]!;
    this.deque[tail] = i;
    this.size++;
    // Drop the front once it leaves the window.
    if (this.deque[this.head]! <= i - this.period) {
      this.head = (this.head + 1) % cap;
      this.size--;
    }
    this.extremeIndex = this.deque[this.head]!;
    return i >= this.period - 1 ? this.values[this.extremeIndex % cap]! : undefined;
  }
}

/** Highest value (or candle high) of the last `period` bars. */
export class Highest extends RollingExtreme {
  constructor(period: number) {
    requirePeriod(period, 'Highest');
    super(period, true);
  }
  describe(): string {
    return `Highest(${this.period})`;
  }
  protected pick(input: number | Pick<Candle, 'high' | 'low' | 'close'>): number {
    return typeof input === 'number' ? requireFinite(input, this.describe(), 'value') : rangeOf(input, this.describe()).high;
  }
}

/** Lowest value (or candle low) of the last `period` bars. */
export class Lowest extends RollingExtreme {
  constructor(period: number) {
    requirePeriod(period, 'Lowest');
    super(period, false);
  }
  describe(): string {
    return `Lowest(${this.period})`;
  }
  protected pick(input: number | Pick<Candle, 'high' | 'low' | 'close'>): number {
    return typeof input === 'number' ? requireFinite(input, this.describe(), 'value') : rangeOf(input, this.describe()).low;
  }
}

export interface SupportResistanceOptions {
  /** Bars before a pivot that it must be at least as extreme as; default 2. */
  left?: number;
  /** Bars after a pivot that it must be strictly more extreme than; default 2 (a pivot is confirmed `right` bars late). */
  right?: number;
}

export interface SupportResistanceValue {
  /** The low of the most recent confirmed pivot low. */
  support: number;
  /** The high of the most recent confirmed pivot high. */
  resistance: number;
  /** Bar numbers of those pivots. */
  supportIndex: number;
  resistanceIndex: number;
}

/**
 * Support and resistance from swing pivots (Williams fractals generalised): bar m is a pivot high
 * when its high is ≥ the highs of the `left` bars before it and > the highs of the `right` bars
 * after it (a pivot low mirrors that with lows). A pivot is only known `right` bars later, so the
 * levels never look ahead. The value is the latest pivot high (resistance) and pivot low
 * (support); it is defined once one of each has been confirmed.
 */
export class SupportResistance extends Indicator<RangeInput, SupportResistanceValue> {
  readonly left: number;
  readonly right: number;
  private readonly highs: Highest;
  private readonly lows: Lowest;
  private readonly highWindow: Float64Array;
  private readonly lowWindow: Float64Array;
  private bar = 0;
  private level: SupportResistanceValue = { support: Number.NaN, resistance: Number.NaN, supportIndex: -1, resistanceIndex: -1 };
  private undoLevel = this.level;

  constructor(options: SupportResistanceOptions = {}) {
    super();
    this.left = requirePeriod(options.left ?? 2, 'SupportResistance', 'left', 0);
    this.right = requirePeriod(options.right ?? 2, 'SupportResistance', 'right', 0);
    const width = this.left + this.right + 1;
    this.highs = new Highest(width);
    this.lows = new Lowest(width);
    this.highWindow = new Float64Array(width);
    this.lowWindow = new Float64Array(width);
  }

  describe(): string {
    return `SupportResistance(${this.left},${this.right})`;
  }

  protected step(input: RangeInput, replacing: boolean): SupportResistanceValue | undefined {
    const bar = rangeOf(input, this.describe());
    const width = this.left + this.right + 1;
    if (replacing) {
      this.bar--;
      this.level = this.undoLevel;
    }
    this.undoLevel = this.level;
    const i = this.bar++;
    this.highWindow[i % width] = bar.high;
    this.lowWindow[i % width] = bar.low;
    if (replacing) {
      this.highs.replace(bar.high);
      this.lows.replace(bar.low);
    } else {
      this.highs.update(bar.high);
      this.lows.update(bar.low);
    }
    const middle = i - this.right;
    if (i >= width - 1) {
      let next = this.level;
      if (this.highs.index === middle) next = { ...next, resistance: this.highWindow[middle % width]!, resistanceIndex: middle };
      if (this.lows.index === middle) next = { ...next, support: this.lowWindow[middle % width]!, supportIndex: middle };
      this.level = next;
    }
    return this.level.supportIndex >= 0 && this.level.resistanceIndex >= 0 ? this.level : undefined;
  }
}

export interface CrossoverOptions {
  /** Moving-average type for both lines; default `'ema'`. */
  type?: 'sma' | 'ema';
}

export interface CrossoverValue {
  fast: number;
  slow: number;
  /** `'up'` on the bar the fast line closes above the slow one (golden cross), `'down'` for the reverse, else null. */
  cross: 'up' | 'down' | null;
}

/**
 * Moving-average crossover detector. A cross is reported on the bar where the sign of fast − slow
 * changes from the previous bar's (touching, a zero difference, is not a cross until the lines
 * part). Stable once both averages are.
 */
export class MACrossover extends Indicator<PriceInput, CrossoverValue> {
  private readonly fastLine: SMA | EMA;
  private readonly slowLine: SMA | EMA;
  private side = 0; // sign of the last non-zero fast − slow
  private undoSide = 0;

  constructor(
    readonly fast: number,
    readonly slow: number,
    options: CrossoverOptions = {},
  ) {
    super();
    requirePeriod(fast, 'MACrossover', 'fast');
    requirePeriod(slow, 'MACrossover', 'slow');
    if (fast >= slow) {
      throw new TradeplaneError('validation_failed', `MACrossover: fast (${fast}) must be shorter than slow (${slow})`, {
        fields: [{ in: 'body', path: 'fast', code: 'fast_not_below_slow', message: 'fast must be below slow' }],
      });
    }
    const make = (p: number) => (options.type === 'sma' ? new SMA(p) : new EMA(p));
    this.fastLine = make(fast);
    this.slowLine = make(slow);
  }

  describe(): string {
    return `MACrossover(${this.fast},${this.slow})`;
  }

  protected step(input: PriceInput, replacing: boolean): CrossoverValue | undefined {
    const x = priceOf(input, this.describe());
    if (replacing) this.side = this.undoSide;
    this.undoSide = this.side;
    const f = replacing ? this.fastLine.replace(x) : this.fastLine.update(x);
    const s = replacing ? this.slowLine.replace(x) : this.slowLine.update(x);
    if (f === undefined || s === undefined) return undefined;
    const d = f - s;
    const sign = d > 0 ? 1 : d < 0 ? -1 : 0;
    let cross: CrossoverValue['cross'] = null;
    if (sign !== 0) {
      if (this.side !== 0 && sign !== this.side) cross = sign > 0 ? 'up' : 'down';
      this.side = sign;
    }
    return { fast: f, slow: s, cross };
  }
}

/** Highest over an array (NaN for the first `period − 1` positions). */
export function highest(values: ArrayLike<number>, period: number): Float64Array {
  return batchSeries(new Highest(period), values.length, (i) => values[i]!);
}

/** Lowest over an array (NaN for the first `period − 1` positions). */
export function lowest(values: ArrayLike<number>, period: number): Float64Array {
  return batchSeries(new Lowest(period), values.length, (i) => values[i]!);
}

/** Crossovers over an array: +1 on an up-cross, −1 on a down-cross, 0 otherwise. */
export function crossovers(values: ArrayLike<number>, fast: number, slow: number, options?: CrossoverOptions): Int8Array {
  const out = new Int8Array(values.length);
  runBatch(new MACrossover(fast, slow, options), values.length, (i) => values[i]!, (i, v) => {
    out[i] = v?.cross === 'up' ? 1 : v?.cross === 'down' ? -1 : 0;
  });
  return out;
}

/** Support/resistance over columns of high/low/close: the levels in force at each bar (NaN before). */
export function supportResistance(
  bars: { high: ArrayLike<number>; low: ArrayLike<number>; close: ArrayLike<number> },
  options?: SupportResistanceOptions,
): { support: Float64Array; resistance: Float64Array } {
  const n = bars.close.length;
  const out = { support: new Float64Array(n), resistance: new Float64Array(n) };
  const bar = { high: 0, low: 0, close: 0 };
  runBatch(
    new SupportResistance(options),
    n,
    (i) => {
      bar.high = bars.high[i]!;
      bar.low = bars.low[i]!;
      bar.close = bars.close[i]!;
      return bar;
    },
    (i, v) => {
      out.support[i] = v ? v.support : Number.NaN;
      out.resistance[i] = v ? v.resistance : Number.NaN;
    },
  );
  return out;
}
