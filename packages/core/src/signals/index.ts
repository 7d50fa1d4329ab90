/**
 * @tradeplane/core/signals — indicators, strategies, consensus and the risk manager, usable with
 * no database and no HTTP:
 *
 * @example
 * import { RSI, sma, consensus, RiskManager } from '@tradeplane/core/signals';
 */
export type { Candle, PriceInput, RangeInput } from './candle.js';
export * from './indicators/index.js';
export { defineStrategy, createStrategy } from './strategies/strategy.js';
export type { Strategy, StrategyDefinition, AnyStrategyDefinition, Vote } from './strategies/strategy.js';
export { breakout, momentum, scalping, builtinStrategies } from './strategies/builtin.js';
export { consensus } from './consensus.js';
export type { ConsensusOptions, ConsensusDecision, NamedVote, Signal } from './consensus.js';
export { RiskManager, defaultRiskLimits, DEFAULT_STAKE_PROGRESSION } from '../risk/manager.js';
export type { RiskLimits, RiskLock, RiskState, RiskRequest, RiskDecision, RiskReason, LockScope } from '../risk/manager.js';
export { startOfDay, nextMidnight, isTimeZone } from '../risk/time-zone.js';
export { createPanel } from './panel.js';
export type { PanelConfig, StrategyPanel } from './panel.js';
export { backtestMetrics } from '../backtests/metrics.js';
export type { BacktestMetrics, EquityPoint } from '../backtests/metrics.js';
