import { TradeplaneError } from '../errors.js';
import { decimalFraction, divideRounded } from '../money/decimal.js';
import type { Currency } from '../money/currency.js';
import { nextMidnight, requireTimeZone, startOfDay } from './time-zone.js';

/**
 * A user's risk limits, money in minor units of `currency`. Defaults (`defaultRiskLimits`): stake
 * 0.35…1000, max daily loss 100, at most 5 consecutive losses, stake progression after
 * consecutive losses ×1, 1.5, 2.25, 3.375, 5, 7.5, 10.
 */
export interface RiskLimits {
  currency: Currency;
  minStake: bigint;
  maxStake: bigint;
  /** Realised net loss within one local calendar day that locks the user until the next local midnight. */
  maxDailyLoss: bigint;
  /** A losing streak this long (and every further loss in it) locks the user for `lossCooldownMinutes`. */
  maxConsecutiveLosses: number;
  /** Multiplier of `minStake` for the recommended stake after k consecutive losses (index k, the last one repeats). */
  stakeProgression: readonly string[];
  maxOpenPositions: number;
  /** Total stake allowed in open trades on one symbol. */
  maxExposurePerSymbol: bigint;
  lossCooldownMinutes: number;
  /** IANA zone whose midnight ends a trading day. */
  timeZone: string;
}

export const DEFAULT_STAKE_PROGRESSION = ['1', '1.5', '2.25', '3.375', '5', '7.5', '10'] as const;

/** The default limits in `currency` (amounts are written in major units, e.g. 0.35). */
export function defaultRiskLimits(currency: Currency): RiskLimits {
  const major = (text: string) => times(10n ** BigInt(currency.exponent), text);
  return {
    currency,
    // 0.35 rounds to nothing in a currency without decimals (JPY); a stake is at least one minor unit.
    minStake: [major('0.35'), 1n].reduce((a, b) => (a > b ? a : b)),
    maxStake: major('1000'),
    maxDailyLoss: major('100'),
    maxConsecutiveLosses: 5,
    stakeProgression: DEFAULT_STAKE_PROGRESSION,
    maxOpenPositions: 10,
    maxExposurePerSymbol: major('2000'),
    lossCooldownMinutes: 60,
    timeZone: 'UTC',
  };
}

/** A plain decimal (`"2.25"`) times an integer, rounded half up: amounts here are never negative. */
function times(amount: bigint, text: string): bigint {
  const { digits, scale } = decimalFraction(text);
  return divideRounded(amount * digits, 10n ** BigInt(scale));
}

/** Who a lock stops: everybody's trades of the user, one symbol, or one side (of one symbol, or of all). */
export type LockScope = 'user' | 'symbol' | 'side';

/** Stable reason codes for refusals; each rejection is logged as a protection event with one. */
export type RiskReason =
  | 'locked'
  | 'max_daily_loss'
  | 'max_consecutive_losses'
  | 'stake_below_min'
  | 'stake_above_max'
  | 'max_open_positions'
  | 'max_symbol_exposure'
  | 'currency_mismatch';

/** A lock, as the risk manager needs to see it. */
export interface RiskLock {
  scope: LockScope;
  symbol: string | null;
  side: 'BUY' | 'SELL' | null;
  reason: string;
  until: Date;
}

/** What the manager needs to know about the user right now. */
export interface RiskState {
  /** Realised net loss since the start of the current local day (0 when the day is net positive). */
  dailyLoss: bigint;
  consecutiveLosses: number;
  /** When the last loss of the current streak settled (null without a streak). */
  lastLossAt: Date | null;
  openPositions: number;
  /** Total stake of open trades on the requested symbol. */
  symbolExposure: bigint;
  /** Locks that have not been cleared (expired ones are ignored by time). */
  locks: readonly RiskLock[];
}

export interface RiskRequest {
  symbol: string;
  side: 'BUY' | 'SELL';
  currency: string;
  /** The stake asked for; omitted → the recommended stake for the current losing streak. */
  stake?: bigint;
}

export type RiskDecision =
  | { ok: true; stake: bigint; recommended: bigint }
  | { ok: false; reason: RiskReason; detail: string; lock?: RiskLock };

/**
 * Pure risk rules: no storage, no clock of its own (pass `now`), so the same object decides for
 * live trading, copy trading and backtests. Each rule is a *protection*: when a limit trips, the
 * decision carries a lock to persist (freqtrade-style), and the trade is refused.
 *
 * @example
 * const risk = new RiskManager(defaultRiskLimits({ code: 'USD', exponent: 2 }));
 * risk.recommendedStake(2); // 79n — 0.35 × 2.25, half up
 */
