export { Indicator } from './base.js';
export { SMA, EMA, WMA, WilderMA, sma, ema, wma, wilderMA } from './moving-averages.js';
export type { EmaOptions, EmaSeed } from './moving-averages.js';
export { RSI, MACD, rsi, macd } from './oscillators.js';
export type { MacdOptions, MacdValue } from './oscillators.js';
export { BollingerBands, ATR, bollinger, atr } from './volatility.js';
export type { BollingerOptions, BollingerValue, RangeColumns } from './volatility.js';
export { Highest, Lowest, SupportResistance, MACrossover, highest, lowest, crossovers, supportResistance } from './extremes.js';
export type { SupportResistanceOptions, SupportResistanceValue, CrossoverOptions, CrossoverValue } from './extremes.js';
