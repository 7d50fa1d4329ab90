import { TradeplaneError, wireName, type FieldError } from '../errors.js';
import type { Candle } from './candle.js';
import { consensus, type ConsensusOptions, type NamedVote, type Signal } from './consensus.js';
import { createStrategy, type AnyStrategyDefinition, type Strategy, type StrategyDefinition } from './strategies/strategy.js';

/** Which strategies vote, with what parameters, and how their votes are combined. */
export interface PanelConfig {
  strategies: { name: string; params?: Record<string, unknown> }[];
  consensus?: ConsensusOptions;
}

/** A set of strategies voting on each bar of one symbol, and the consensus of their votes. */
export interface StrategyPanel {
  /** Feeds a closed bar; returns the signal, or null when every strategy abstained. */
  onCandle(candle: Candle): Signal | null;
}

/**
 * Builds a panel from registered definitions. Unknown names and bad parameters are one 422
 * with a field error each (`strategies.1.name`, `strategies.0.params.period`).
 *
 * @example
 * const panel = createPanel(builtinStrategies, { strategies: [{ name: 'momentum' }, { name: 'scalping' }] });
 * for (const bar of bars) console.log(panel.onCandle(bar)?.reason);
 */
export function createPanel(definitions: Iterable<AnyStrategyDefinition>, config: PanelConfig): StrategyPanel {
  const byName = new Map<string, AnyStrategyDefinition>();
  for (const d of definitions) byName.set(d.name, d);
  const fields: FieldError[] = [];
  const strategies: Strategy[] = [];
  if (config.strategies.length === 0) fields.push({ in: 'body', path: 'strategies', code: 'too_small', message: 'needs at least one strategy' });
  config.strategies.forEach((entry, i) => {
    const definition = byName.get(entry.name);
    if (!definition) {
      fields.push({ in: 'body', path: `strategies.${i}.name`, code: 'unknown_strategy', message: `must be one of ${[...byName.keys()].join(', ')}` });
      return;
    }
    try {
      strategies.push(createStrategy(definition as StrategyDefinition<unknown>, entry.params, `strategies.${i}.params`));
    } catch (error) {
      if (error instanceof TradeplaneError && error.fields) fields.push(...error.fields);
      else throw error;
    }
  });
  // Validate the consensus options once, now, rather than on the first bar.
  try {
    consensus([], config.consensus);
  } catch (error) {
    if (error instanceof TradeplaneError && error.fields) fields.push(...error.fields.map((f) => ({ ...f, path: `consensus.${wireName(f.path)}` })));
    else throw error;
  }
  if (fields.length > 0) throw new TradeplaneError('validation_failed', 'The strategy configuration has problems', { fields });
  return {
    onCandle(candle) {
      const votes: NamedVote[] = [];
      strategies.forEach((strategy, i) => {
        const vote = strategy.onCandle(candle);
        // The configured name, so two instances of one strategy can carry separate weights.
        if (vote) votes.push({ ...vote, strategy: config.strategies[i]!.name });
      });
      return votes.length === 0 ? null : consensus(votes, config.consensus);
    },
  };
}
