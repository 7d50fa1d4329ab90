/**
 * Indicators against published reference values, to the precision they are published with.
 *
 * - Achelis, *Technical Analysis from A to Z*: the worked examples, as transcribed (and, where
 *   noted there, corrected for the book's rounding) in Tulip Indicators' `tests/atoz.txt`. Tulip
 *   seeds its EMA with the first value, so the EMA example runs with `seed: 'first'`.
 * - StockCharts' RSI(14) worked example (the 33 closes of its "cs-rsi" spreadsheet). StockCharts'
 *   table prints 70.53, 66.32, … because the spreadsheet rounds the running averages to two
 *   decimals at every step; computed without that rounding, as TA-Lib and every library do, the
 *   series is the one below (first value 70.46).
 */
import { describe, expect, it } from 'vitest';
import { ATR, BollingerBands, EMA, RSI, SMA, WMA, WilderMA, atr, bollinger, ema, rsi, sma, wilderMA, wma } from './index.js';

/** Asserts `actual` equals each published value to the number of decimals it is printed with. */
function expectPublished(actual: ArrayLike<number>, published: string[]): void {
  expect(actual.length).toBe(published.length);
  published.forEach((text, i) => {
    const decimals = text.includes('.') ? text.split('.')[1]!.length : 0;
    const tolerance = 0.5 * 10 ** -decimals + 1e-12;
    const got = actual[i]!;
    if (!(Math.abs(got - Number(text)) <= tolerance)) {
      throw new Error(`value ${i}: expected ${text} (±${tolerance}), got ${got}`);
    }
  });
}

const tail = (series: Float64Array) => series.filter((v) => !Number.isNaN(v));
const split = (list: string) => list.split(',').map((s) => s.trim());
const nums = (list: string) => split(list).map(Number);

describe('Achelis A–Z examples (Tulip Indicators atoz.txt)', () => {
  it('SMA(5), page 207', () => {
    const input = nums('25,24.875,24.781,24.594,24.5,24.625,25.219,27.25');
    expectPublished(tail(sma(input, 5)), split('24.75,24.675,24.744,25.238'));
  });

  it('EMA(5) seeded with the first value, page 209', () => {
    const input = nums('25,24.875,24.781,24.594,24.5,24.625,25.219,27.25');
    expectPublished(tail(ema(input, 5, { seed: 'first' })), split('25,24.958,24.899,24.797,24.698,24.674,24.856,25.654'));
  });

  it('WMA(5), page 213', () => {
    const input = nums('25.0000,24.8750,24.7813,24.5938,24.5000,24.625,25.2188,27.2500');
    expectPublished(tail(wma(input, 5)), split('24.6646,24.6229,24.8042,25.6396'));
  });

  it("Wilder's smoothing (5), page 366", () => {
    const input = nums('62.125,61.125,62.3438,65.3125,63.9688,63.4375,63,63.7812,63.4062,63.4062,62.4375,61.8438');
    expectPublished(tail(wilderMA(input, 5)), split('62.975,63.0675,63.054,63.1995,63.2408,63.2739,63.1066,62.8540'));
  });

  it('RSI(5), page 299', () => {
    const input = nums('37.875,39.5,38.75,39.8125,40,39.875,40.1875,41.25,41.125,41.625,41.25,40.1875,39.9375,39.9375,40.5,41.9375,42.25,42.25,41.875,41.875');
    expectPublished(
      tail(rsi(input, 5)),
      split('76.6667,78.8679,84.9158,81.4863,84.5968,73.0851,49.3173,45.0119,45.0119,57.9252,75.9596,78.4676,78.4676,65.6299,65.6299'),
    );
  });

  it('Bollinger Bands(5, 2), page 73', () => {
    const input = nums('31.875,32.125,32.3125,32.125,31.875,32.3125,32.25,32.4375,32.8125,32.375,32.5,32.4375,32.75,33.1875,33.0625,33.0625,33.125,33.0625,32.8125,32.875,33.25,33.125');
    const bands = bollinger(input, { period: 5, k: 2 });
    expectPublished(tail(bands.lower), split('31.7271,31.8279,31.8452,31.8176,31.7323,32.0422,32.0992,32.2023,32.2268,32.0552,32.1927,32.3546,32.7354,33.0,32.8071,32.7451,32.7029,32.7029'));
    expectPublished(tail(bands.middle), split('32.0625,32.15,32.175,32.2,32.3375,32.4375,32.475,32.5125,32.575,32.65,32.7875,32.9,33.0375,33.1,33.025,32.9875,33.025,33.025'));
    expectPublished(tail(bands.upper), split('32.3979,32.4721,32.5048,32.5824,32.9427,32.8328,32.8508,32.8227,32.9232,33.2448,33.3823,33.4454,33.3396,33.2,33.2429,33.2299,33.3471,33.3471'));
  });

  it('ATR(4), page 70', () => {
    const high = nums('12.3125,12.25,12.3125,12.2812,12.375,12.375,12.3125,12.375,12.5,12.5938,12.3438,12.4062,12.375,12.4062,12.375,12.2812,12.25,12.0625,12.3125,12.3125');
    const low = nums('12.1875,12.1562,12.1875,12.125,12.125,12.2812,12.1875,12.1875,12.2812,12.3125,12.2812,12.2812,12.2812,12.2812,11.9688,12.0938,12.,11.6562,12.1562,12.125');
    const close = nums('12.25,12.1875,12.25,12.1875,12.375,12.3125,12.2188,12.3438,12.5,12.375,12.3438,12.3438,12.2812,12.375,12.0938,12.1562,12.0625,11.9688,12.1875,12.1562');
    expectPublished(tail(atr({ high, low, close }, 4)), split('.125,.1563,.1406,.1367,.1494,.1668,.1954,.17,.1587,.1425,.1381,.2052,.2007,.213,.2614,.2819,.2583'));
  });
});

