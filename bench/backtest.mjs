/**
 * Backtest bench: a year of 1-minute candles (525,600 bars, a seeded random walk) replayed by
 * `POST /backtests`'s service with the three built-in strategies (breakout, momentum, scalping),
 * on an engine with an in-memory SQLite database. Prints candles/s.
 *
 * The baseline, measured in the same run on the same bars: the same strategy panel alone
 * (`createPanel(...).onCandle`, indicators and consensus, no database). The ratio is what the
 * live path costs on top of computing the signals: per bar a scratch-database upsert, the stop
 * checks, the paper broker, the bot's signal row, and the trades it makes. Not a test.
 *
 *   pnpm bench:backtest                 # 365 days
 *   BENCH_DAYS=30 pnpm bench:backtest   # a shorter run
 */
import { performance } from 'node:perf_hooks';
import { silentLogger } from '@tradeplane/core';
import { builtinStrategies, createPanel } from '@tradeplane/core/signals';
import { createEngine } from '@tradeplane/engine';
import { record } from './report.mjs';

const DAYS = Number(process.env.BENCH_DAYS ?? 365);
if (!(DAYS > 0)) throw new Error(`BENCH_DAYS must be a positive number, not ${process.env.BENCH_DAYS}`);
const MINUTE = 60_000;
const BARS = Math.round(DAYS * 1440);
const FROM = Date.parse('2025-01-01T00:00:00.000Z');

/** Mulberry32: a small seeded generator, so every run replays the same bars. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function candles() {
  const next = random(42);
  const out = new Array(BARS);
  let price = 30_000;
  for (let i = 0; i < BARS; i++) {
    const open = price;
    // ±0.1 % per minute with a slow cycle, so trends and reversals both occur.
    price = Math.max(1, price * (1 + (next() - 0.5) * 0.002 + 0.0002 * Math.sin(i / 2000)));
    const close = Math.round(price * 100) / 100;
    const high = Math.round(Math.max(open, close) * (1 + next() * 0.0005) * 100) / 100;
    const low = Math.round(Math.min(open, close) * (1 - next() * 0.0005) * 100) / 100;
    out[i] = { symbol: 'BTCUSD', interval: '1m', openTime: new Date(FROM + i * MINUTE), open, high, low, close, volume: 1 };
    price = close;
  }
  return out;
}

const strategies = builtinStrategies.map((d) => ({ name: d.name }));
const consensus = { minVotes: 1, minConfidence: 0.6 };

const bars = candles();
console.log(`backtest bench: ${BARS.toLocaleString('en')} 1m bars (${DAYS} days), strategies ${strategies.map((s) => s.name).join(', ')}, min_votes 1, min_confidence 0.6`);

// Baseline: the panel alone.
const panel = createPanel(builtinStrategies, { strategies, consensus });
let panelSignals = 0;
const t0 = performance.now();
for (const c of bars) if (panel.onCandle({ time: c.openTime.getTime(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume })) panelSignals++;
const panelSeconds = (performance.now() - t0) / 1000;

const engine = await createEngine({
  database: ':memory:',
  mode: 'test',
  logger: silentLogger,
  auth: { jwtSecret: 'bench-secret-bench-secret-bench-secret', passwordHashing: { memoryCost: 1024, timeCost: 1 } },
  trading: { backtests: { syncBars: Number.MAX_SAFE_INTEGER, maxBars: Number.MAX_SAFE_INTEGER } },
});
try {
  for (let i = 0; i < bars.length; i += 10_000) await engine.market.ingest(bars.slice(i, i + 10_000));
  const user = await engine.auth.register({ email: 'bench@example.com', password: 'correct horse battery staple' });
  const userId = user.id;

  const t1 = performance.now();
  const result = await engine.backtests.create(userId, {
    symbol: 'BTCUSD',
    interval: '1m',
    from: new Date(FROM),
    to: new Date(FROM + BARS * MINUTE),
    strategies,
    consensus,
    initialBalance: '10000.00',
    stake: '10.00',
    stopLossPct: 0.01,
    takeProfitPct: 0.02,
  });
  const seconds = (performance.now() - t1) / 1000;
  if (result.status !== 'completed' || result.candles !== BARS) throw new Error(`the backtest did not complete over every bar: ${result.status}, ${result.candles} bars`);
  if (result.metrics.signals !== panelSignals) throw new Error(`the backtest evaluated ${result.metrics.signals} signals, the panel alone ${panelSignals}`);

  const rate = (s) => Math.round(BARS / s).toLocaleString('en');
  const m = result.metrics;
  console.log(`  panel alone (baseline)   ${rate(panelSeconds).padStart(12)} candles/s  (${panelSeconds.toFixed(2)} s)`);
  console.log(`  backtest, live path      ${rate(seconds).padStart(12)} candles/s  (${seconds.toFixed(2)} s)  = ${(panelSeconds / seconds).toFixed(3)}× the baseline`);
  record('backtest', `${BARS.toLocaleString('en')} 1m bars through the live path`, Math.round(BARS / seconds), 'candles/s', { ratio: Number((panelSeconds / seconds).toFixed(3)), baseline: 'the strategy panel alone' });
  console.log(`  ${result.trades.length} trades (${m.closedTrades} closed), ${m.signals} signals, ${m.tradedSignals} traded, refused ${JSON.stringify(m.rejectedSignals)}`);
  console.log(`  total return ${(m.totalReturn * 100).toFixed(2)} %, buy and hold ${(m.buyAndHoldReturn * 100).toFixed(2)} %, max drawdown ${(m.maxDrawdown * 100).toFixed(2)} %, Sharpe ${m.sharpe?.toFixed(2) ?? 'n/a'}`);
} finally {
  await engine.close();
}
