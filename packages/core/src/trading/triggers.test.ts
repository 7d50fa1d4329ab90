import { describe, expect, it } from 'vitest';
import { exitOnBar, orderFillPrice } from './triggers.js';

const bar = (open: number, high: number, low: number) => ({ open, high, low });

describe('orderFillPrice', () => {
  it('fills a limit at its price, or at a better open after a gap', () => {
    expect(orderFillPrice({ side: 'BUY', type: 'limit', price: 1.9 }, bar(1.95, 1.96, 1.85))).toBe(1.9);
    expect(orderFillPrice({ side: 'BUY', type: 'limit', price: 1.9 }, bar(1.8, 1.85, 1.75))).toBe(1.8);
    expect(orderFillPrice({ side: 'BUY', type: 'limit', price: 1.9 }, bar(1.95, 1.96, 1.91))).toBeNull();
    expect(orderFillPrice({ side: 'SELL', type: 'limit', price: 2.1 }, bar(2.0, 2.15, 1.99))).toBe(2.1);
    expect(orderFillPrice({ side: 'SELL', type: 'limit', price: 2.1 }, bar(2.2, 2.3, 2.15))).toBe(2.2);
  });

  it('fills a stop at its price, or at a worse open after a gap', () => {
    expect(orderFillPrice({ side: 'BUY', type: 'stop', price: 2.1 }, bar(2.0, 2.15, 1.99))).toBe(2.1);
    expect(orderFillPrice({ side: 'BUY', type: 'stop', price: 2.1 }, bar(2.2, 2.3, 2.15))).toBe(2.2);
    expect(orderFillPrice({ side: 'SELL', type: 'stop', price: 1.5 }, bar(1.6, 1.62, 1.55))).toBeNull();
    expect(orderFillPrice({ side: 'SELL', type: 'stop', price: 1.5 }, bar(1.4, 1.45, 1.3))).toBe(1.4);
    expect(orderFillPrice({ side: 'SELL', type: 'market', price: null }, bar(1.4, 1.45, 1.3))).toBe(1.4);
  });
});

describe('exitOnBar', () => {
  const long = { side: 'BUY' as const, entryPrice: 100, stopLoss: 95, takeProfit: 110 };
  const short = { side: 'SELL' as const, entryPrice: 100, stopLoss: 105, takeProfit: 90 };

  it('closes a long at its stop or its target', () => {
    expect(exitOnBar(long, bar(99, 101, 94))).toEqual({ price: 95, reason: 'stop_loss' });
    expect(exitOnBar(long, bar(93, 94, 90))).toEqual({ price: 93, reason: 'stop_loss' });
    expect(exitOnBar(long, bar(105, 111, 104))).toEqual({ price: 110, reason: 'take_profit' });
    expect(exitOnBar(long, bar(112, 113, 111))).toEqual({ price: 112, reason: 'take_profit' });
    expect(exitOnBar(long, bar(100, 105, 96))).toBeNull();
  });

  it('assumes the stop came first when one bar reaches both', () => {
    expect(exitOnBar(long, bar(100, 111, 94))).toEqual({ price: 95, reason: 'stop_loss' });
    expect(exitOnBar(short, bar(100, 106, 89))).toEqual({ price: 105, reason: 'stop_loss' });
  });

  it('closes a short at its stop, its target, or when its loss reaches the stake', () => {
    expect(exitOnBar(short, bar(101, 106, 100))).toEqual({ price: 105, reason: 'stop_loss' });
    expect(exitOnBar(short, bar(95, 96, 89))).toEqual({ price: 90, reason: 'take_profit' });
    const bare = { side: 'SELL' as const, entryPrice: 100, stopLoss: null, takeProfit: null };
    expect(exitOnBar(bare, bar(150, 199, 140))).toBeNull();
    expect(exitOnBar(bare, bar(150, 201, 140))).toEqual({ price: 200, reason: 'stop_out' });
    expect(exitOnBar(bare, bar(230, 240, 220))).toEqual({ price: 230, reason: 'stop_out' });
  });
});
