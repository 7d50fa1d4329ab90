import { describe, expect, it } from 'vitest';
import { isTradeplaneError } from '../../errors.js';
import type { Candle } from '../candle.js';
import { breakout, createStrategy, defineStrategy, momentum, scalping } from '../index.js';
import { z } from 'zod';

const candles = (closes: number[], spread = 0.5): Candle[] =>
  closes.map((close, i) => ({ time: i * 60_000, open: close, high: close + spread, low: close - spread, close, volume: 1 }));

const votesOf = (strategy: ReturnType<typeof createStrategy>, series: Candle[]) => series.map((c) => strategy.onCandle(c));

describe('built-in strategies', () => {
  it('momentum buys when RSI is oversold and sells when overbought, abstaining in between and while warming up', () => {
    const down = Array.from({ length: 20 }, (_, i) => 100 - i);
    const up = Array.from({ length: 20 }, (_, i) => 81 + 2 * i);
    const votes = votesOf(createStrategy(momentum, { period: 5 }), candles([...down, ...up]));
    expect(votes.slice(0, 5)).toEqual([null, null, null, null, null]); // RSI(5) needs 6 closes
    expect(votes[5]).toMatchObject({ side: 'BUY', confidence: 1 }); // RSI 0 is 30 points past 30
    expect(votes[5]!.reason).toBe('RSI(5) 0.0 ≤ oversold 30');
    expect(votes.at(-1)).toMatchObject({ side: 'SELL' });
    expect(votes.slice(6).some((v) => v === null)).toBe(true); // neutral RSI on the way up
  });

  it('scalping votes on the crossover bar and for `persist` bars after it', () => {
    const closes = [...Array.from({ length: 30 }, (_, i) => 100 - i * 0.5), ...Array.from({ length: 30 }, (_, i) => 85 + i)];
    const votes = votesOf(createStrategy(scalping, { fast: 3, slow: 8, type: 'sma', atrPeriod: 5, persist: 2 }), candles(closes));
    const firstBuy = votes.findIndex((v) => v?.side === 'BUY');
    expect(firstBuy).toBeGreaterThan(30);
    expect(votes.slice(firstBuy, firstBuy + 3).every((v) => v?.side === 'BUY')).toBe(true);
    expect(votes[firstBuy + 3]).toBeNull();
    expect(votes.slice(0, firstBuy).every((v) => v?.side !== 'BUY')).toBe(true);
  });

  it('breakout buys when a close crosses above the last confirmed swing high', () => {
    // A swing high at 110 (bar 3), then a pull-back, then a rally through it.
    const closes = [100, 104, 107, 110, 106, 103, 101, 102, 105, 108, 109.5, 112, 113];
    const votes = votesOf(createStrategy(breakout, { left: 2, right: 2, atrPeriod: 3, persist: 1 }), candles(closes, 0));
    const at = votes.findIndex((v) => v !== null);
    expect(closes[at]).toBe(112);
    expect(votes[at]).toMatchObject({ side: 'BUY' });
    expect(votes[at]!.reason).toMatch(/^close 112\.00 broke resistance 110\.00 by [0-9.]+ ATR$/);
    expect(votes[at + 1]).toMatchObject({ side: 'BUY' }); // persists one bar while above 110
  });

  it('validates parameters with field errors', () => {
    let caught: unknown;
    try {
      createStrategy(scalping, { fast: 30, slow: 10 });
    } catch (error) {
      caught = error;
    }
    expect(isTradeplaneError(caught)).toBe(true);
    expect((caught as { fields: unknown[] }).fields).toEqual([expect.objectContaining({ path: 'params.fast', message: 'fast must be below slow' })]);
    expect(() => createStrategy(momentum, { period: 'x' })).toThrow('Invalid parameters for strategy "momentum"');
    expect(() => createStrategy(momentum, { unknown: 1 })).toThrow('Invalid parameters');
  });

  it('user strategies are defined the same way', () => {
    const always = defineStrategy({
      name: 'always-buy',
      description: 'test',
      params: z.object({ confidence: z.number().min(0).max(1).default(0.9) }),
      create: ({ confidence }) => ({ name: 'always-buy', onCandle: () => ({ side: 'BUY', confidence, reason: 'always' }) }),
    });
    expect(createStrategy(always, {}).onCandle(candles([1])[0]!)).toEqual({ side: 'BUY', confidence: 0.9, reason: 'always' });
    expect(() => defineStrategy({ ...always, name: 'Bad Name' })).toThrow('strategy name "Bad Name"');
  });
});
