import { priceOf, requirePeriod, type PriceInput } from '../candle.js';
import { TradeplaneError } from '../../errors.js';
import { Indicator, runBatch } from './base.js';
import { EMA, finiteAt, type EmaSeed } from './moving-averages.js';

/**
 * Relative Strength Index (Wilder). Changes dₜ = xₜ − xₜ₋₁ split into gains and losses; the first
 * averages are the plain means of the first `period` changes, then Wilder smoothing
 * (α = 1/period): avg = (avg·(period − 1) + current) / period. RSI = 100 · avgGain / (avgGain +
 * avgLoss), which is 100 − 100 / (1 + RS) written so that avgLoss = 0 gives 100 without dividing
 * by zero. A perfectly flat window (both averages 0) reads 50. Stable after `period + 1` values
 * (as TA-Lib and Tulip Indicators).
 */
export class RSI extends Indicator<PriceInput, number> {
  private previous = Number.NaN;
  private changes = 0;
  private gain = 0;
  private loss = 0;
  private undoPrevious = Number.NaN;
  private undoChanges = 0;
  private undoGain = 0;
  private undoLoss = 0;

  constructor(readonly period: number) {
    super();
    requirePeriod(period, 'RSI');
  }

  describe(): string {
    return `RSI(${this.period})`;
  }

  // Hot path: its own update() keeps the call to step() monomorphic (see SMA).
  override update(input: PriceInput): number | undefined {
    return this.record(this.step(input, false));
  }

  protected step(input: PriceInput, replacing: boolean): number | undefined {
    const x = priceOf(input, this.describe());
    if (replacing) {
      this.previous = this.undoPrevious;
      this.changes = this.undoChanges;
      this.gain = this.undoGain;
      this.loss = this.undoLoss;
    } else {
      this.undoPrevious = this.previous;
      this.undoChanges = this.changes;
      this.undoGain = this.gain;
      this.undoLoss = this.loss;
    }
    if (this.previous !== this.previous) {
      this.previous = x;
      return undefined;
    }
    const d = x - this.previous;
    this.previous = x;
    const up = d > 0 ? d : 0;
    const down = d < 0 ? -d : 0;
    const n = this.period;
    this.changes++;
    if (this.changes < n) {
      this.gain += up;
      this.loss += down;
      return undefined;
    }
    if (this.changes === n) {
      this.gain = (this.gain + up) / n;
      this.loss = (this.loss + down) / n;
    } else {
      this.gain = (this.gain * (n - 1) + up) / n;
      this.loss = (this.loss * (n - 1) + down) / n;
    }
    const total = this.gain + this.loss;
    return total === 0 ? 50 : (100 * this.gain) / total;
  }
}

export interface MacdOptions {
  fast?: number;
  slow?: number;
  signal?: number;
  /** How the three EMAs start (see `EmaOptions.seed`); default `'sma'`. */
  seed?: EmaSeed;
}

export interface MacdValue {
  macd: number;
  signal: number;
  histogram: number;
}

/**
 * MACD: line = EMA(fast) − EMA(slow); signal = EMA(signal) of the line; histogram = line −
 * signal. Defaults 12/26/9. The line starts on bar `slow − 1` (the first bar with a seeded slow
 * EMA) and only from there feeds the signal EMA, in both seeding modes — so with `seed: 'sma'`
 * the first value is on bar `slow + signal − 2`, and with `seed: 'first'` on bar `slow − 1`
 * (Tulip Indicators' convention). Unlike TA-Lib, the fast EMA is seeded from the first `fast`
 * bars, not re-aligned to the slow one (the textbook/StockCharts definition).
 */
export class MACD extends Indicator<PriceInput, MacdValue> {
  readonly fast: number;
  readonly slow: number;
  readonly signalPeriod: number;
  private readonly fastEma: EMA;
  private readonly slowEma: EMA;
  private readonly signalEma: EMA;
  private bar = 0;
  private undoBar = 0;

  constructor(options: MacdOptions = {}) {
    super();
    this.fast = requirePeriod(options.fast ?? 12, 'MACD', 'fast');
    this.slow = requirePeriod(options.slow ?? 26, 'MACD', 'slow');
    this.signalPeriod = requirePeriod(options.signal ?? 9, 'MACD', 'signal');
    if (this.fast >= this.slow) {
      throw new TradeplaneError('validation_failed', `MACD: fast (${this.fast}) must be shorter than slow (${this.slow})`, {
        fields: [{ in: 'body', path: 'fast', code: 'fast_not_below_slow', message: 'fast must be below slow' }],
      });
    }
    const seed = options.seed ?? 'sma';
    this.fastEma = new EMA(this.fast, { seed });
    this.slowEma = new EMA(this.slow, { seed });
    this.signalEma = new EMA(this.signalPeriod, { seed });
  }

  describe(): string {
    return `MACD(${this.fast},${this.slow},${this.signalPeriod})`;
  }

  protected step(input: PriceInput, replacing: boolean): MacdValue | undefined {
    const x = priceOf(input, this.describe());
    if (replacing) this.bar = this.undoBar;
    this.undoBar = this.bar;
    const f = replacing ? this.fastEma.replace(x) : this.fastEma.update(x);
    const s = replacing ? this.slowEma.replace(x) : this.slowEma.update(x);
    const bar = this.bar++;
    if (bar < this.slow - 1 || f === undefined || s === undefined) return undefined;
    const line = f - s;
    // A replaced bar at or after `slow − 1` was fed to the signal EMA by its update, so replace there too.
    const signal = replacing ? this.signalEma.replace(line) : this.signalEma.update(line);
    if (signal === undefined) return undefined;
    return { macd: line, signal, histogram: line - signal };
  }
}

/** RSI over an array: NaN for the first `period` positions. A tight loop, identical to streaming `RSI`. */
export function rsi(values: ArrayLike<number>, period: number): Float64Array {
  requirePeriod(period, 'RSI');
  const n = values.length;
  const out = new Float64Array(n);
  let gain = 0;
  let loss = 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const x = finiteAt(values, i, 'RSI');
    if (i === 0) {
      previous = x;
      out[0] = Number.NaN;
      continue;
    }
    const d = x - previous;
    previous = x;
    const up = d > 0 ? d : 0;
    const down = d < 0 ? -d : 0;
    if (i < period) {
      gain += up;
      loss += down;
      out[i] = Number.NaN;
      continue;
    }
    if (i === period) {
      gain = (gain + up) / period;
      loss = (loss + down) / period;
    } else {
      gain = (gain * (period - 1) + up) / period;
      loss = (loss * (period - 1) + down) / period;
    }
    const total = gain + loss;
    out[i] = total === 0 ? 50 : (100 * gain) / total;
  }
  return out;
}

/** MACD over an array: three aligned series, NaN while warming up. */
export function macd(values: ArrayLike<number>, options?: MacdOptions): { macd: Float64Array; signal: Float64Array; histogram: Float64Array } {
  const n = values.length;
  const out = { macd: new Float64Array(n), signal: new Float64Array(n), histogram: new Float64Array(n) };
  runBatch(new MACD(options), n, (i) => values[i]!, (i, v) => {
    out.macd[i] = v ? v.macd : Number.NaN;
    out.signal[i] = v ? v.signal : Number.NaN;
    out.histogram[i] = v ? v.histogram : Number.NaN;
  });
  return out;
}
