import type { OrderType, TradeCloseReason, TradeSide } from '../ports/storage.js';
import { stopOutPrice } from './pricing.js';

/** The part of a bar that decides fills: a bar only says the price visited [low, high] after `open`. */
export interface PriceBar {
  open: number;
  high: number;
  low: number;
}

/**
 * The price a resting order fills at on a bar, or null if the bar does not reach it.
 *
 * - limit BUY fills when low ≤ limit, at min(limit, open): a bar that opens below the limit fills at the open (better);
 * - limit SELL fills when high ≥ limit, at max(limit, open);
 * - stop BUY fills when high ≥ stop, at max(stop, open): a gap past the stop fills at the open (worse);
 * - stop SELL fills when low ≤ stop, at min(stop, open);
 * - market fills at the open.
 */
export function orderFillPrice(order: { side: TradeSide; type: OrderType; price: number | null }, bar: PriceBar): number | null {
  const { side, type, price } = order;
  if (type === 'market' || price === null) return bar.open;
  const buying = side === 'BUY';
  if (type === 'limit') {
    if (buying) return bar.low <= price ? Math.min(price, bar.open) : null;
    return bar.high >= price ? Math.max(price, bar.open) : null;
  }
  if (buying) return bar.high >= price ? Math.max(price, bar.open) : null;
  return bar.low <= price ? Math.min(price, bar.open) : null;
}

export interface ExitLevels {
  side: TradeSide;
  entryPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
}

/**
 * Whether an open trade's stop-loss, take-profit or stop-out is hit on a bar, and at what price.
 * The trigger fills at its level, or at the bar's open when the bar opened past it (a gap).
 * When one bar reaches both the stop-loss and the take-profit, the bar cannot say which came
 * first; the stop-loss is assumed (the conservative choice, as most backtesters make it) unless
 * the bar opened beyond the take-profit. A SELL is stopped out when the price doubles: its loss
 * has reached its stake.
 */
export function exitOnBar(trade: ExitLevels, bar: PriceBar): { price: number; reason: TradeCloseReason } | null {
  const { stopLoss, takeProfit } = trade;
  if (trade.side === 'BUY') {
    if (takeProfit !== null && bar.open >= takeProfit) return { price: bar.open, reason: 'take_profit' };
    if (stopLoss !== null && bar.low <= stopLoss) return { price: Math.min(stopLoss, bar.open), reason: 'stop_loss' };
    if (takeProfit !== null && bar.high >= takeProfit) return { price: takeProfit, reason: 'take_profit' };
    return null;
  }
  if (takeProfit !== null && bar.open <= takeProfit) return { price: bar.open, reason: 'take_profit' };
  const stopOut = stopOutPrice(trade.entryPrice);
  // The nearer of the stop-loss and the stop-out level protects the trade first.
  const [level, reason]: [number, TradeCloseReason] = stopLoss !== null && stopLoss < stopOut ? [stopLoss, 'stop_loss'] : [stopOut, 'stop_out'];
  if (bar.high >= level) return { price: Math.max(level, bar.open), reason };
  if (takeProfit !== null && bar.low <= takeProfit) return { price: takeProfit, reason: 'take_profit' };
  return null;
}
