import { z } from 'zod';
import type { Broker } from './broker.js';
import type { AnyStrategyDefinition } from '../signals/strategies/strategy.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** `createEngine({ trading })`: the broker, the paper broker's costs, default risk limits and extra strategies. */
export const tradingOptionsSchema = z.strictObject({
  /** Where orders execute. Default: the built-in paper broker, fed by the market-data service. */
  broker: z.custom<Broker>((v) => isObject(v) && typeof v.placeOrder === 'function' && typeof v.quote === 'function', 'expected a Broker').optional(),
  /** The built-in paper broker's full bid/ask spread and adverse slippage, in basis points. */
  paper: z
    .strictObject({
      spreadBps: z.number().min(0).max(9999).optional(),
      slippageBps: z.number().min(0).max(9999).optional(),
    })
    .optional(),
  /**
   * Risk limits for users without a saved profile, money in major units of the wallets' default
   * currency (`defaultRiskLimits` where omitted). Checked like a `PUT /risk/profile` at start.
   */
  risk: z
    .strictObject({
      minStake: z.string().optional(),
      maxStake: z.string().optional(),
      maxDailyLoss: z.string().optional(),
      maxConsecutiveLosses: z.number().int().min(1).optional(),
      stakeProgression: z.array(z.string()).min(1).optional(),
      maxOpenPositions: z.number().int().min(1).optional(),
      maxExposurePerSymbol: z.string().optional(),
      lossCooldownMinutes: z.number().int().min(0).optional(),
      timeZone: z.string().optional(),
    })
    .optional(),
  /** Strategies users may choose for bots, besides the built-in breakout, momentum and scalping (`defineStrategy`; the same name replaces). */
  strategies: z
    .array(z.custom<AnyStrategyDefinition>((v) => isObject(v) && typeof v.name === 'string' && typeof v.create === 'function', 'expected a defineStrategy() definition'))
    .optional(),
  /**
   * `POST /backtests`: a range of at most `syncBars` bars is answered at once, a longer one runs
   * as a queued job (one at a time per process, at most `jobsPerUser` unfinished per user); no run
   * may cover more than `maxBars` bars (2,000,000 ≈ 3.8 years of 1-minute bars).
   */
  backtests: z
    .strictObject({
      syncBars: z.number().int().min(0).default(10_000),
      maxBars: z.number().int().min(1).default(2_000_000),
      jobsPerUser: z.number().int().min(1).default(2),
    })
    .optional(),
});

export type TradingOptionsInput = z.input<typeof tradingOptionsSchema>;
export type TradingOptions = z.output<typeof tradingOptionsSchema>;
