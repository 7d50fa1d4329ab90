import { TradeplaneError } from '../errors.js';
import type { OrderRecord, Repositories, TradeRecord, TradeSide } from '../ports/index.js';
import { formatAmount } from '../money/amount.js';
import type { Currency } from '../money/currency.js';
import { createIdempotency, type Idempotency } from '../idempotency/idempotency.js';
import type { LedgerSteps } from '../wallets/service.js';
import type { Broker, PaperBroker } from './broker.js';
import type { Order, Trade, TradeEvent, TradingServiceDeps } from './service.js';

export const isPaper = (broker: Broker): broker is PaperBroker => typeof (broker as Partial<PaperBroker>).onBar === 'function';
export const opposite = (side: TradeSide): TradeSide => (side === 'BUY' ? 'SELL' : 'BUY');
const iso = (d: Date) => d.toISOString();

/**
 * What the parts of the trading service share: its dependencies, the ledger steps it composes
 * into its transactions, the views of its records, and the announcements of orders and trades.
 */
export interface TradingContext {
  readonly deps: TradingServiceDeps;
  readonly ledger: LedgerSteps;
  readonly idempotency: Idempotency;
  readonly listeners: Set<(event: TradeEvent) => void | Promise<void>>;
  currency(code: string): Currency;
  money(minor: bigint, code: string): string;
  toTrade(record: TradeRecord): Trade;
  toOrder(record: OrderRecord): Order;
  /** Calls each trade listener in turn; a failing one is logged. */
  emit(type: TradeEvent['type'], record: TradeRecord): Promise<void>;
  /** Tells `onOrderCommitted` of an order's new state once its transaction commits. */
  announceOrder(tx: Repositories, order: OrderRecord): void;
  ownTrade(userId: string, tradeId: string): Promise<TradeRecord>;
  ownOrder(userId: string, orderId: string): Promise<OrderRecord>;
}

export function createTradingContext(deps: TradingServiceDeps): TradingContext {
  const { storage, clock, logger, wallets } = deps;
  const ledger: LedgerSteps = wallets.within;
  const idempotency = createIdempotency({ storage, clock, ttlSeconds: deps.idempotencyTtl });
  const listeners = new Set<(event: TradeEvent) => void | Promise<void>>();

  async function emit(type: TradeEvent['type'], record: TradeRecord): Promise<void> {
    if (listeners.size === 0) return;
    const event: TradeEvent = { type, userId: record.userId, trade: toTrade(record) };
    for (const listener of listeners) {
      try {
        await listener(event);
      } catch (error) {
        logger.error({ event: 'trading.listener_failed', tradeId: record.id, type, error: error instanceof Error ? error.message : String(error) }, 'A trade listener failed');
      }
    }
  }

  /** Tells `onOrderCommitted` of an order's new state once its transaction commits. */
  function announceOrder(tx: Repositories, order: OrderRecord): void {
    const hook = deps.onOrderCommitted;
    if (hook && deps.afterCommit) deps.afterCommit(tx, () => hook(order.userId, toOrder(order)));
  }

  const currency = (code: string): Currency => wallets.currencies.get(code)!;
  const money = (minor: bigint, code: string) => formatAmount(minor, currency(code));

  const toTrade = (t: TradeRecord): Trade => ({
    id: t.id,
    accountId: t.accountId,
    orderId: t.orderId,
    symbol: t.symbol,
    side: t.side,
    stake: money(t.stake, t.currency),
    currency: t.currency,
    quantity: t.quantity,
    entryPrice: t.entryPrice,
    stopLoss: t.stopLoss,
    takeProfit: t.takeProfit,
    status: t.status,
    exitPrice: t.exitPrice,
    closeReason: t.closeReason,
    pnl: t.pnl === null ? null : money(t.pnl, t.currency),
    source: t.source,
    reference: t.reference,
    subscriptionId: t.subscriptionId,
    openedAt: iso(t.openedAt),
    closedAt: t.closedAt ? iso(t.closedAt) : null,
  });

  const toOrder = (o: OrderRecord): Order => ({
    id: o.id,
    accountId: o.accountId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    status: o.status,
    stake: money(o.stake, o.currency),
    currency: o.currency,
    price: o.price,
    stopLoss: o.stopLoss,
    takeProfit: o.takeProfit,
    tradeId: o.tradeId,
    fillPrice: o.fillPrice,
    source: o.source,
    reference: o.reference,
    rejectReason: o.rejectReason,
    createdAt: iso(o.createdAt),
    resolvedAt: o.resolvedAt ? iso(o.resolvedAt) : null,
  });

  async function ownTrade(userId: string, tradeId: string): Promise<TradeRecord> {
    const trade = await storage.repos.trades.findById(tradeId);
    if (!trade || trade.userId !== userId) throw new TradeplaneError('not_found', 'No such trade');
    return trade;
  }

  async function ownOrder(userId: string, orderId: string): Promise<OrderRecord> {
    const order = await storage.repos.orders.findById(orderId);
    if (!order || order.userId !== userId) throw new TradeplaneError('not_found', 'No such order');
    return order;
  }

  return { deps, ledger, idempotency, listeners, currency, money, toTrade, toOrder, emit, announceOrder, ownTrade, ownOrder };
}
