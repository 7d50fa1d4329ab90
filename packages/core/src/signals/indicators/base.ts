import { TradeplaneError } from '../../errors.js';

/**
 * A streaming indicator: O(1) work per bar, a `value` once warmed up (`isStable`), and
 * `replace()` to revise the last bar while it is still forming (a live candle updates many times
 * before it closes; each revision must not count as a new bar).
 *
 * Subclasses implement `step(input, replacing)`: when `replacing` is true they first undo the
 * previous step (every subclass keeps exactly one step of undo state), then apply `input`.
 */
export abstract class Indicator<TInput, TOutput> {
  private current: TOutput | undefined;
  private bars = 0;

  /** The latest value, or `undefined` while the indicator is warming up. */
  get value(): TOutput | undefined {
    return this.current;
  }

  /** True once enough bars have been seen for `value` to be defined. */
  get isStable(): boolean {
    return this.current !== undefined;
  }

  /** Bars seen so far (a replace does not add one). */
  get count(): number {
    return this.bars;
  }

  /** Adds a closed bar (or the first revision of a forming one). Returns the new value. */
  update(input: TInput): TOutput | undefined {
    return this.record(this.step(input, false));
  }

  /** Stores the value of a new bar (subclasses with their own `update` call this). */
  protected record(value: TOutput | undefined): TOutput | undefined {
    this.current = value;
    this.bars++;
    return value;
  }

  /** Replaces the last bar given to `update` (the forming candle moved). Returns the new value. */
  replace(input: TInput): TOutput | undefined {
    if (this.bars === 0) {
      throw new TradeplaneError('validation_failed', `${this.describe()}: replace() needs a previous update()`);
    }
    this.current = this.step(input, true);
    return this.current;
  }

  /** A name for error messages, e.g. `SMA(20)`. */
  abstract describe(): string;

  protected abstract step(input: TInput, replacing: boolean): TOutput | undefined;
}

/**
 * A fixed-size ring of the last `size` values with one step of undo. `push` returns the value
 * that fell out (NaN until the ring is full).
 */
export class Ring {
  readonly values: Float64Array;
  private next = 0;
  private filled = 0;
  private undoNext = 0;
  private undoFilled = 0;
  private undoSlot = 0;

  constructor(readonly size: number) {
    this.values = new Float64Array(size);
  }

  get full(): boolean {
    return this.filled === this.size;
  }

  get length(): number {
    return this.filled;
  }

  /** Index in `values` the next push writes to (the oldest value once full). */
  get cursor(): number {
    return this.next;
  }

  push(value: number): number {
    this.undoNext = this.next;
    this.undoFilled = this.filled;
    this.undoSlot = this.values[this.next]!;
    const evicted = this.filled === this.size ? this.undoSlot : Number.NaN;
    this.values[this.next] = value;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
    if (this.filled < this.size) this.filled++;
    return evicted;
  }

  /** Takes back the last push. */
  undo(): void {
    this.next = this.undoNext;
    this.filled = this.undoFilled;
    this.values[this.next] = this.undoSlot;
  }

  /** The value pushed `back` pushes ago (0 = the latest). */
  at(back: number): number {
    let i = this.next - 1 - back;
    if (i < 0) i += this.size;
    return this.values[i]!;
  }

  /** Exact sum of the stored values (used to shed floating-point drift once per lap). */
  sum(): number {
    let s = 0;
    for (let i = 0; i < this.filled; i++) s += this.values[i]!;
    return s;
  }
}

/**
 * Runs `indicator` over `count` bars and writes each value (or NaN during warm-up) through
 * `write`: the batch helpers are this loop, so batch and streaming cannot disagree.
 */
export function runBatch<TInput, TOutput>(
  indicator: Indicator<TInput, TOutput>,
  count: number,
  input: (i: number) => TInput,
  write: (i: number, value: TOutput | undefined) => void,
): void {
  for (let i = 0; i < count; i++) write(i, indicator.update(input(i)));
}

/** A batch of single-valued results: NaN where the indicator was still warming up. */
export function batchSeries<TInput>(indicator: Indicator<TInput, number>, count: number, input: (i: number) => TInput): Float64Array {
  const out = new Float64Array(count);
  runBatch(indicator, count, input, (i, v) => {
    out[i] = v === undefined ? Number.NaN : v;
  });
  return out;
}
