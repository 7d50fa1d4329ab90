import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exactPrice, stakeForQuantity, stakePnl } from './pricing.js';

describe('stakePnl', () => {
  it('is direction × stake × (exit − entry) ÷ entry in minor units', () => {
    expect(stakePnl(10_000n, 'BUY', 1.25, 1.3)).toBe(400n); // 100.00 × 4%
    expect(stakePnl(10_000n, 'SELL', 1.25, 1.3)).toBe(-400n);
    expect(stakePnl(10_000n, 'BUY', 1.25, 1.25)).toBe(0n);
  });

  it('uses the decimal prices exactly, where doubles would drift', () => {
    // 0.3 − 0.1 is 0.19999999999999998 in binary; the stake gains exactly 200%.
    expect(stakePnl(1_000_000_000_000_000n, 'BUY', 0.1, 0.3)).toBe(2_000_000_000_000_000n);
    expect(stakePnl(100n, 'BUY', 1e-7, 2e-7)).toBe(100n);
  });

  it('rounds once, half away from zero', () => {
    expect(stakePnl(1000n, 'BUY', 150, 149)).toBe(-7n); // −6.67
    expect(stakePnl(1n, 'BUY', 2, 3)).toBe(1n); // 0.5 → 1
    expect(stakePnl(1n, 'SELL', 2, 3)).toBe(-1n); // −0.5 → −1
  });

  it('never loses more than the stake', () => {
    expect(stakePnl(500n, 'SELL', 10, 35)).toBe(-500n);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.constantFrom('BUY' as const, 'SELL' as const), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (stake, side, entry, exit) => {
        const pnl = stakePnl(stake, side, entry, exit);
        expect(pnl >= -stake).toBe(true);
        // The sign follows the price move.
        const move = side === 'BUY' ? Math.sign(exit - entry) : Math.sign(entry - exit);
        if (pnl !== 0n) expect(Math.sign(Number(pnl))).toBe(move);
      }),
    );
  });
});

describe('exactPrice', () => {
  it('reads the shortest decimal of a double, exponent notation included', () => {
    expect(exactPrice(1.0835)).toEqual({ digits: 10835n, scale: 4 });
    expect(exactPrice(2.5e-7)).toEqual({ digits: 25n, scale: 8 });
    expect(exactPrice(1e21)).toEqual({ digits: 10n ** 21n, scale: 0 });
    expect(() => exactPrice(0)).toThrow(RangeError);
    expect(() => exactPrice(Number.NaN)).toThrow(RangeError);
  });
});

describe('stakeForQuantity', () => {
  it('rounds up so the reserved stake covers the order', () => {
    expect(stakeForQuantity(80, 1.25, 2)).toBe(10_000n);
    expect(stakeForQuantity(1, 1.234, 2)).toBe(124n);
    expect(stakeForQuantity(0.001, 0.001, 2)).toBe(1n);
  });
});
