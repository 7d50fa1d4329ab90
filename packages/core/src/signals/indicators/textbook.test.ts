/**
 * Every indicator against a slow implementation written straight from its definition (no
 * running sums, no deques, no undo), on random series, within 1e-9; and the streaming API's
 * `replace()` against a clean batch run of the final bars.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTradeplaneError } from '../../errors.js';
import {
  ATR,
  BollingerBands,
  EMA,
  Highest,
  Lowest,
  MACD,
  MACrossover,
  RSI,
  SMA,
  SupportResistance,
  WMA,
  atr,
  bollinger,
  crossovers,
  ema,
  highest,
  lowest,
  macd,
  rsi,
  sma,
  supportResistance,
  wilderMA,
  WilderMA,
  wma,
  type Indicator,
} from './index.js';

// ---- textbook definitions -------------------------------------------------------------------

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const windowAt = (xs: number[], i: number, n: number) => xs.slice(i - n + 1, i + 1);

function textbookSma(xs: number[], n: number): number[] {
  return xs.map((_, i) => (i < n - 1 ? NaN : mean(windowAt(xs, i, n))));
}

function textbookEma(xs: number[], n: number): number[] {
  const a = 2 / (n + 1);
  const out: number[] = [];
  let level = NaN;
  xs.forEach((x, i) => {
    if (i < n - 1) return out.push(NaN);
    level = i === n - 1 ? mean(xs.slice(0, n)) : a * x + (1 - a) * level;
    out.push(level);
  });
  return out;
}

function textbookWma(xs: number[], n: number): number[] {
  return xs.map((_, i) => {
    if (i < n - 1) return NaN;
    const w = windowAt(xs, i, n);
    return w.reduce((s, x, k) => s + (k + 1) * x, 0) / ((n * (n + 1)) / 2);
  });
}

function textbookRsi(xs: number[], n: number): number[] {
  const out: number[] = [NaN];
  let g = 0;
  let l = 0;
  for (let i = 1; i < xs.length; i++) {
    if (i < n) {
      out.push(NaN);
      continue;
    }
    const changes = (from: number, to: number) => xs.slice(from, to + 1).map((x, k, arr) => (k === 0 ? 0 : x - arr[k - 1]!)).slice(1);
    if (i === n) {
      const d = changes(0, n);
      g = mean(d.map((c) => Math.max(c, 0)));
      l = mean(d.map((c) => Math.max(-c, 0)));
    } else {
      const c = xs[i]! - xs[i - 1]!;
      g = (g * (n - 1) + Math.max(c, 0)) / n;
      l = (l * (n - 1) + Math.max(-c, 0)) / n;
    }
    out.push(g + l === 0 ? 50 : 100 - 100 / (1 + g / l));
  }
  return out;
}

function textbookBollinger(xs: number[], n: number, k: number) {
  return xs.map((_, i) => {
    if (i < n - 1) return undefined;
    const w = windowAt(xs, i, n);
    const m = mean(w);
    const sd = Math.sqrt(mean(w.map((x) => (x - m) ** 2)));
    return { upper: m + k * sd, middle: m, lower: m - k * sd };
  });
}

function textbookAtr(h: number[], l: number[], c: number[], n: number): number[] {
  const tr = h.map((hi, i) => (i === 0 ? hi - l[i]! : Math.max(hi - l[i]!, Math.abs(hi - c[i - 1]!), Math.abs(l[i]! - c[i - 1]!))));
  const out: number[] = [];
  let level = NaN;
  tr.forEach((t, i) => {
    if (i < n - 1) return out.push(NaN);
    level = i === n - 1 ? mean(tr.slice(0, n)) : (level * (n - 1) + t) / n;
    out.push(level);
  });
  return out;
}

function textbookMacd(xs: number[], fast: number, slow: number, signal: number) {
  const f = textbookEma(xs, fast);
  const s = textbookEma(xs, slow);
  const line = xs.map((_, i) => f[i]! - s[i]!).slice(slow - 1);
  const sig = textbookEma(line, signal);
  return xs.map((_, i) => {
    const j = i - (slow - 1);
    if (j < 0 || Number.isNaN(sig[j]!)) return undefined;
    return { macd: line[j]!, signal: sig[j]!, histogram: line[j]! - sig[j]! };
  });
}

function textbookLevels(h: number[], l: number[], left: number, right: number) {
  let support = NaN;
  let resistance = NaN;
  return h.map((_, i) => {
    const m = i - right;
    if (m - left >= 0) {
      const before = (xs: number[]) => xs.slice(m - left, m);
      const after = (xs: number[]) => xs.slice(m + 1, i + 1);
      if (before(h).every((x) => h[m]! >= x) && after(h).every((x) => h[m]! > x)) resistance = h[m]!;
      if (before(l).every((x) => l[m]! <= x) && after(l).every((x) => l[m]! < x)) support = l[m]!;
    }
    return Number.isNaN(support) || Number.isNaN(resistance) ? undefined : { support, resistance };
  });
}

// ---- generators -----------------------------------------------------------------------------

/** A random walk of prices, sometimes with flat stretches and repeated values (ties matter for extremes). */
const prices = (min = 1, max = 160) =>
  fc
    .tuple(fc.double({ min: 5, max: 5000, noNaN: true }), fc.array(fc.oneof(fc.double({ min: -0.05, max: 0.05, noNaN: true }), fc.constant(0)), { minLength: min, maxLength: max }))
    .map(([start, steps]) => {
      const out = [start];
      for (const s of steps) out.push(Math.round(out[out.length - 1]! * (1 + s) * 100) / 100 || 0.01);
      return out;
    });

