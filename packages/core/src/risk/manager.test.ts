import { describe, expect, it } from 'vitest';
import { RiskManager, defaultRiskLimits, type RiskState } from '../signals/index.js';
import { nextMidnight, startOfDay } from './time-zone.js';

const USD = { code: 'USD', exponent: 2 };
const state = (over: Partial<RiskState> = {}): RiskState => ({
  dailyLoss: 0n,
  consecutiveLosses: 0,
  lastLossAt: null,
  openPositions: 0,
  symbolExposure: 0n,
  locks: [],
  ...over,
});
const now = new Date('2026-03-10T15:00:00Z');
const request = { symbol: 'EURUSD', side: 'BUY' as const, currency: 'USD' };

describe('RiskManager', () => {
  const risk = new RiskManager(defaultRiskLimits(USD));

  it('recommends the default stake progression, rounded half up to cents', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map((k) => risk.recommendedStake(k))).toEqual([35n, 53n, 79n, 118n, 175n, 263n, 350n, 350n, 350n]);
    // Exponent 0 and 3 currencies round to their own minor unit.
    expect(new RiskManager(defaultRiskLimits({ code: 'JPY', exponent: 0 })).recommendedStake(0)).toBe(1n); // 0.35 JPY rounds to 0: the minimum is one yen
    expect(new RiskManager(defaultRiskLimits({ code: 'KWD', exponent: 3 })).recommendedStake(2)).toBe(788n); // 0.350 × 2.25 = 0.7875 → 0.788
  });

  it('accepts a stake within the limits, and uses the recommended stake when none is asked', () => {
    expect(risk.evaluate({ ...request, stake: 1000n }, state(), now)).toEqual({ ok: true, stake: 1000n, recommended: 35n });
    expect(risk.evaluate(request, state({ consecutiveLosses: 2, lastLossAt: now }), now)).toEqual({ ok: true, stake: 79n, recommended: 79n });
  });

  it.each([
    [{ stake: 34n }, state(), 'stake_below_min'],
    [{ stake: 100_001n }, state(), 'stake_above_max'],
    [{ stake: 100n }, state({ openPositions: 10 }), 'max_open_positions'],
    [{ stake: 100n }, state({ symbolExposure: 199_901n }), 'max_symbol_exposure'],
    [{ stake: 100n, currency: 'EUR' }, state(), 'currency_mismatch'],
  ] as const)('refuses %o → %s', (extra, s, reason) => {
    expect(risk.evaluate({ ...request, ...extra }, s, now)).toMatchObject({ ok: false, reason });
  });

  it('a daily loss at the limit locks the user until the next local midnight', () => {
    const tokyo = new RiskManager({ ...defaultRiskLimits(USD), timeZone: 'Asia/Tokyo' });
    const decision = tokyo.evaluate(request, state({ dailyLoss: 10_000n }), now);
    // 15:00Z is 00:00 on the 11th in Tokyo (UTC+9): the next midnight there is the 12th, 00:00 JST.
    expect(decision).toEqual({
      ok: false,
      reason: 'max_daily_loss',
      detail: "Today's loss reached the daily limit",
      lock: { scope: 'user', symbol: null, side: null, reason: 'max_daily_loss', until: new Date('2026-03-11T15:00:00Z') },
    });
    expect(tokyo.evaluate(request, state({ dailyLoss: 9_999n }), now).ok).toBe(true);
  });

  it('a losing streak at the limit locks for the cooldown after the last loss, and only then', () => {
    const lastLossAt = new Date(now.getTime() - 10 * 60_000);
    const decision = risk.evaluate(request, state({ consecutiveLosses: 5, lastLossAt }), now);
    expect(decision).toMatchObject({ ok: false, reason: 'max_consecutive_losses', lock: { until: new Date(lastLossAt.getTime() + 3_600_000) } });
    expect(risk.evaluate(request, state({ consecutiveLosses: 4, lastLossAt }), now).ok).toBe(true);
    const later = new Date(lastLossAt.getTime() + 3_600_000);
    expect(risk.evaluate(request, state({ consecutiveLosses: 5, lastLossAt }), later)).toMatchObject({ ok: true, stake: 263n }); // 0.35 × 7.5 after five losses
  });

  it('locks apply by scope and expire by time', () => {
    const until = new Date(now.getTime() + 60_000);
    const lock = (scope: 'user' | 'symbol' | 'side', symbol: string | null, side: 'BUY' | 'SELL' | null) => ({ scope, symbol, side, reason: 'manual', until });
    const refused = (l: ReturnType<typeof lock>) => !risk.evaluate({ ...request, stake: 100n }, state({ locks: [l] }), now).ok;
    expect(refused(lock('user', null, null))).toBe(true);
    expect(refused(lock('symbol', 'EURUSD', null))).toBe(true);
    expect(refused(lock('symbol', 'BTCUSD', null))).toBe(false);
    expect(refused(lock('side', null, 'BUY'))).toBe(true);
    expect(refused(lock('side', 'EURUSD', 'SELL'))).toBe(false);
    expect(refused(lock('side', 'BTCUSD', 'BUY'))).toBe(false);
    expect(risk.evaluate({ ...request, stake: 100n }, state({ locks: [lock('user', null, null)] }), until).ok).toBe(true);
    expect(risk.evaluate({ ...request, stake: 100n }, state({ locks: [lock('user', null, null)] }), now)).toMatchObject({ reason: 'locked' });
  });

  it('after a settlement, reports the locks the new state calls for', () => {
    expect(risk.locksAfterSettlement(state({ dailyLoss: 10_000n, consecutiveLosses: 5, lastLossAt: now }), now).map((l) => l.reason)).toEqual([
      'max_daily_loss',
      'max_consecutive_losses',
    ]);
    expect(risk.locksAfterSettlement(state({ dailyLoss: 50n, consecutiveLosses: 1, lastLossAt: now }), now)).toEqual([]);
  });

  it('refuses an unknown time zone', () => {
    expect(() => new RiskManager({ ...defaultRiskLimits(USD), timeZone: 'Mars/Olympus' })).toThrow('Unknown time zone "Mars/Olympus"');
  });
});

describe('local days', () => {
  it('start and end at local midnight, across DST changes', () => {
    // New York springs forward on 2026-03-08 (a 23-hour day) and falls back on 2026-11-01 (25 hours).
    const ny = 'America/New_York';
    expect(startOfDay(new Date('2026-03-08T12:00:00Z'), ny).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(nextMidnight(new Date('2026-03-08T12:00:00Z'), ny).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(nextMidnight(new Date('2026-11-01T12:00:00Z'), ny).toISOString()).toBe('2026-11-02T05:00:00.000Z');
    // A day where local midnight does not exist (Santiago jumps from 00:00 to 01:00 on 2026-09-06).
    expect(startOfDay(new Date('2026-09-06T12:00:00Z'), 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(nextMidnight(new Date('2026-12-31T23:30:00Z'), 'UTC').toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});
