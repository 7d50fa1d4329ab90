import { RSI, sma, createStrategy, momentum, consensus, RiskManager, defaultRiskLimits, type Candle } from '@tradeplane/core/signals';

const closes = [44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28, 46.28];
const rsi = new RSI(14);
for (const close of closes) rsi.update(close); // O(1) per bar; rsi.value is undefined until rsi.isStable
rsi.replace(46.5); // revise the still-forming last bar
const averages = sma(Float64Array.from(closes), 5); // batch helper: NaN during warm-up
console.log(rsi.value, averages.at(-1));

const strategy = createStrategy(momentum, { period: 14, oversold: 30 }); // parameters validated by zod
const candle: Candle = { time: Date.now(), open: 46.3, high: 46.6, low: 46.2, close: 46.5, volume: 1200 };
const vote = strategy.onCandle(candle); // { side, confidence, reason } or null (abstains)
const signal = consensus(vote ? [{ strategy: strategy.name, ...vote }] : [], { minConfidence: 0.7, minVotes: 2 });
console.log(signal?.decision, signal?.reason); // every decision says why

const risk = new RiskManager(defaultRiskLimits({ code: 'USD', exponent: 2 }));
const state = { dailyLoss: 0n, consecutiveLosses: 2, lastLossAt: new Date(), openPositions: 0, symbolExposure: 0n, locks: [] };
console.log(risk.evaluate({ symbol: 'EURUSD', side: 'BUY', currency: 'USD' }, state, new Date())); // { ok: true, stake: 79n, … } = 0.79