const bars = (max = 120) =>
  prices(1, max).chain((closes) =>
    fc.tuple(fc.array(fc.double({ min: 0, max: 0.03, noNaN: true }), { minLength: closes.length, maxLength: closes.length }), fc.array(fc.double({ min: 0, max: 0.03, noNaN: true }), { minLength: closes.length, maxLength: closes.length })).map(([up, down]) => ({
      close: closes,
      high: closes.map((c, i) => Math.round(c * (1 + up[i]!) * 100) / 100),
      low: closes.map((c, i) => Math.round(c * (1 - down[i]!) * 100) / 100),
    })),
  );

const period = fc.integer({ min: 1, max: 30 });

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(e)) expect(a, `index ${i}`).toBeNaN();
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
  }
}

// ---- the cross-checks -----------------------------------------------------------------------

describe('against textbook implementations (1e-9)', () => {
  it('SMA, EMA (SMA-seeded), WMA', () => {
    fc.assert(
      fc.property(prices(), period, (xs, n) => {
        expectClose(sma(xs, n), textbookSma(xs, n));
        expectClose(ema(xs, n), textbookEma(xs, n));
        expectClose(wma(xs, n), textbookWma(xs, n));
      }),
    );
  });

  it('SMA and WMA stay exact over many laps of the window (drift is shed every lap)', () => {
    const xs = Array.from({ length: 20_000 }, (_, i) => 1000 + 50 * Math.sin(i / 7) + (i % 13) * 0.37);
    const fast = sma(xs, 20);
    const fastW = wma(xs, 20);
    for (const i of [19, 5_000, 12_345, 19_999]) {
      expect(Math.abs(fast[i]! - textbookSma(xs.slice(i - 19, i + 1), 20)[19]!)).toBeLessThan(1e-9);
      expect(Math.abs(fastW[i]! - textbookWma(xs.slice(i - 19, i + 1), 20)[19]!)).toBeLessThan(1e-9);
    }
  });

  it('RSI (Wilder)', () => {
    fc.assert(fc.property(prices(), period, (xs, n) => expectClose(rsi(xs, n), textbookRsi(xs, n))));
  });

  it('Bollinger Bands', () => {
    fc.assert(
      fc.property(prices(), period, fc.double({ min: 0, max: 4, noNaN: true }), (xs, n, k) => {
        const got = bollinger(xs, { period: n, k });
        const want = textbookBollinger(xs, n, k);
        expectClose(got.middle, want.map((w) => w?.middle ?? NaN));
        expectClose(got.upper, want.map((w) => w?.upper ?? NaN));
        expectClose(got.lower, want.map((w) => w?.lower ?? NaN));
      }),
    );
  });

  it('ATR', () => {
    fc.assert(fc.property(bars(), period, (b, n) => expectClose(atr(b, n), textbookAtr(b.high, b.low, b.close, n))));
  });

  it('MACD', () => {
    fc.assert(
      fc.property(prices(30, 160), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 9 }), (xs, fast, extra, signal) => {
        const slow = fast + extra;
        const got = macd(xs, { fast, slow, signal });
        const want = textbookMacd(xs, fast, slow, signal);
        expectClose(got.macd, want.map((w) => w?.macd ?? NaN));
        expectClose(got.signal, want.map((w) => w?.signal ?? NaN));
        expectClose(got.histogram, want.map((w) => w?.histogram ?? NaN));
      }),
    );
  });

  it('rolling highest and lowest', () => {
    fc.assert(
      fc.property(prices(), period, (xs, n) => {
        expectClose(highest(xs, n), xs.map((_, i) => (i < n - 1 ? NaN : Math.max(...windowAt(xs, i, n)))));
        expectClose(lowest(xs, n), xs.map((_, i) => (i < n - 1 ? NaN : Math.min(...windowAt(xs, i, n)))));
      }),
    );
  });

  it('support and resistance from swing pivots', () => {
    fc.assert(
      fc.property(bars(), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), (b, left, right) => {
        const got = supportResistance(b, { left, right });
        const want = textbookLevels(b.high, b.low, left, right);
        expectClose(got.support, want.map((w) => w?.support ?? NaN));
        expectClose(got.resistance, want.map((w) => w?.resistance ?? NaN));
      }),
    );
  });

  it('moving-average crossovers', () => {
    // Integer prices keep every SMA sum exact, so the sign of fast − slow is exact in both
    // implementations and the comparison needs no tolerance (ties included).
    const integerPrices = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 160 }).map((steps) => {
      const out = [1000];
      for (const s of steps) out.push(out[out.length - 1]! + s - 20);
      return out;
    });
    fc.assert(
      fc.property(integerPrices, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }), (xs, fast, extra) => {
        const slow = fast + extra;
        const f = textbookSma(xs, fast);
        const s = textbookSma(xs, slow);
        let side = 0;
        const want = xs.map((_, i) => {
          if (Number.isNaN(s[i]!)) return 0;
          const sign = Math.sign(f[i]! - s[i]!);
          let cross = 0;
          if (sign !== 0) {
            if (side !== 0 && sign !== side) cross = sign;
            side = sign;
          }
          return cross;
        });
        expect(Array.from(crossovers(xs, fast, slow, { type: 'sma' }))).toEqual(want);
      }),
    );
  });
});

