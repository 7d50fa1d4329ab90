import { TradeplaneError } from '../errors.js';
import type { Vote } from './strategies/strategy.js';

/** A vote with the strategy that cast it. */
export interface NamedVote extends Vote {
  strategy: string;
}

export interface ConsensusOptions {
  /** Minimum score Sₐ for a side to be acted on; default 0.7. */
  minConfidence?: number;
  /** Minimum number of votes for that side; default 2. */
  minVotes?: number;
  /** Weight per strategy name; default 1 each. A weight of 0 silences a strategy. */
  weights?: Record<string, number>;
  /** How far Sₐ must exceed the other side's score; default 0. */
  margin?: number;
}

/** Why a consensus ended where it did. */
export type ConsensusDecision = 'act' | 'below_min_confidence' | 'not_enough_votes' | 'within_margin' | 'tie';

/** The outcome of one consensus round, kept (taken or not) so users can see why. */
export interface Signal {
  side: 'BUY' | 'SELL' | 'HOLD';
  /** Sₐ of the side acted on; for HOLD, the larger of the two scores. */
  confidence: number;
  scores: { BUY: number; SELL: number };
  counts: { BUY: number; SELL: number; HOLD: number };
  decision: ConsensusDecision;
  /** One sentence: the decision and the numbers behind it. */
  reason: string;
  votes: NamedVote[];
}

const check = (ok: boolean, detail: string, path: string): void => {
  if (!ok) throw new TradeplaneError('validation_failed', detail, { fields: [{ in: 'body', path, code: 'invalid', message: detail }] });
};

/**
 * Combines strategy votes into one signal.
 *
 * Rule: let W = Σ wᵢ over all non-abstaining votes (BUY, SELL and HOLD alike). For each side
 * a ∈ {BUY, SELL}: score Sₐ = Σ wᵢ·cᵢ over the votes for a, divided by W, and nₐ = the number of
 * votes for a. Act on a only if Sₐ ≥ `minConfidence`, nₐ ≥ `minVotes` and Sₐ − S_other ≥
 * `margin` with Sₐ > S_other; otherwise the signal is HOLD (equal scores are always HOLD). A HOLD
 * vote therefore counts against both sides. Returns null when nobody voted (every strategy
 * abstained, or all voters weigh 0).
 *
 * @example
 * consensus([
 *   { strategy: 'momentum', side: 'BUY', confidence: 0.9, reason: 'RSI 22' },
 *   { strategy: 'breakout', side: 'BUY', confidence: 0.7, reason: 'broke 101.5' },
 * ]); // → { side: 'BUY', confidence: 0.8, decision: 'act', … }
 */
export function consensus(votes: NamedVote[], options: ConsensusOptions = {}): Signal | null {
  const minConfidence = options.minConfidence ?? 0.7;
  const minVotes = options.minVotes ?? 2;
  const margin = options.margin ?? 0;
  check(Number.isFinite(minConfidence) && minConfidence >= 0 && minConfidence <= 1, 'minConfidence must be within 0…1', 'minConfidence');
  check(Number.isInteger(minVotes) && minVotes >= 1, 'minVotes must be an integer ≥ 1', 'minVotes');
  check(Number.isFinite(margin) && margin >= 0 && margin <= 1, 'margin must be within 0…1', 'margin');

  let total = 0;
  const weighted = { BUY: 0, SELL: 0 };
  const counts = { BUY: 0, SELL: 0, HOLD: 0 };
  for (const vote of votes) {
    const label = `strategy "${vote.strategy}"`;
    check(vote.side === 'BUY' || vote.side === 'SELL' || vote.side === 'HOLD', `${label} voted an unknown side ${String(vote.side)}`, 'side');
    check(Number.isFinite(vote.confidence) && vote.confidence >= 0 && vote.confidence <= 1, `${label} voted a confidence outside 0…1: ${vote.confidence}`, 'confidence');
    const w = options.weights?.[vote.strategy] ?? 1;
    check(Number.isFinite(w) && w >= 0, `weight of ${label} must be a finite number ≥ 0`, `weights.${vote.strategy}`);
    if (w === 0) continue;
    total += w;
    counts[vote.side]++;
    if (vote.side !== 'HOLD') weighted[vote.side] += w * vote.confidence;
  }
  if (total === 0) return null;

  const scores = { BUY: weighted.BUY / total, SELL: weighted.SELL / total };
  const best: 'BUY' | 'SELL' = scores.BUY >= scores.SELL ? 'BUY' : 'SELL';
  const other = best === 'BUY' ? 'SELL' : 'BUY';
  const s = scores[best];
  const numbers = `S(BUY) ${scores.BUY.toFixed(3)}, S(SELL) ${scores.SELL.toFixed(3)}; votes BUY ${counts.BUY}, SELL ${counts.SELL}, HOLD ${counts.HOLD}`;
  const base = { scores, counts, votes: [...votes] };

  let decision: ConsensusDecision;
  if (scores.BUY === scores.SELL) decision = 'tie';
  else if (s < minConfidence) decision = 'below_min_confidence';
  else if (counts[best] < minVotes) decision = 'not_enough_votes';
  else if (s - scores[other] < margin) decision = 'within_margin';
  else decision = 'act';

  const why: Record<ConsensusDecision, string> = {
    act: `${best}: score ${s.toFixed(3)} ≥ ${minConfidence} with ${counts[best]} ≥ ${minVotes} votes`,
    tie: 'HOLD: the two sides tie',
    below_min_confidence: `HOLD: best score ${best} ${s.toFixed(3)} < ${minConfidence}`,
    not_enough_votes: `HOLD: ${best} has ${counts[best]} < ${minVotes} votes`,
    within_margin: `HOLD: ${best} leads ${other} by ${(s - scores[other]).toFixed(3)} < margin ${margin}`,
  };
  return {
    side: decision === 'act' ? best : 'HOLD',
    confidence: s,
    decision,
    reason: `${why[decision]} (${numbers})`,
    ...base,
  };
}