describe('StockCharts RSI(14) example', () => {
  const closes = nums(
    '44.34,44.09,44.15,43.61,44.33,44.83,45.10,45.42,45.84,46.08,45.89,46.03,45.61,46.28,46.28,46.00,46.03,46.41,46.22,45.64,46.21,46.25,45.71,46.45,45.78,45.35,44.03,44.18,44.22,44.57,43.42,42.66,43.13',
  );

  it('matches the worked example computed without intermediate rounding', () => {
    expectPublished(
      tail(rsi(closes, 14)),
      split('70.46,66.25,66.48,69.35,66.29,57.92,62.88,63.21,56.01,62.34,54.67,50.39,40.02,41.49,41.90,45.50,37.32,33.09,37.79'),
    );
  });

  it('is not stable until 15 closes (14 changes) have been seen', () => {
    const indicator = new RSI(14);
    closes.slice(0, 14).forEach((c) => indicator.update(c));
    expect(indicator.isStable).toBe(false);
    expect(indicator.value).toBeUndefined();
    indicator.update(closes[14]!);
    expect(indicator.isStable).toBe(true);
    expect(indicator.value).toBeCloseTo(70.46, 2);
  });
});

describe('warm-up', () => {
  it.each([
    { name: 'SMA(5)', make: () => new SMA(5), needed: 5 },
    { name: 'EMA(5)', make: () => new EMA(5), needed: 5 },
    { name: 'EMA(5) seeded with the first value', make: () => new EMA(5, { seed: 'first' }), needed: 1 },
    { name: 'WMA(5)', make: () => new WMA(5), needed: 5 },
    { name: "Wilder's MA(5)", make: () => new WilderMA(5), needed: 5 },
    { name: 'RSI(5)', make: () => new RSI(5), needed: 6 },
    { name: 'BollingerBands(5)', make: () => new BollingerBands({ period: 5 }), needed: 5 },
  ])('$name is stable after exactly $needed values', ({ make, needed }) => {
    const indicator = make();
    for (let i = 1; i <= needed; i++) {
      expect(indicator.isStable).toBe(false);
      indicator.update(100 + Math.sin(i));
    }
    expect(indicator.isStable).toBe(true);
  });

  it('ATR(4) is stable on the fourth bar', () => {
    const indicator = new ATR(4);
    for (let i = 0; i < 3; i++) indicator.update({ high: 2, low: 1, close: 1.5 });
    expect(indicator.isStable).toBe(false);
    expect(indicator.update({ high: 2, low: 1, close: 1.5 })).toBe(1);
  });
});