// ---- streaming: replace() of the forming bar --------------------------------------------------

type Maker = () => Indicator<never, unknown>;
const makers: Record<string, [Maker, 'price' | 'bar']> = {
  SMA: [() => new SMA(7) as never, 'price'],
  EMA: [() => new EMA(7) as never, 'price'],
  'EMA(first)': [() => new EMA(7, { seed: 'first' }) as never, 'price'],
  WMA: [() => new WMA(7) as never, 'price'],
  RSI: [() => new RSI(5) as never, 'price'],
  MACD: [() => new MACD({ fast: 3, slow: 7, signal: 4 }) as never, 'price'],
  BollingerBands: [() => new BollingerBands({ period: 6 }) as never, 'price'],
  Highest: [() => new Highest(5) as never, 'price'],
  Lowest: [() => new Lowest(5) as never, 'price'],
  MACrossover: [() => new MACrossover(3, 8) as never, 'price'],
  ATR: [() => new ATR(5) as never, 'bar'],
  SupportResistance: [() => new SupportResistance({ left: 2, right: 2 }) as never, 'bar'],
};

describe('streaming replace() equals a batch over the final bars', () => {
  it.each(Object.keys(makers))('%s', (name) => {
    const [make, kind] = makers[name]!;
    fc.assert(
      fc.property(bars(80), fc.array(fc.array(fc.double({ min: -0.02, max: 0.02, noNaN: true }), { maxLength: 3 }), { minLength: 81, maxLength: 81 }), (b, revisions) => {
        const input = (i: number, wiggle = 0) =>
          kind === 'price'
            ? b.close[i]! * (1 + wiggle)
            : { high: b.high[i]! * (1 + Math.abs(wiggle)), low: b.low[i]! * (1 - Math.abs(wiggle)), close: b.close[i]! * (1 + wiggle) };
        const streamed = make();
        const clean = make();
        for (let i = 0; i < b.close.length; i++) {
          // The forming bar: revised a few times, then replaced by its final value.
          const [first, ...rest] = revisions[i]!;
          streamed.update(input(i, first ?? 0) as never);
          for (const w of rest) streamed.replace(input(i, w) as never);
          if (first !== undefined) streamed.replace(input(i) as never);
          clean.update(input(i) as never);
          expect(streamed.value).toEqual(clean.value);
          expect(streamed.isStable).toBe(clean.isStable);
          expect(streamed.count).toBe(i + 1);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('batch helpers written as tight loops equal streaming, exactly', () => {
  const streamed = (make: () => Indicator<number, number>, xs: number[]) => {
    const indicator = make();
    return xs.map((x) => indicator.update(x) ?? NaN);
  };
  it('sma, ema (both seeds), wilderMA, rsi', () => {
    fc.assert(
      fc.property(prices(1, 200), period, (xs, n) => {
        expect(Array.from(sma(xs, n))).toEqual(streamed(() => new SMA(n), xs));
        expect(Array.from(ema(xs, n))).toEqual(streamed(() => new EMA(n), xs));
        expect(Array.from(ema(xs, n, { seed: 'first' }))).toEqual(streamed(() => new EMA(n, { seed: 'first' }), xs));
        expect(Array.from(wilderMA(xs, n))).toEqual(streamed(() => new WilderMA(n), xs));
        expect(Array.from(rsi(xs, n))).toEqual(streamed(() => new RSI(n), xs));
      }),
    );
  });

  it('refuse a non-finite value by its index', () => {
    expect(() => sma([1, 2, NaN], 2)).toThrow('SMA: values[2] must be a finite number, got NaN');
    expect(() => rsi([1, Infinity], 2)).toThrow('RSI: values[1] must be a finite number, got Infinity');
  });
});

// ---- bad input ------------------------------------------------------------------------------

describe('bad input is refused with a clear error', () => {
  it.each([NaN, Infinity, -Infinity])('a price of %s', (bad) => {
    const indicator = new SMA(3);
    indicator.update(1);
    let caught: unknown;
    try {
      indicator.update(bad);
    } catch (error) {
      caught = error;
    }
    expect(isTradeplaneError(caught)).toBe(true);
    expect((caught as Error).message).toBe(`SMA(3): value must be a finite number, got ${bad}`);
    // The refused value changed nothing.
    indicator.update(2);
    expect(indicator.update(3)).toBe(2);
  });

  it('a candle with a non-finite high, or a low above its high', () => {
    const indicator = new ATR(3);
    expect(() => indicator.update({ high: NaN, low: 1, close: 1 })).toThrow('ATR(3): high must be a finite number, got NaN');
    expect(() => indicator.update({ high: 1, low: 2, close: 1 })).toThrow('ATR(3): low (2) is above high (1)');
    expect(indicator.count).toBe(0);
  });

  it('bad periods and parameters', () => {
    expect(() => new SMA(0)).toThrow('SMA: period must be an integer ≥ 1, got 0');
    expect(() => new EMA(2.5)).toThrow('EMA: period must be an integer ≥ 1, got 2.5');
    expect(() => new MACD({ fast: 26, slow: 12 })).toThrow('MACD: fast (26) must be shorter than slow (12)');
    expect(() => new SMA(3).replace(1)).toThrow('SMA(3): replace() needs a previous update()');
  });
});
