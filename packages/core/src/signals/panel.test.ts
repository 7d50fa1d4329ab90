import { describe, expect, it } from 'vitest';
import { TradeplaneError } from '../errors.js';
import { createPanel } from './panel.js';
import { builtinStrategies, momentum, scalping } from './strategies/builtin.js';
import { consensus, type NamedVote } from './consensus.js';

const candle = (i: number, close: number) => ({ time: i * 60_000, open: close, high: close + 0.5, low: close - 0.5, close, volume: 1 });

describe('createPanel', () => {
  it('equals running the strategies by hand and taking their consensus', () => {
    const config = { strategies: [{ name: 'momentum', params: { period: 5 } }, { name: 'scalping', params: { fast: 3, slow: 8 } }], consensus: { minVotes: 1, minConfidence: 0.6 } };
    const panel = createPanel(builtinStrategies, config);
    const byHand = [momentum.create(momentum.params.parse({ period: 5 })), scalping.create(scalping.params.parse({ fast: 3, slow: 8 }))];
    let acted = 0;
    for (let i = 0; i < 300; i++) {
      const c = candle(i, 100 + 10 * Math.sin(i / 7) + (i % 5));
      const votes: NamedVote[] = [];
      byHand.forEach((s, k) => {
        const v = s.onCandle(c);
        if (v) votes.push({ ...v, strategy: config.strategies[k]!.name });
      });
      const expected = votes.length === 0 ? null : consensus(votes, config.consensus);
      const got = panel.onCandle(c);
      expect(got).toEqual(expected);
      if (got?.decision === 'act') acted++;
    }
    expect(acted).toBeGreaterThan(0);
  });

  it('reports every configuration problem at once, with wire paths', () => {
    try {
      createPanel(builtinStrategies, { strategies: [{ name: 'nope' }, { name: 'momentum', params: { period: 0 } }], consensus: { minConfidence: 2 } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TradeplaneError);
      expect((error as TradeplaneError).fields!.map((f) => f.path)).toEqual(['strategies.0.name', 'strategies.1.params.period', 'consensus.min_confidence']);
    }
  });
});
