import { TradeplaneError } from '../errors.js';
import type { TradeRecord } from '../ports/index.js';
import { formatAmount } from '../money/amount.js';
import { MAX_MINOR_UNITS } from '../money/currency.js';
import { keysetPage } from '../pagination.js';
import type { TradingContext } from './context.js';
import { stakePnl } from './pricing.js';
import type { TradingService } from './service.js';

/** Reading orders, trades, a trade's profit and the positions they add up to. */
export function createQueries(ctx: TradingContext): Pick<TradingService, 'order' | 'orders' | 'trade' | 'trades' | 'profit' | 'positions'> {
  const { deps, currency, money, toTrade, toOrder, ownTrade, ownOrder } = ctx;
  const { storage, broker } = deps;

  return {
    async order(userId, orderId) {
      return toOrder(await ownOrder(userId, orderId));
    },

    async orders(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.orders.list({ userId, status: filter.status, symbol: filter.symbol, cursor: filter.cursor, limit: n }), toOrder);
      return { orders: page.items, nextCursor: page.nextCursor };
    },

    async trade(userId, tradeId) {
      return toTrade(await ownTrade(userId, tradeId));
    },

    async trades(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.trades.list({ userId, status: filter.status, symbol: filter.symbol, cursor: filter.cursor, limit: n }), toTrade);
      return { trades: page.items, nextCursor: page.nextCursor };
    },

    async profit(userId, tradeId) {
      const trade = await ownTrade(userId, tradeId);
      let price: number;
      let pnl: bigint;
      if (trade.status === 'closed') {
        price = trade.exitPrice!;
        pnl = trade.pnl!;
      } else {
        const quote = await broker.quote(trade.symbol);
        if (!quote) throw new TradeplaneError('no_market_price', `There is no price for ${trade.symbol}`);
        price = quote.price;
        pnl = stakePnl(trade.stake, trade.side, trade.entryPrice, price);
      }
      return {
        tradeId: trade.id,
        status: trade.status,
        price,
        pnl: money(pnl, trade.currency),
        pnlPercent: (Number(pnl) / Number(trade.stake)) * 100,
        realised: trade.status === 'closed',
        currency: trade.currency,
      };
    },

    async positions(userId) {
      const open = await storage.repos.trades.list({ userId, status: 'open', limit: 10_000 });
      const groups = new Map<string, TradeRecord[]>();
      for (const t of open) {
        const key = `${t.accountId}\u0000${t.symbol}\u0000${t.side}`;
        groups.set(key, [...(groups.get(key) ?? []), t]);
      }
      const prices = new Map<string, number | null>();
      for (const symbol of new Set(open.map((t) => t.symbol))) prices.set(symbol, (await broker.quote(symbol))?.price ?? null);
      return [...groups.values()]
        .map((trades) => {
          const first = trades[0]!;
          const c = currency(first.currency);
          const stake = trades.reduce((sum, t) => sum + t.stake, 0n);
          const quantity = trades.reduce((sum, t) => sum + t.quantity, 0);
          const price = prices.get(first.symbol) ?? null;
          const total = price === null ? null : trades.reduce((sum, t) => sum + stakePnl(t.stake, t.side, t.entryPrice, price), 0n);
          // Like each trade's, the position's P&L is never shown past the largest amount.
          const unrealised = total !== null && total > MAX_MINOR_UNITS ? MAX_MINOR_UNITS : total;
          return {
            accountId: first.accountId,
            symbol: first.symbol,
            side: first.side,
            trades: trades.length,
            quantity,
            stake: formatAmount(stake, c),
            currency: first.currency,
            averageEntryPrice: Number(stake) / 10 ** c.exponent / quantity,
            price,
            unrealisedPnl: unrealised === null ? null : formatAmount(unrealised, c),
          };
        })
        .sort((a, b) => (a.symbol === b.symbol ? a.side.localeCompare(b.side) : a.symbol.localeCompare(b.symbol)));
    },
  };
}
