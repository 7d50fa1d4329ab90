import { describe, expect, it } from 'vitest';
import { backtestMetrics } from './metrics.js';

const DAY = 86_400_000;
/** Equity in cents, one point a day. */
const curve = (values: bigint[]) => values.map((equity, i) => ({ time: i * DAY, equity }));

describe('backtestMetrics', () => {
  it('computes each figure by its stated formula on a worked example', () => {
    // Equity 100.00 → 110.00 → 99.00 → 121.00; trades +10.00, −11.00, +22.00, 0.
    const m = backtestMetrics({ initial: 10_000n, equity: curve([11_000n, 9_900n, 12_100n]), pnls: [1000n, -1100n, 2200n, 0n], firstClose: 50, lastClose: 60, barMs: DAY });
    expect(m.totalReturn).toBeCloseTo(0.21, 12);
    expect(m.buyAndHoldReturn).toBeCloseTo(0.2, 12);
    expect(m).toMatchObject({ closedTrades: 4, wins: 2, losses: 1, winRate: 0.5, maxConsecutiveWins: 1, maxConsecutiveLosses: 1 });
    expect(m.profitFactor).toBeCloseTo(3200 / 1100, 12);
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12); // 110 → 99
    expect(m.expectancy).toBe(525n); // 21.00 ÷ 4 = 5.25
    const r = [0.1, 99 / 110 - 1, 121 / 99 - 1];
    const mean = (r[0]! + r[1]! + r[2]!) / 3;
    const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
    expect(m.periodsPerYear).toBeCloseTo(365.25, 12);
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(365.25), 9);
    expect(m.sortino).toBeCloseTo((mean / Math.sqrt(r[1]! ** 2 / 3)) * Math.sqrt(365.25), 9);
    const years = 3 / 365.25;
    expect(m.cagr).toBeCloseTo(1.21 ** (1 / years) - 1, 6);
    expect(m.calmar).toBeCloseTo(m.cagr! / 0.1, 6);
  });

  it('is null where a divisor is zero, rather than infinite', () => {
    const m = backtestMetrics({ initial: 10_000n, equity: curve([10_000n, 10_000n]), pnls: [], firstClose: 1, lastClose: 1, barMs: DAY });
    expect(m).toMatchObject({ winRate: null, profitFactor: null, sharpe: null, sortino: null, expectancy: null, maxDrawdown: 0, calmar: null, totalReturn: 0 });
    const winsOnly = backtestMetrics({ initial: 10_000n, equity: curve([10_100n, 10_200n]), pnls: [100n, 100n], firstClose: 1, lastClose: 1, barMs: DAY });
    expect(winsOnly).toMatchObject({ profitFactor: null, sortino: null, maxConsecutiveWins: 2, maxDrawdown: 0 });
  });

  it('counts streaks, with a break-even trade ending either', () => {
    const m = backtestMetrics({ initial: 1n, equity: [], pnls: [-1n, -1n, -1n, 0n, -1n, 1n, 1n], firstClose: 1, lastClose: 1, barMs: DAY });
    expect(m).toMatchObject({ maxConsecutiveLosses: 3, maxConsecutiveWins: 2 });
  });
});
