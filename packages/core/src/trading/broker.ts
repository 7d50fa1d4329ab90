import type { OrderType, TradeSide } from '../ports/storage.js';
import { orderFillPrice, type PriceBar } from './triggers.js';

/** An order as a broker sees it: what to trade, not who pays for it. */
export interface BrokerOrder {
  /** tradeplane's order id; the broker echoes it in fills. */
  id: string;
  accountId: string;
  symbol: string;
  side: TradeSide;
  type: OrderType;
  /** Limit or stop price (null for market orders). */
  price: number | null;
  /**
   * Size in instrument units, or in the account's currency: `notional` is the stake as the
   * wire's exact decimal string (`"100.50"`); units = notional ÷ fill price.
   */
  size: { quantity: number } | { notional: string };
  placedAt: Date;
}

export interface Fill {
  orderId: string;
  accountId: string;
  symbol: string;
  side: TradeSide;
  price: number;
  quantity: number;
  time: Date;
}

export type PlaceOrderResult = { status: 'filled'; fill: Fill } | { status: 'pending' } | { status: 'rejected'; reason: string };

export interface Quote {
  symbol: string;
  /** Last traded price (the latest close). */
  price: number;
  /** What a SELL market order would fill at now, and a BUY one. */
  bid: number;
  ask: number;
  time: Date;
}

export interface BrokerPosition {
  accountId: string;
  symbol: string;
  /** Net units: positive long, negative short. */
  quantity: number;
}

/**
 * Where orders are executed. tradeplane keeps the orders, trades, stakes and P&L; a broker only
 * says at what price an order filled. Fills of orders that rest (limit, stop, or a market order
 * a real venue fills later) arrive through `onFill`.
 */
export interface Broker {
  quote(symbol: string): Promise<Quote | undefined>;
  /**
   * Submits an order. The same order id may arrive again (a retried request, or a restart
   * resubmitting pending orders): treat it as the same order, as venues do with client order ids.
   */
  placeOrder(order: BrokerOrder): Promise<PlaceOrderResult>;
  /** True if the order was resting and is now cancelled; false if unknown or already filled. */
  cancelOrder(orderId: string): Promise<boolean>;
  positions(accountId?: string): Promise<BrokerPosition[]>;
  onFill(listener: (fill: Fill) => void | Promise<void>): () => void;
}

/** A bar as the paper broker reads it. */
export interface BrokerBar extends PriceBar {
  symbol: string;
  close: number;
  openTime: Date;
  /** When the bar ended: fills it triggers happen at this time. */
  closeTime: Date;
}

export interface PaperBrokerOptions {
  /**
   * Where the last price comes from when the broker has not seen a bar of the symbol yet (the
   * engine reads the market-data service). The broker's own bars take precedence.
   */
  lastPrice?: (symbol: string) => Promise<{ price: number; time: Date } | undefined>;
  /** Full bid/ask spread in basis points around the last price (default 0). */
  spreadBps?: number;
  /** Adverse slippage in basis points added to every market and stop fill (default 0). */
  slippageBps?: number;
}

/** A broker that needs no venue, for demo accounts, development, replays and backtests. */
export interface PaperBroker extends Broker {
  /**
   * Feeds a bar: records its close as the last price, then fills the resting orders it crosses.
   * Each fill goes to every `onFill` listener even when one of them throws for another fill; the
   * first such error is thrown once all fills are delivered.
   */
  onBar(bar: BrokerBar): Promise<Fill[]>;
  /**
   * The price a triggered exit fills at: a stop-loss, take-profit or stop-out reached at `level`
   * closes with a market order for `side` (SELL to leave a BUY), which pays the half spread and
   * the slippage like any market order — so a stop does not leave at a better price than a
   * manual close would.
   */
  exitFillPrice(side: TradeSide, level: number): number;
}

