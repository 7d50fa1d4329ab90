import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consensus, type NamedVote } from './index.js';

const vote = (strategy: string, side: NamedVote['side'], confidence: number): NamedVote => ({ strategy, side, confidence, reason: `${strategy} says ${side}` });

describe('consensus (defaults: minConfidence 0.7, minVotes 2, margin 0)', () => {
  it('acts when two strategies agree strongly enough and the third abstains', () => {
    const signal = consensus([vote('momentum', 'BUY', 0.9), vote('breakout', 'BUY', 0.7)]);
    expect(signal).toMatchObject({ side: 'BUY', decision: 'act', counts: { BUY: 2, SELL: 0, HOLD: 0 } });
    expect(signal!.confidence).toBeCloseTo(0.8, 12);
    expect(signal!.votes.map((v) => v.reason)).toEqual(['momentum says BUY', 'breakout says BUY']);
  });

  it('a HOLD vote counts against both sides: 2 × BUY at 1.0 and one HOLD score 2/3 < 0.7', () => {
    const signal = consensus([vote('a', 'BUY', 1), vote('b', 'BUY', 1), vote('c', 'HOLD', 1)]);
    expect(signal).toMatchObject({ side: 'HOLD', decision: 'below_min_confidence' });
    expect(signal!.scores.BUY).toBeCloseTo(2 / 3, 12);
    expect(signal!.reason).toContain('HOLD: best score BUY 0.667 < 0.7');
  });

  it('one confident vote is not enough', () => {
    expect(consensus([vote('a', 'SELL', 1)])).toMatchObject({ side: 'HOLD', decision: 'not_enough_votes' });
  });

  it('equal scores are a tie, and a tie is HOLD', () => {
    expect(consensus([vote('a', 'BUY', 0.8), vote('b', 'SELL', 0.8)])).toMatchObject({ side: 'HOLD', decision: 'tie' });
  });

  it('the winning side must lead by the margin', () => {
    const votes = [vote('a', 'BUY', 1), vote('b', 'BUY', 1), vote('c', 'BUY', 1), vote('d', 'SELL', 1)];
    expect(consensus(votes, { minConfidence: 0.7, margin: 0 })).toMatchObject({ side: 'BUY', decision: 'act' });
    expect(consensus(votes, { minConfidence: 0.7, margin: 0.6 })).toMatchObject({ side: 'HOLD', decision: 'within_margin' });
  });

  it('weights scale votes; a weight of 0 silences a strategy; nobody voting gives null', () => {
    const votes = [vote('a', 'BUY', 0.9), vote('b', 'BUY', 0.9), vote('c', 'SELL', 0.9)];
    expect(consensus(votes)).toMatchObject({ side: 'HOLD' }); // 0.6 < 0.7
    expect(consensus(votes, { weights: { c: 0 } })).toMatchObject({ side: 'BUY', confidence: 0.9 });
    expect(consensus(votes, { weights: { a: 3, b: 3 } })!.scores.BUY).toBeCloseTo((0.9 * 6) / 7, 12);
    expect(consensus([])).toBeNull();
    expect(consensus(votes, { weights: { a: 0, b: 0, c: 0 } })).toBeNull();
  });

  it('acts at exactly the threshold, whatever the number or the order of the votes', () => {
    expect(consensus([vote('a', 'BUY', 0.7), vote('b', 'BUY', 0.7)])).toMatchObject({ side: 'BUY', decision: 'act', confidence: 0.7 });
    // (0.7 + 0.7 + 0.7) ÷ 3 is 0.6999999999999998 in binary floating point; the rule is about 0.7.
    expect(consensus([vote('a', 'BUY', 0.7), vote('b', 'BUY', 0.7), vote('c', 'BUY', 0.7)])).toMatchObject({ side: 'BUY', decision: 'act', confidence: 0.7 });
    // 0.8, 0.7, 0.6 average 0.7 in every order (a float sum gives 0.7000000000000001 or 0.6999999999999998).
    const orders = [[0.8, 0.7, 0.6], [0.8, 0.6, 0.7], [0.7, 0.8, 0.6], [0.7, 0.6, 0.8], [0.6, 0.8, 0.7], [0.6, 0.7, 0.8]];
    for (const order of orders) {
      expect(consensus(order.map((c, i) => vote(`s${i}`, 'SELL', c)))).toMatchObject({ side: 'SELL', decision: 'act', confidence: 0.7 });
    }
    // Just below the threshold stays below it.
    expect(consensus([vote('a', 'BUY', 0.7), vote('b', 'BUY', 0.7), vote('c', 'BUY', 0.6999999)])).toMatchObject({ side: 'HOLD', decision: 'below_min_confidence' });
  });

  it('compares the margin and ties exactly too', () => {
    // S(BUY) = 0.3 ÷ 4 = 0.075, S(SELL) = 0.1 ÷ 4 = 0.025: BUY leads by exactly 0.05.
    const votes = [vote('a', 'BUY', 0.05), vote('b', 'BUY', 0.25), vote('c', 'SELL', 0.1), vote('d', 'HOLD', 1)];
    expect(consensus(votes, { minConfidence: 0.05, margin: 0.05 })).toMatchObject({ side: 'BUY', decision: 'act' });
    expect(consensus(votes, { minConfidence: 0.05, margin: 0.0500001 })).toMatchObject({ side: 'HOLD', decision: 'within_margin' });
    // 0.1 + 0.2 and 0.3 are one score: a tie, though 0.1 + 0.2 !== 0.3 in floating point.
    expect(consensus([vote('a', 'BUY', 0.1), vote('b', 'BUY', 0.2), vote('c', 'SELL', 0.3)], { minConfidence: 0, minVotes: 1 })).toMatchObject({ side: 'HOLD', decision: 'tie' });
    // Weights are exact as well: (0.1 + 0.2 + 0.3) × 0.7 ÷ (0.1 + 0.2 + 0.3) is 0.7.
    expect(consensus([vote('a', 'BUY', 0.7), vote('b', 'BUY', 0.7), vote('c', 'BUY', 0.7)], { weights: { a: 0.1, b: 0.2, c: 0.3 } })).toMatchObject({ side: 'BUY', decision: 'act', confidence: 0.7 });
  });

  it('property: the decision does not depend on the order of the votes', () => {
    const votes = fc.array(
      fc.record({ strategy: fc.constantFrom('a', 'b', 'c', 'd', 'e'), side: fc.constantFrom('BUY' as const, 'SELL' as const, 'HOLD' as const), confidence: fc.integer({ min: 0, max: 20 }).map((n) => n / 20), reason: fc.constant('') }),
      { minLength: 1, maxLength: 7 },
    );
    fc.assert(
      fc.property(votes, fc.integer({ min: 0, max: 20 }).map((n) => n / 20), (vs, minConfidence) => {
        const forward = consensus(vs, { minConfidence })!;
        const backward = consensus([...vs].reverse(), { minConfidence })!;
        expect([backward.side, backward.decision, backward.confidence, backward.scores]).toEqual([forward.side, forward.decision, forward.confidence, forward.scores]);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a vote outside 0…1 or an unknown side, naming the strategy', () => {
    expect(() => consensus([vote('wild', 'BUY', 1.2)])).toThrow('strategy "wild" voted a confidence outside 0…1: 1.2');
    expect(() => consensus([vote('wild', 'UP' as never, 1)])).toThrow('strategy "wild" voted an unknown side UP');
    expect(() => consensus([], { minConfidence: 2 })).toThrow('minConfidence must be within 0…1');
  });

  it('property: acts only when every documented condition holds', () => {
    const votes = fc.array(
      fc.record({ strategy: fc.constantFrom('a', 'b', 'c', 'd', 'e'), side: fc.constantFrom('BUY' as const, 'SELL' as const, 'HOLD' as const), confidence: fc.double({ min: 0, max: 1, noNaN: true }), reason: fc.constant('') }),
      { maxLength: 6 },
    );
    const options = fc.record({ minConfidence: fc.double({ min: 0, max: 1, noNaN: true }), minVotes: fc.integer({ min: 1, max: 4 }), margin: fc.double({ min: 0, max: 0.5, noNaN: true }) });
    fc.assert(
      fc.property(votes, options, (vs, o) => {
        const signal = consensus(vs, o);
        if (vs.length === 0) {
          expect(signal).toBeNull();
          return;
        }
        const total = vs.length;
        const s = (side: string) => vs.filter((v) => v.side === side).reduce((a, v) => a + v.confidence, 0) / total;
        const n = (side: string) => vs.filter((v) => v.side === side).length;
        const acts = (a: 'BUY' | 'SELL', b: 'BUY' | 'SELL') => s(a) >= o.minConfidence && n(a) >= o.minVotes && s(a) > s(b) && s(a) - s(b) >= o.margin;
        const expected = acts('BUY', 'SELL') ? 'BUY' : acts('SELL', 'BUY') ? 'SELL' : 'HOLD';
        // Scores are sums in a different order; skip cases within rounding of a threshold.
        const near = (x: number, y: number) => Math.abs(x - y) < 1e-9;
        if (near(s('BUY'), s('SELL')) || near(s('BUY'), o.minConfidence) || near(s('SELL'), o.minConfidence) || near(Math.abs(s('BUY') - s('SELL')), o.margin)) return;
        expect(signal!.side).toBe(expected);
      }),
    );
  });
});