export class RiskManager {
  constructor(readonly limits: RiskLimits) {
    requireTimeZone(limits.timeZone);
    if (limits.stakeProgression.length === 0) throw new TradeplaneError('validation_failed', 'stakeProgression needs at least one multiplier');
  }

  /**
   * minStake × progression[min(losses, last)], rounded half up to the currency's minor unit:
   * with the defaults 0.35, 0.53, 0.79, 1.18, 1.75, 2.63, 3.50. Capped at `maxStake`.
   */
  recommendedStake(consecutiveLosses: number): bigint {
    const table = this.limits.stakeProgression;
    const stake = times(this.limits.minStake, table[Math.min(Math.max(0, consecutiveLosses), table.length - 1)]!);
    return stake > this.limits.maxStake ? this.limits.maxStake : stake;
  }

  /** Locks that apply to a request at `now`. */
  activeLocks(state: RiskState, request: Pick<RiskRequest, 'symbol' | 'side'>, now: Date): RiskLock[] {
    return state.locks.filter(
      (lock) =>
        lock.until.getTime() > now.getTime() &&
        (lock.scope === 'user' ||
          (lock.scope === 'symbol' && lock.symbol === request.symbol) ||
          (lock.scope === 'side' && lock.side === request.side && (lock.symbol === null || lock.symbol === request.symbol))),
    );
  }

  /** Locks a settled trade should create (call after updating the state with the settlement). */
  locksAfterSettlement(state: RiskState, now: Date): RiskLock[] {
    const locks: RiskLock[] = [];
    const daily = this.dailyLossLock(state, now);
    if (daily) locks.push(daily);
    const streak = this.streakLock(state, now);
    if (streak) locks.push(streak);
    return locks;
  }

  /** Decides a trade request. Rules run in order: locks, daily loss, losing streak, currency, stake, positions, exposure. */
  evaluate(request: RiskRequest, state: RiskState, now: Date): RiskDecision {
    const { limits } = this;
    const lock = this.activeLocks(state, request, now)[0];
    if (lock) {
      return { ok: false, reason: 'locked', detail: `Trading is locked until ${lock.until.toISOString()} (${lock.reason})` };
    }
    const daily = this.dailyLossLock(state, now);
    if (daily) return { ok: false, reason: 'max_daily_loss', detail: `Today's loss reached the daily limit`, lock: daily };
    const streak = this.streakLock(state, now);
    if (streak) return { ok: false, reason: 'max_consecutive_losses', detail: `${state.consecutiveLosses} consecutive losses`, lock: streak };
    if (request.currency !== limits.currency.code) {
      return { ok: false, reason: 'currency_mismatch', detail: `The risk profile is in ${limits.currency.code}, the account in ${request.currency}` };
    }
    const recommended = this.recommendedStake(state.consecutiveLosses);
    const stake = request.stake ?? recommended;
    if (stake < limits.minStake) return { ok: false, reason: 'stake_below_min', detail: 'Stake is below the minimum' };
    if (stake > limits.maxStake) return { ok: false, reason: 'stake_above_max', detail: 'Stake is above the maximum' };
    if (state.openPositions >= limits.maxOpenPositions) {
      return { ok: false, reason: 'max_open_positions', detail: `${state.openPositions} open positions (limit ${limits.maxOpenPositions})` };
    }
    if (state.symbolExposure + stake > limits.maxExposurePerSymbol) {
      return { ok: false, reason: 'max_symbol_exposure', detail: `Exposure on ${request.symbol} would exceed the limit` };
    }
    return { ok: true, stake, recommended };
  }

  /** The start of the trading day containing `now` (daily loss counts settlements from here). */
  dayStart(now: Date): Date {
    return startOfDay(now, this.limits.timeZone);
  }

  private dailyLossLock(state: RiskState, now: Date): RiskLock | null {
    if (state.dailyLoss < this.limits.maxDailyLoss) return null;
    return { scope: 'user', symbol: null, side: null, reason: 'max_daily_loss', until: nextMidnight(now, this.limits.timeZone) };
  }

  private streakLock(state: RiskState, now: Date): RiskLock | null {
    if (state.consecutiveLosses < this.limits.maxConsecutiveLosses || !state.lastLossAt) return null;
    const until = new Date(state.lastLossAt.getTime() + this.limits.lossCooldownMinutes * 60_000);
    return until.getTime() > now.getTime() ? { scope: 'user', symbol: null, side: null, reason: 'max_consecutive_losses', until } : null;
  }
}
