import { TradeplaneError } from '../errors.js';
import type { Repositories, TradeCloseReason, TradeRecord } from '../ports/index.js';
import { MAX_MINOR_UNITS } from '../money/currency.js';
import { systemFor } from '../wallets/service.js';
import { isPaper, opposite, type TradingContext } from './context.js';
import type { createOrders } from './orders.js';
import { stakePnl, uncappedPnl } from './pricing.js';
import type { TradingService } from './service.js';
import { exitOnBar } from './triggers.js';

/**
 * Closing trades: settling the P&L into the ledger (capped to what the accounts can hold),
 * manual closes at market, and the stops and targets each bar triggers (retried until settled).
 */
export function createClosing(
  ctx: TradingContext,
  orders: Pick<ReturnType<typeof createOrders>, 'resume' | 'unrecordedFills' | 'takeFill'>,
): Pick<TradingService, 'closeTrade' | 'onBar'> {
  const { deps, ledger, toTrade, emit, ownTrade } = ctx;
  const { storage, clock, ids, logger, risk, broker } = deps;
  const { resume, unrecordedFills, takeFill } = orders;

  /**
   * Settles an open trade at `exitPrice`: P&L into the ledger, the streak and locks updated, all in
   * one transaction. A gain no balance can hold — the account's, or the settlement account's on
   * the other side, past 2^63 − 1 minor units — makes that posting fail; the trade is then settled
   * with the gain cut to what both can hold (the uncapped figure kept in the entry's metadata and
   * logged), so a trade is always closable and settling never throws on overflow.
   */
  async function settle(trade: TradeRecord, exitPrice: number, reason: TradeCloseReason, at: Date): Promise<TradeRecord> {
    const pnl = stakePnl(trade.stake, trade.side, trade.entryPrice, exitPrice);
    try {
      return await settleAt(trade, exitPrice, reason, at, pnl);
    } catch (error) {
      if (pnl <= 0n || (error instanceof TradeplaneError && error.code === 'trade_not_open')) throw error;
      const room = await settlementRoom(trade);
      if (pnl <= room) throw error;
      const uncapped = uncappedPnl(trade.stake, trade.side, trade.entryPrice, exitPrice);
      logger.warn({ event: 'trading.pnl_capped', tradeId: trade.id, pnl: String(uncapped), paid: String(room) }, 'A P&L past the largest amount was cut to what the accounts can hold');
      return settleAt(trade, exitPrice, reason, at, room, uncapped);
    }
  }

  /** The most a gain on this trade can pay: what keeps its account and the settlement account within 2^63 − 1 minor units. */
  async function settlementRoom(trade: TradeRecord): Promise<bigint> {
    const account = await storage.repos.accounts.findById(trade.accountId);
    const counterparty = await storage.repos.accounts.ensureSystem(systemFor(account ?? { kind: 'real' }, 'settlement'), trade.currency, clock.now());
    const settlement = await storage.repos.accounts.findById(counterparty.id);
    const room = [MAX_MINOR_UNITS - (account?.balance ?? 0n), MAX_MINOR_UNITS + (settlement?.balance ?? 0n)].reduce((a, b) => (a < b ? a : b));
    return room > 0n ? room : 0n;
  }

  async function settleAt(trade: TradeRecord, exitPrice: number, reason: TradeCloseReason, at: Date, pnl: bigint, uncapped?: bigint): Promise<TradeRecord> {
    const closed = await storage.transaction(async (tx: Repositories) => {
      await tx.accounts.lockOwner(trade.userId);
      const entryId = pnl === 0n ? null : ids.next();
      const closed = await tx.trades.close(trade.id, { exitPrice, closeReason: reason, pnl, settlementEntryId: entryId, closedAt: at });
      if (!closed) throw new TradeplaneError('trade_not_open', 'The trade is already closed');
      await ledger.settle(tx, {
        holdId: trade.holdId,
        pnl,
        entryId: entryId ?? '',
        reference: trade.id,
        metadata: { symbol: trade.symbol, side: trade.side, entry_price: trade.entryPrice, exit_price: exitPrice, close_reason: reason, ...(uncapped === undefined ? {} : { pnl_uncapped: String(uncapped) }) },
      });
      await risk.afterSettlementIn(tx, trade.userId, trade.currency, pnl, at);
      return closed;
    });
    await emit('closed', closed);
    return closed;
  }

  /**
   * Exits that a bar triggered but that could not be settled, by trade id: retried at the next
   * bar at the price and time of the bar that triggered them (that bar did reach the level).
   */
  const unsettledExits = new Map<string, { trade: TradeRecord; price: number; reason: TradeCloseReason; at: Date }>();
  async function exit(pending: { trade: TradeRecord; price: number; reason: TradeCloseReason; at: Date }): Promise<void> {
    try {
      await settle(pending.trade, pending.price, pending.reason, pending.at);
      unsettledExits.delete(pending.trade.id);
    } catch (error) {
      // A manual close (or another instance) got there first: nothing left to do.
      if (error instanceof TradeplaneError && error.code === 'trade_not_open') {
        unsettledExits.delete(pending.trade.id);
        return;
      }
      unsettledExits.set(pending.trade.id, pending);
      logger.error(
        { event: 'trading.trigger_failed', tradeId: pending.trade.id, reason: pending.reason, price: pending.price, error: error instanceof Error ? error.message : String(error) },
        'A triggered exit could not be settled; it is retried on the next bar',
      );
    }
  }

  /** What a triggered exit fills at: through the paper broker's spread and slippage, as a market close would. */
  const exitFill = (trade: TradeRecord, level: number): number =>
    isPaper(broker) && typeof broker.exitFillPrice === 'function' ? broker.exitFillPrice(opposite(trade.side), level) : level;

  return {
    async closeTrade(userId, tradeId, reason = 'manual') {
      const trade = await ownTrade(userId, tradeId);
      if (trade.status !== 'open') throw new TradeplaneError('trade_not_open', 'The trade is already closed');
      const now = clock.now();
      const result = await broker.placeOrder({
        id: ids.next(),
        accountId: trade.accountId,
        symbol: trade.symbol,
        side: opposite(trade.side),
        type: 'market',
        price: null,
        size: { quantity: trade.quantity },
        placedAt: now,
      });
      if (result.status === 'rejected') {
        throw new TradeplaneError(result.reason === 'no_market_price' ? 'no_market_price' : 'order_rejected', `The broker refused the closing order (${result.reason})`);
      }
      if (result.status !== 'filled') throw new TradeplaneError('order_rejected', 'The broker did not fill the closing market order at once');
      return toTrade(await settle(trade, result.fill.price, reason, now));
    },

    async onBar(bar) {
      await resume();
      // Each trigger stands alone: one that fails is logged and retried at the next bar, and every
      // other trade's stops and every resting order on this bar still run.
      for (const pending of [...unsettledExits.values()]) await exit(pending);
      for (const fill of [...unrecordedFills.values()]) await takeFill(fill);
      // Stops first, on trades that were open when the bar began; then the broker's resting orders.
      for (const trade of await storage.repos.trades.listOpenBySymbol(bar.symbol)) {
        if (trade.openedAt.getTime() > bar.openTime.getTime() || unsettledExits.has(trade.id)) continue;
        const hit = exitOnBar(trade, bar);
        if (hit) await exit({ trade, price: exitFill(trade, hit.price), reason: hit.reason, at: bar.closeTime });
      }
      if (isPaper(broker)) {
        try {
          await broker.onBar(bar);
        } catch (error) {
          // Our own listener never throws (see takeFill): this is another listener's, already delivered past.
          logger.error({ event: 'trading.bar_fill_listener_failed', symbol: bar.symbol, error: error instanceof Error ? error.message : String(error) }, 'A fill listener failed');
        }
      }
    },
  };
}