/**
 * The built-in paper broker.
 *
 * - A market order fills at once at the last price, a BUY at the ask and a SELL at the bid:
 *   last × (1 ± spread/2) × (1 ± slippage). No last price: rejected (`no_market_price`).
 * - Limit and stop orders rest until a bar that opens at or after their placement crosses
 *   their price (see `orderFillPrice`); stop fills also take the slippage, limit fills never do.
 * - A trade's stop-loss, take-profit or stop-out leaves at its level with the half spread and the
 *   slippage against it (`exitFillPrice`), as a manual close at that price would.
 *   A bar that began before the order was placed cannot say whether the price crossed after it,
 *   so it is not used.
 * - Resting orders live in memory: the engine places its pending orders again when it starts.
 */
export function createPaperBroker(options: PaperBrokerOptions = {}): PaperBroker {
  const halfSpread = (options.spreadBps ?? 0) / 20_000;
  const slippage = (options.slippageBps ?? 0) / 10_000;
  for (const [name, value] of [['spreadBps', options.spreadBps], ['slippageBps', options.slippageBps]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0 && value < 10_000)) throw new RangeError(`paper broker ${name} must be between 0 and 10000`);
  }
  const last = new Map<string, { price: number; time: Date }>();
  const resting = new Map<string, BrokerOrder>();
  const net = new Map<string, BrokerPosition>();
  const listeners = new Set<(fill: Fill) => void | Promise<void>>();

  const adverse = (side: TradeSide, price: number, fraction: number) => (side === 'BUY' ? price * (1 + fraction) : price * (1 - fraction));

  async function lastPrice(symbol: string) {
    return last.get(symbol) ?? (await options.lastPrice?.(symbol));
  }

  function fill(order: BrokerOrder, price: number, time: Date): Fill {
    // Units are informative (P&L comes from the exact stake), so a float is fine here.
    const quantity = 'quantity' in order.size ? order.size.quantity : Number(order.size.notional) / price;
    const key = `${order.accountId}\u0000${order.symbol}`;
    const position = net.get(key) ?? { accountId: order.accountId, symbol: order.symbol, quantity: 0 };
    position.quantity += order.side === 'BUY' ? quantity : -quantity;
    if (Math.abs(position.quantity) < 1e-12) net.delete(key);
    else net.set(key, position);
    return { orderId: order.id, accountId: order.accountId, symbol: order.symbol, side: order.side, price, quantity, time };
  }

  /** Every fill reaches every listener: one listener failing on one fill does not keep the others from theirs. */
  async function emit(fills: Fill[]) {
    let failure: { error: unknown } | undefined;
    for (const f of fills) {
      for (const listener of listeners) {
        try {
          await listener(f);
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    if (failure) throw failure.error;
  }

  return {
    async quote(symbol) {
      const seen = await lastPrice(symbol);
      if (!seen) return undefined;
      return { symbol, price: seen.price, bid: seen.price * (1 - halfSpread), ask: seen.price * (1 + halfSpread), time: seen.time };
    },

    async placeOrder(order) {
      if (order.type !== 'market') {
        resting.set(order.id, order);
        return { status: 'pending' };
      }
      const seen = await lastPrice(order.symbol);
      if (!seen) return { status: 'rejected', reason: 'no_market_price' };
      const price = adverse(order.side, adverse(order.side, seen.price, halfSpread), slippage);
      return { status: 'filled', fill: fill(order, price, order.placedAt) };
    },

    async cancelOrder(orderId) {
      return resting.delete(orderId);
    },

    exitFillPrice(side, level) {
      return adverse(side, adverse(side, level, halfSpread), slippage);
    },

    async positions(accountId) {
      return [...net.values()].filter((p) => accountId === undefined || p.accountId === accountId).map((p) => ({ ...p }));
    },

    onFill(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async onBar(bar) {
      const seen = last.get(bar.symbol);
      if (!seen || seen.time.getTime() <= bar.closeTime.getTime()) last.set(bar.symbol, { price: bar.close, time: bar.closeTime });
      const fills: Fill[] = [];
      for (const order of resting.values()) {
        if (order.symbol !== bar.symbol || bar.openTime.getTime() < order.placedAt.getTime()) continue;
        const at = orderFillPrice(order, bar);
        if (at === null) continue;
        resting.delete(order.id);
        const price = order.type === 'limit' ? at : adverse(order.side, at, slippage);
        fills.push(fill(order, price, bar.closeTime));
      }
      await emit(fills);
      return fills;
    },
  };
}
