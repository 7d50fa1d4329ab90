import type { orderRoutes, positionRoutes, tradeRoutes } from '../contract/trading.js';
import type { ContractHandlers } from '../http/types.js';
import { withReplayHeader } from '../idempotency/replay-header.js';
import type { Order, OrderInput, Position, Trade, TradingService } from './service.js';

type Handlers = ContractHandlers<{ trades: typeof tradeRoutes; orders: typeof orderRoutes; positions: typeof positionRoutes }>;

export function tradeToWire(t: Trade) {
  return {
    id: t.id,
    account_id: t.accountId,
    order_id: t.orderId,
    symbol: t.symbol,
    side: t.side,
    stake: t.stake,
    currency: t.currency,
    quantity: t.quantity,
    entry_price: t.entryPrice,
    stop_loss: t.stopLoss,
    take_profit: t.takeProfit,
    status: t.status,
    exit_price: t.exitPrice,
    close_reason: t.closeReason,
    pnl: t.pnl,
    source: t.source,
    reference: t.reference,
    subscription_id: t.subscriptionId,
    opened_at: t.openedAt,
    closed_at: t.closedAt,
  };
}

export function orderToWire(o: Order) {
  return {
    id: o.id,
    account_id: o.accountId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    status: o.status,
    stake: o.stake,
    currency: o.currency,
    price: o.price,
    stop_loss: o.stopLoss,
    take_profit: o.takeProfit,
    trade_id: o.tradeId,
    fill_price: o.fillPrice,
    source: o.source,
    reference: o.reference,
    reject_reason: o.rejectReason,
    created_at: o.createdAt,
    resolved_at: o.resolvedAt,
  };
}

const positionToWire = (p: Position) => ({
  account_id: p.accountId,
  symbol: p.symbol,
  side: p.side,
  trades: p.trades,
  quantity: p.quantity,
  stake: p.stake,
  currency: p.currency,
  average_entry_price: p.averageEntryPrice,
  price: p.price,
  unrealised_pnl: p.unrealisedPnl,
});

interface TradeBody {
  account_id?: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  stake?: string;
  quantity?: number;
  stop_loss?: number;
  take_profit?: number;
  reference?: string;
}

const orderInput = (body: TradeBody, idempotencyKey: string): OrderInput => ({
  accountId: body.account_id,
  symbol: body.symbol,
  side: body.side,
  stake: body.stake,
  quantity: body.quantity,
  stopLoss: body.stop_loss,
  takeProfit: body.take_profit,
  reference: body.reference,
  idempotencyKey,
});

export function tradingHandlers(trading: TradingService): Handlers {
  const tradePage = (page: { trades: Trade[]; nextCursor: string | null }) => ({ trades: page.trades.map(tradeToWire), next_cursor: page.nextCursor });
  return {
    trades: {
      execute: async ({ principal, body, request }) => withReplayHeader(await trading.execute(principal.userId, orderInput(body, request.idempotencyKey!)), tradeToWire),
      list: async ({ principal, query }) => tradePage(await trading.trades(principal.userId, query)),
      open: async ({ principal, query }) => tradePage(await trading.trades(principal.userId, { ...query, status: 'open' })),
      get: async ({ principal, params }) => tradeToWire(await trading.trade(principal.userId, params.id)),
      close: async ({ principal, params }) => tradeToWire(await trading.closeTrade(principal.userId, params.id)),
      profit: async ({ principal, params }) => {
        const p = await trading.profit(principal.userId, params.id);
        return { trade_id: p.tradeId, status: p.status, price: p.price, pnl: p.pnl, pnl_percent: p.pnlPercent, realised: p.realised, currency: p.currency };
      },
    },
    orders: {
      list: async ({ principal, query }) => {
        const page = await trading.orders(principal.userId, query);
        return { orders: page.orders.map(orderToWire), next_cursor: page.nextCursor };
      },
      place: async ({ principal, body, request }) =>
        withReplayHeader(await trading.placeOrder(principal.userId, { ...orderInput(body, request.idempotencyKey!), type: body.type, price: body.price }), orderToWire),
      get: async ({ principal, params }) => orderToWire(await trading.order(principal.userId, params.id)),
      cancel: async ({ principal, params }) => orderToWire(await trading.cancelOrder(principal.userId, params.id)),
    },
    positions: {
      list: async ({ principal }) => ({ positions: (await trading.positions(principal.userId)).map(positionToWire) }),
    },
  };
}
