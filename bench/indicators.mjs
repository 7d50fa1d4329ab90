/**
 * Indicator bench: SMA(20), EMA(20) and RSI(14) over 1,000,000 closes, tradeplane against
 * trading-signals and technicalindicators (dev dependencies of this bench only), same input, same
 * run. Prints candles/s per library and tradeplane's ratio to each, and checks that the outputs
 * agree (so the figures compare the same computation). Targets: ≥ 1× trading-signals, ≥ 5×
 * technicalindicators. Not a test: it exits 1 only if the outputs disagree.
 *
 *   pnpm bench:indicators
 *   BENCH_CANDLES=200000 BENCH_ROUNDS=3 pnpm bench:indicators
 *
 * Seeding differs between libraries, so each comparison uses the matching mode: trading-signals
 * seeds its EMA with the first price (tradeplane `{ seed: 'first' }`), technicalindicators with
 * the SMA of the first N (tradeplane's default, as TA-Lib). technicalindicators rounds RSI to two
 * decimals, so RSI agreement with it is checked to 0.005.
 */
import { performance } from 'node:perf_hooks';
import { EMA, RSI, SMA, ema, rsi, sma } from '@tradeplane/core/signals';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import { record } from './report.mjs';

const N = Number(process.env.BENCH_CANDLES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

// A deterministic random walk (xorshift32), prices around 100.
function closes(n) {
  let s = 2463534242;
  const out = new Float64Array(n);
  let p = 100;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    p = Math.max(1, p * (1 + ((s >>> 0) / 4294967296 - 0.5) * 0.004));
    out[i] = Math.round(p * 100) / 100;
  }
  return out;
}

const input = closes(N);
const inputArray = Array.from(input); // technicalindicators takes plain arrays

// Each contender gets its own loop (not one shared helper), so the JIT specialises every loop
// to one library's class instead of seeing them all at one call site.
const out = () => new Float64Array(N);
const orNaN = (v) => (v === undefined || v === null ? NaN : v);

const contenders = {
  'SMA(20)': {
    'tradeplane (stream)': () => {
      const o = new SMA(20), r = out();
      for (let i = 0; i < N; i++) r[i] = orNaN(o.update(input[i]));
      return r;
    },
    'tradeplane (batch)': () => sma(input, 20),
    'trading-signals': () => {
      const o = new ts.SMA(20), r = out();
      for (let i = 0; i < N; i++) r[i] = orNaN(o.update(input[i], false));
      return r;
    },
    technicalindicators: () => padLeft(ti.SMA.calculate({ period: 20, values: inputArray }), N),
  },
  'EMA(20)': {
    'tradeplane (stream)': () => {
      const o = new EMA(20), r = out();
      for (let i = 0; i < N; i++) r[i] = orNaN(o.update(input[i]));
      return r;
    },
    'tradeplane (batch)': () => ema(input, 20),
    'tradeplane (first-seeded)': () => {
      const o = new EMA(20, { seed: 'first' }), r = out();
      for (let i = 0; i < N; i++) r[i] = orNaN(o.update(input[i]));
      return r;
    },
    'trading-signals': () => {
      const o = new ts.EMA(20), r = out();
      for (let i = 0; i < N; i++) r[i] = orNaN(o.update(input[i], false));
      return r;
    },
    technicalindicators: () => padLeft(ti.EMA.calculate({ period: 20, values: inputArray }), N),
  },
  'RSI(14)': {
    'tradeplane (stream)': () => {
      const o = new RSI(14), r = out();
      for (let i = 0; i < N; i++) r[i] = orNaN(o.update(input[i]));
      return r;
    },
    'tradeplane (batch)': () => rsi(input, 14),
    'trading-signals': () => {
      const o = new ts.RSI(14), r = out();
      for (let i = 0; i < N; i++) r[i] = orNaN(o.update(input[i], false));
      return r;
    },
    technicalindicators: () => padLeft(ti.RSI.calculate({ period: 14, values: inputArray }), N),
  },
};

/** technicalindicators returns only the defined values; align them to the input's end. */
function padLeft(values, n) {
  const out = new Float64Array(n).fill(NaN);
  out.set(values, n - values.length);
  return out;
}

/**
 * Largest |a − b| from index `from` on. Both must be defined from there: one output still
 * warming up (NaN) where the other has a value is a disagreement (Infinity), not a skip, so an
 * empty or misaligned output cannot pass the check.
 */
function maxDiff(a, b, from = 0) {
  let worst = 0;
  for (let i = from; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (!Number.isNaN(a[i])) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst;
}

const rate = (ms) => N / (ms / 1000);
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let disagreements = 0;

console.log(`Indicators over ${N.toLocaleString('en-US')} closes, median of ${ROUNDS} interleaved rounds (Node ${process.version})\n`);
for (const [name, runs] of Object.entries(contenders)) {
  const times = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  const outputs = {};
  for (const run of Object.values(runs)) run(); // warm-up (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, run] of Object.entries(runs)) {
      const t = performance.now();
      outputs[label] = run();
      times[label].push(performance.now() - t);
    }
  }
  // Like for like: trading-signals is a streaming API, so it meets tradeplane's streaming class
  // (for EMA in the same first-value seeding); technicalindicators' calculate() is a batch API,
  // so it meets tradeplane's batch helper.
  const r = (label) => rate(median(times[label]));
  const streamLabel = name === 'EMA(20)' ? 'tradeplane (first-seeded)' : 'tradeplane (stream)';
  console.log(name);
  for (const label of Object.keys(runs)) {
    let vs = '';
    if (label === 'trading-signals') vs = `   ${streamLabel} = ${(r(streamLabel) / r(label)).toFixed(2)}× (target ≥ 1×)`;
    if (label === 'technicalindicators') vs = `   tradeplane (batch) = ${(r('tradeplane (batch)') / r(label)).toFixed(2)}× (target ≥ 5×)`;
    console.log(`  ${label.padEnd(26)} ${fmt(r(label)).padStart(13)} candles/s${vs}`);
    if (label === 'trading-signals') record('indicators', `${name}: ${streamLabel}`, Math.round(r(streamLabel)), 'candles/s', { ratio: Number((r(streamLabel) / r(label)).toFixed(2)), baseline: 'trading-signals', target: '≥ 1' });
    if (label === 'technicalindicators') record('indicators', `${name}: tradeplane (batch)`, Math.round(r('tradeplane (batch)')), 'candles/s', { ratio: Number((r('tradeplane (batch)') / r(label)).toFixed(2)), baseline: 'technicalindicators', target: '≥ 5' });
  }
  // Agreement: each library against tradeplane in the matching seeding mode.
  const checks = [
    ['tradeplane stream = batch', outputs['tradeplane (stream)'], outputs['tradeplane (batch)'], 0],
    ['trading-signals', name === 'EMA(20)' ? outputs['tradeplane (first-seeded)'] : outputs['tradeplane (stream)'], outputs['trading-signals'], 1e-9],
    ['technicalindicators', outputs['tradeplane (stream)'], outputs.technicalindicators, name === 'RSI(14)' ? 0.005 + 1e-9 : 1e-9],
  ];
  for (const [label, a, b, tolerance] of checks) {
    const diff = maxDiff(a, b);
    const ok = diff <= tolerance;
    if (!ok) disagreements++;
    console.log(`  agrees with ${label.padEnd(24)} max |Δ| ${diff.toExponential(2)} ${ok ? '✓' : `✗ (tolerance ${tolerance})`}`);
  }
  console.log();
}
if (disagreements > 0) {
  console.error(`${disagreements} output disagreement(s): the figures above do not compare like with like.`);
  process.exit(1);
}
