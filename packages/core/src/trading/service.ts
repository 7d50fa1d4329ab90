import type { EntitlementGate } from '../modules/entitlements.js';
import type { Clock, Ids, Logger, Storage } from '../ports/index.js';
import type { OrderStatus, OrderType, Repositories, TradeCloseReason, TradeSide, TradeSource, TradeStatus } from '../ports/index.js';
import type { WalletService } from '../wallets/service.js';
import type { RiskService } from '../risk/service.js';
import type { Broker, BrokerBar } from './broker.js';
import { createTradingContext } from './context.js';
import { createOrders } from './orders.js';
import { createClosing } from './closing.js';
import { createQueries } from './queries.js';

/** A trade as the API shows it: money as decimal strings, prices as numbers. */
export interface Trade {
  id: string;
  accountId: string;
  orderId: string;
  symbol: string;
  side: TradeSide;
  stake: string;
  currency: string;
  quantity: number;
  entryPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
  status: TradeStatus;
  exitPrice: number | null;
  closeReason: TradeCloseReason | null;
  /** Realised P&L (null while open). */
  pnl: string | null;
  source: TradeSource;
  reference: string | null;
  /** The copy-trading subscription a copy was placed through. */
  subscriptionId: string | null;
  openedAt: string;
  closedAt: string | null;
}

export interface Order {
  id: string;
  accountId: string;
  symbol: string;
  side: TradeSide;
  type: OrderType;
  status: OrderStatus;
  stake: string;
  currency: string;
  price: number | null;
  stopLoss: number | null;
  takeProfit: number | null;
  tradeId: string | null;
  fillPrice: number | null;
  source: TradeSource;
  reference: string | null;
  rejectReason: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** The user's open trades on one symbol and side of one account, taken together. */
export interface Position {
  accountId: string;
  symbol: string;
  side: TradeSide;
  trades: number;
  quantity: number;
  stake: string;
  currency: string;
  /** Σ stake ÷ Σ quantity: the price the position was bought (or sold) at on average. */
  averageEntryPrice: number;
  /** The last price (null when the broker has none). */
  price: number | null;
  /** Σ of each trade's P&L at `price` (null without a price). */
  unrealisedPnl: string | null;
}

export interface TradeProfit {
  tradeId: string;
  status: TradeStatus;
  /** The exit price of a closed trade, or the last price of an open one. */
  price: number;
  pnl: string;
  /** pnl ÷ stake × 100. */
  pnlPercent: number;
  realised: boolean;
  currency: string;
}

export interface OrderInput {
  accountId?: string;
  symbol: string;
  side: TradeSide;
  /** Default `market`. */
  type?: OrderType;
  /** The limit or stop price: required for those types, refused for market orders. */
  price?: number;
  /** Decimal string in the account's currency. Give a stake or a quantity; neither → the risk manager's recommended stake. */
  stake?: string;
  /** Units of the instrument; converted to a stake at the order's price (market: the current ask or bid). */
  quantity?: number;
  stopLoss?: number;
  takeProfit?: number;
  idempotencyKey: string;
  source?: TradeSource;
  reference?: string;
  /** For copy trading: the subscription the order came through (recorded with rejections). */
  subscriptionId?: string;
}

export interface ListFilter {
  symbol?: string;
  cursor?: string;
  limit?: number;
}

/**
 * Orders, trades and positions on the ledger.
 *
 * Placing an order asks the risk manager (inside the transaction that also locks the user's
 * row, so two orders cannot both take the last open position), reserves the stake with a
 * ledger hold and stores the order; then the broker gets it. A fill opens a trade backed by
 * the same hold. Closing settles the trade's P&L (`stakePnl`) into the account in one
 * `trade_settlement` entry, counts it into the losing streak, and stores the locks that trips.
 * Stop-loss, take-profit and stop-out are watched here, on every stored bar (`exitOnBar`).
 */
export interface TradingService {
  readonly broker: Broker;
  /** Opens a trade at market (`POST /trades/execute`). */
  execute(userId: string, input: Omit<OrderInput, 'type' | 'price'>): Promise<Trade>;
  placeOrder(userId: string, input: OrderInput): Promise<Order>;
  cancelOrder(userId: string, orderId: string): Promise<Order>;
  order(userId: string, orderId: string): Promise<Order>;
  orders(userId: string, filter?: ListFilter & { status?: OrderStatus }): Promise<{ orders: Order[]; nextCursor: string | null }>;
  trade(userId: string, tradeId: string): Promise<Trade>;
  trades(userId: string, filter?: ListFilter & { status?: TradeStatus }): Promise<{ trades: Trade[]; nextCursor: string | null }>;
  /** Closes an open trade at market. */
  closeTrade(userId: string, tradeId: string, reason?: TradeCloseReason): Promise<Trade>;
  profit(userId: string, tradeId: string): Promise<TradeProfit>;
  positions(userId: string): Promise<Position[]>;
  /** Feeds a stored bar: the broker fills resting orders it crosses, then stops and targets are checked. */
  onBar(bar: BrokerBar): Promise<void>;
  /**
   * Calls `listener` after each trade opens or closes (after its transaction commits), in the
   * order they happened. Copy trading mirrors masters' trades from here; backtests follow their
   * equity. A failing listener is logged and does not undo the trade. Returns an unsubscribe function.
   */
  subscribe(listener: (event: TradeEvent) => void | Promise<void>): () => void;
}

/** A trade that opened (from a fill) or closed (settled), with the user it belongs to. */
export type TradeEvent = { type: 'opened' | 'closed'; userId: string; trade: Trade };

export interface TradingServiceDeps {
  /** Told of each order placed or resolved, after its transaction commits (the real-time stream). */
  onOrderCommitted?: (userId: string, order: Order) => void;
  afterCommit?: (tx: Repositories, fn: () => void) => void;
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  wallets: WalletService;
  risk: RiskService;
  broker: Broker;
  idempotencyTtl: number;
  /** The plan's `realMoneyTrading`, checked when an order is stored on a real account. */
  entitlements?: EntitlementGate;
}

/**
 * Composes the service from its parts on one shared context (`context.ts`): orders and fills
 * (`orders.ts`), closing trades and the exits bars trigger (`closing.ts`), and reads (`queries.ts`).
 */
export function createTradingService(deps: TradingServiceDeps): TradingService {
  const ctx = createTradingContext(deps);
  const orders = createOrders(ctx);
  const closing = createClosing(ctx, orders);
  const queries = createQueries(ctx);

  return {
    broker: deps.broker,
    execute: orders.execute,
    placeOrder: orders.placeOrder,
    cancelOrder: orders.cancelOrder,
    order: queries.order,
    orders: queries.orders,
    trade: queries.trade,
    trades: queries.trades,
    closeTrade: closing.closeTrade,
    profit: queries.profit,
    positions: queries.positions,
    onBar: closing.onBar,
    subscribe(listener) {
      ctx.listeners.add(listener);
      return () => ctx.listeners.delete(listener);
    },
  };
}
