import { TradeplaneError } from '../errors.js';
import { decimalFraction } from '../money/decimal.js';
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
 * Every comparison is exact: confidences, weights and options are read as the decimals they
 * print as (`0.7`, not the binary double nearest to it) and compared as fractions of integers,
 * so three votes of 0.7 score exactly 0.7 and act at a 0.7 threshold, as two do, and no order
 * of the votes changes the outcome. The scores reported are those fractions rounded to numbers.
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

  let total = ZERO;
  const weighted = { BUY: ZERO, SELL: ZERO };
  const counts = { BUY: 0, SELL: 0, HOLD: 0 };
  for (const vote of votes) {
    const label = `strategy "${vote.strategy}"`;
    check(vote.side === 'BUY' || vote.side === 'SELL' || vote.side === 'HOLD', `${label} voted an unknown side ${String(vote.side)}`, 'side');
    check(Number.isFinite(vote.confidence) && vote.confidence >= 0 && vote.confidence <= 1, `${label} voted a confidence outside 0…1: ${vote.confidence}`, 'confidence');
    const w = options.weights?.[vote.strategy] ?? 1;
    check(Number.isFinite(w) && w >= 0, `weight of ${label} must be a finite number ≥ 0`, `weights.${vote.strategy}`);
    if (w === 0) continue;
    const weight = exact(w);
    total = add(total, weight);
    counts[vote.side]++;
    if (vote.side !== 'HOLD') weighted[vote.side] = add(weighted[vote.side], multiply(weight, exact(vote.confidence)));
  }
  if (total.digits === 0n) return null;

  // Both scores share the denominator W: comparing them is comparing their numerators, and
  // Sₐ ≥ x is Σ wᵢ·cᵢ ≥ x·W — no division, so nothing is rounded before the decision.
  const scores = { BUY: ratio(weighted.BUY, total), SELL: ratio(weighted.SELL, total) };
  const best: 'BUY' | 'SELL' = compare(weighted.BUY, weighted.SELL) >= 0 ? 'BUY' : 'SELL';
  const other = best === 'BUY' ? 'SELL' : 'BUY';
  const s = scores[best];
  const lead = subtract(weighted[best], weighted[other]);
  const numbers = `S(BUY) ${scores.BUY.toFixed(3)}, S(SELL) ${scores.SELL.toFixed(3)}; votes BUY ${counts.BUY}, SELL ${counts.SELL}, HOLD ${counts.HOLD}`;
  const base = { scores, counts, votes: [...votes] };

  let decision: ConsensusDecision;
  if (compare(weighted.BUY, weighted.SELL) === 0) decision = 'tie';
  else if (compare(weighted[best], multiply(exact(minConfidence), total)) < 0) decision = 'below_min_confidence';
  else if (counts[best] < minVotes) decision = 'not_enough_votes';
  else if (compare(lead, multiply(exact(margin), total)) < 0) decision = 'within_margin';
  else decision = 'act';

  const why: Record<ConsensusDecision, string> = {
    act: `${best}: score ${s.toFixed(3)} ≥ ${minConfidence} with ${counts[best]} ≥ ${minVotes} votes`,
    tie: 'HOLD: the two sides tie',
    below_min_confidence: `HOLD: best score ${best} ${s.toFixed(3)} < ${minConfidence}`,
    not_enough_votes: `HOLD: ${best} has ${counts[best]} < ${minVotes} votes`,
    within_margin: `HOLD: ${best} leads ${other} by ${ratio(lead, total).toFixed(3)} < margin ${margin}`,
  };
  return {
    side: decision === 'act' ? best : 'HOLD',
    confidence: s,
    decision,
    reason: `${why[decision]} (${numbers})`,
    ...base,
  };
}

/** A non-negative decimal as an exact fraction digits ÷ 10^scale. */
interface Exact {
  digits: bigint;
  scale: number;
}

const ZERO: Exact = { digits: 0n, scale: 0 };
const ONE: Exact = { digits: 1n, scale: 0 };

/**
 * Numbers already read: strategies tend to vote from a handful of confidences, and the options
 * repeat on every bar. Bounded, so a stream of distinct confidences cannot grow it without end.
 */
const readBefore = new Map<number, Exact>();

/** A finite non-negative number as the decimal it prints as (`0.7` → 7 ÷ 10). */
function exact(n: number): Exact {
  if (n === 0) return ZERO;
  if (n === 1) return ONE; // the default weight, and a common confidence
  let found = readBefore.get(n);
  if (found === undefined) {
    found = Number.isSafeInteger(n) ? { digits: BigInt(n), scale: 0 } : decimalFraction(String(n));
    if (readBefore.size >= 4096) readBefore.clear();
    readBefore.set(n, found);
  }
  return found;
}

const rescale = (x: Exact, scale: number): bigint => x.digits * 10n ** BigInt(scale - x.scale);

function add(x: Exact, y: Exact): Exact {
  const scale = Math.max(x.scale, y.scale);
  return { digits: rescale(x, scale) + rescale(y, scale), scale };
}

function subtract(x: Exact, y: Exact): Exact {
  const scale = Math.max(x.scale, y.scale);
  return { digits: rescale(x, scale) - rescale(y, scale), scale };
}

const multiply = (x: Exact, y: Exact): Exact => ({ digits: x.digits * y.digits, scale: x.scale + y.scale });

function compare(x: Exact, y: Exact): number {
  const scale = Math.max(x.scale, y.scale);
  const a = rescale(x, scale);
  const b = rescale(y, scale);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** x ÷ y (y > 0) as the nearest number. */
function ratio(x: Exact, y: Exact): number {
  if (x.digits === 0n) return 0;
  const scale = Math.max(x.scale, y.scale);
  const a = rescale(x, scale);
  const b = rescale(y, scale);
  // Two integers a double holds exactly: one IEEE division rounds their quotient correctly.
  if (a <= SAFE && a >= -SAFE && b <= SAFE) return Number(a) / Number(b);
  return slowRatio(x, y);
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** x ÷ y from 20 significant digits of the exact quotient (for numbers too long for a double). */
function slowRatio(x: Exact, y: Exact): number {
  const negative = x.digits < 0n;
  const n = (negative ? -x.digits : x.digits) * 10n ** BigInt(y.scale);
  const d = y.digits * 10n ** BigInt(x.scale);
  // Enough decimal places that the quotient has at least 20 significant digits (a double holds 17).
  const shift = Math.max(0, 21 + d.toString().length - n.toString().length);
  const quotient = (n * 10n ** BigInt(shift)) / d;
  const value = Number(`${quotient}e-${shift}`);
  return negative ? -value : value;
}
