import { z } from 'zod';
import { ATR, MACrossover, RSI, SupportResistance } from '../indicators/index.js';
import { confidenceFrom, defineStrategy, fmt, persistence } from './strategy.js';

/**
 * Breakout: buys when a close crosses above resistance (the latest swing-pivot high confirmed
 * before this bar) and sells when it crosses below support. Confidence grows with the overshoot
 * measured in ATRs: c = min(1, 0.6 + 0.4 · |close − level| / ATR). The vote repeats for
 * `persist` more bars while the close stays beyond the level.
 */
export const breakout = defineStrategy({
  name: 'breakout',
  description: 'Support/resistance breakout (swing pivots), confidence from the overshoot in ATRs',
  params: z
    .object({
      left: z.number().int().min(1).max(50).default(3),
      right: z.number().int().min(1).max(50).default(3),
      atrPeriod: z.number().int().min(1).max(500).default(14),
      persist: z.number().int().min(0).max(50).default(2),
    })
    .strict(),
  create(params) {
    const levels = new SupportResistance({ left: params.left, right: params.right });
    const range = new ATR(params.atrPeriod);
    let previousClose = Number.NaN;
    const setup = persistence<{ side: 'BUY' | 'SELL'; level: number }>(params.persist);
    return {
      name: 'breakout',
      onCandle(candle) {
        const before = levels.value; // levels in force when this bar opened
        const atrValue = range.update(candle);
        levels.update(candle);
        const prev = previousClose;
        previousClose = candle.close;
        if (!before || atrValue === undefined || !(atrValue > 0)) return null;
        const active =
          prev <= before.resistance && candle.close > before.resistance
            ? setup.start({ side: 'BUY', level: before.resistance })
            : prev >= before.support && candle.close < before.support
              ? setup.start({ side: 'SELL', level: before.support })
              : setup.next((s) => (s.side === 'BUY' ? candle.close > s.level : candle.close < s.level));
        if (!active) return null;
        const overshoot = Math.abs(candle.close - active.level) / atrValue;
        return {
          side: active.side,
          confidence: confidenceFrom(overshoot),
          reason: `close ${fmt(candle.close)} broke ${active.side === 'BUY' ? 'resistance' : 'support'} ${fmt(active.level)} by ${overshoot.toFixed(2)} ATR`,
        };
      },
    };
  },
});

/**
 * Momentum (RSI): buys when RSI ≤ `oversold`, sells when RSI ≥ `overbought`. Confidence grows
 * with the depth past the threshold: c = min(1, 0.6 + 0.4 · depth / 10), so 10 RSI points past
 * it is full confidence.
 */
export const momentum = defineStrategy({
  name: 'momentum',
  description: 'RSI overbought/oversold',
  params: z
    .object({
      period: z.number().int().min(2).max(500).default(14),
      overbought: z.number().min(50).max(100).default(70),
      oversold: z.number().min(0).max(50).default(30),
    })
    .strict(),
  create(params) {
    const strength = new RSI(params.period);
    return {
      name: 'momentum',
      onCandle(candle) {
        const value = strength.update(candle);
        if (value === undefined) return null;
        if (value <= params.oversold) {
          return { side: 'BUY', confidence: confidenceFrom((params.oversold - value) / 10), reason: `RSI(${params.period}) ${value.toFixed(1)} ≤ oversold ${params.oversold}` };
        }
        if (value >= params.overbought) {
          return { side: 'SELL', confidence: confidenceFrom((value - params.overbought) / 10), reason: `RSI(${params.period}) ${value.toFixed(1)} ≥ overbought ${params.overbought}` };
        }
        return null;
      },
    };
  },
});

/**
 * Scalping (moving-average crossover): buys on the bar the fast average crosses above the slow
 * one, sells on the reverse, and repeats the vote for `persist` more bars while the order holds.
 * Confidence grows with the lines' separation in ATRs: c = min(1, 0.6 + 0.4 · |fast − slow| / ATR · 4).
 */
export const scalping = defineStrategy({
  name: 'scalping',
  description: 'Moving-average crossover',
  params: z
    .object({
      fast: z.number().int().min(1).max(500).default(9),
      slow: z.number().int().min(2).max(1000).default(21),
      type: z.enum(['sma', 'ema']).default('ema'),
      atrPeriod: z.number().int().min(1).max(500).default(14),
      persist: z.number().int().min(0).max(50).default(2),
    })
    .strict()
    .refine((p) => p.fast < p.slow, { message: 'fast must be below slow', path: ['fast'] }),
  create(params) {
    const cross = new MACrossover(params.fast, params.slow, { type: params.type });
    const range = new ATR(params.atrPeriod);
    const setup = persistence<{ side: 'BUY' | 'SELL' }>(params.persist);
    return {
      name: 'scalping',
      onCandle(candle) {
        const atrValue = range.update(candle);
        const lines = cross.update(candle);
        if (!lines || atrValue === undefined || !(atrValue > 0)) return null;
        const active = lines.cross
          ? setup.start({ side: lines.cross === 'up' ? 'BUY' : 'SELL' })
          : setup.next((s) => (s.side === 'BUY' ? lines.fast > lines.slow : lines.fast < lines.slow));
        if (!active) return null;
        const separation = Math.abs(lines.fast - lines.slow) / atrValue;
        return {
          side: active.side,
          confidence: confidenceFrom(separation * 4),
          reason: `${params.type.toUpperCase()}(${params.fast}) ${lines.fast > lines.slow ? 'above' : 'below'} ${params.type.toUpperCase()}(${params.slow}) by ${separation.toFixed(2)} ATR`,
        };
      },
    };
  },
});

/** The strategies every engine knows. */
export const builtinStrategies = [breakout, momentum, scalping] as const;
