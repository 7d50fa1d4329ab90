import { z } from 'zod';
import { TradeplaneError } from '../../errors.js';
import type { Candle } from '../candle.js';

/** What a strategy advises on a bar. HOLD is an explicit "do not trade now"; abstaining is returning null. */
export interface Vote {
  side: 'BUY' | 'SELL' | 'HOLD';
  /** How sure the strategy is, 0…1. */
  confidence: number;
  /** A human sentence: why this vote (shown to users next to every signal). */
  reason: string;
}

/**
 * A trading strategy: fed every closed candle of one symbol and interval, in order, it votes or
 * abstains (`null`: still warming up, or nothing to say). Instances are stateful — one per
 * symbol and run; create them through a `StrategyDefinition`.
 */
export interface Strategy {
  readonly name: string;
  onCandle(candle: Candle): Vote | null;
}

/** A named, parameterised strategy factory. `params` validates (and defaults) user input. */
export interface StrategyDefinition<TParams = Record<string, unknown>> {
  name: string;
  description: string;
  params: z.ZodType<TParams>;
  create(params: TParams): Strategy;
}

/**
 * Declares a strategy so it can be registered with `createEngine({ strategies })`, chosen by
 * name in a backtest or bot, and have its parameters validated.
 *
 * @example
 * const meanReversion = defineStrategy({
 *   name: 'mean-reversion',
 *   description: 'Buys 2σ below the 20-bar mean',
 *   params: z.object({ period: z.number().int().min(2).default(20) }),
 *   create: ({ period }) => {
 *     const bands = new BollingerBands({ period });
 *     return {
 *       name: 'mean-reversion',
 *       onCandle: (c) => {
 *         const b = bands.update(c);
 *         return b && c.close < b.lower ? { side: 'BUY', confidence: 0.8, reason: 'close below the lower band' } : null;
 *       },
 *     };
 *   },
 * });
 */
export function defineStrategy<TParams>(definition: StrategyDefinition<TParams>): StrategyDefinition<TParams> {
  if (!/^[a-z][a-z0-9_-]{0,63}$/.test(definition.name)) {
    throw new TradeplaneError('validation_failed', `strategy name "${definition.name}" must be lower-case letters, digits, - or _ (≤ 64)`);
  }
  return definition;
}

/** Validates `params` against a definition and creates an instance; a bad parameter is a 422 naming the field. */
export function createStrategy<TParams>(definition: StrategyDefinition<TParams>, params: unknown, path = 'params'): Strategy {
  const parsed = definition.params.safeParse(params ?? {});
  if (!parsed.success) {
    throw new TradeplaneError('validation_failed', `Invalid parameters for strategy "${definition.name}"`, {
      fields: parsed.error.issues.map((issue) => ({
        in: 'body' as const,
        path: [path, ...issue.path.map(String)].join('.'),
        code: issue.code,
        message: issue.message,
      })),
    });
  }
  return definition.create(parsed.data);
}

/** Maps a non-negative strength (in the strategy's natural unit) to a confidence in [0.6, 1]. */
export function confidenceFrom(strength: number): number {
  return Math.min(1, 0.6 + 0.4 * Math.max(0, strength));
}

/**
 * A setup that keeps voting for `persist` more bars while it still holds, so strategies that
 * fire on one bar (a cross, a breakout) can meet others in consensus. `start()` on the trigger
 * bar; `next(holds)` on each later bar. Both return the active setup, or null once it lapsed.
 */
export function persistence<T extends { side: 'BUY' | 'SELL' }>(persist: number) {
  let active: { setup: T; left: number } | null = null;
  return {
    start(setup: T): T {
      active = { setup, left: persist };
      return setup;
    },
    next(holds: (setup: T) => boolean): T | null {
      if (active && active.left > 0 && holds(active.setup)) {
        active.left--;
        return active.setup;
      }
      active = null;
      return null;
    },
  };
}

/** Shortest readable number for reasons. */
export const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(2) : x.toPrecision(4));

/** A definition of any parameter type, as registries and panels hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStrategyDefinition = StrategyDefinition<any>;
