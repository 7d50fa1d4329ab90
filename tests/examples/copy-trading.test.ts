import { describe, expect, it } from 'vitest';
import { runCopyTradingDemo } from '../../examples/copy-trading/src/demo.js';

describe('the copy-trading example', () => {
  it('runs end to end: fees only on new highs, every share paid, the ledger balanced', async () => {
    const lines: string[] = [];
    const result = await runCopyTradingDemo({ print: (line) => lines.push(line) });
    expect(lines[0]).toMatch(/^Save this token - it won't be shown again: tpl_/);
    expect(lines[1]).toBe('terminal: copy=true master=Steady Eddie max_stake=1000.00 USD');
    expect(result.fees).toEqual([
      { period: '2026-06-01', equity: '10.00', highWaterMark: '10.00', fee: '2.00' },
      { period: '2026-06-02', equity: '5.00', highWaterMark: '10.00', fee: '0.00' },
      { period: '2026-06-03', equity: '8.00', highWaterMark: '10.00', fee: '0.00' },
      { period: '2026-06-04', equity: '12.00', highWaterMark: '12.00', fee: '0.40' },
    ]);
    // Follower: +12.00 copied, −1.70 markups, −2.40 fees. Master: +1.20 own, +80 % of 4.10.
    // Affiliate: 10 % of the platform's 20 % of each charge, rounded down per charge:
    // 1.00 → 0.02, 2.00 → 0.04, and 0.30, 0.40, 0.40 → less than a cent each, so 0.
    expect(result.balances).toEqual({ follower: '10007.90', master: '10004.48', affiliate: '10000.06' });
    expect(result.affiliate).toMatchObject({ referredUsers: 1, activeUsers: 1, commissionEarned: [{ currency: 'USD', amount: '0.06' }] });
    expect(result.events).toEqual([{ key: 'spread_too_wide', count: 1 }]);
    expect(result.ledgerOk).toBe(true);
    expect(result.unread).toBeGreaterThan(0);
  });
});
