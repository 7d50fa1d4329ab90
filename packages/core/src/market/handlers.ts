import type { marketRoutes } from '../contract/market.js';
import type { ContractHandlers } from '../http/types.js';
import type { MarketDataService, StoredCandle } from './service.js';

type Handlers = ContractHandlers<{ market: typeof marketRoutes }>;

const candleToWire = (c: StoredCandle) => ({ open_time: c.openTime.toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });

export function marketHandlers(market: MarketDataService): Handlers {
  return {
    market: {
      ingestCandles: async ({ body }) =>
        market.ingest(
          body.candles.map((c) => ({
            symbol: c.symbol,
            interval: c.interval,
            openTime: new Date(c.open_time),
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
            volume: c.volume,
          })),
        ),
      candles: async ({ params, query }) => ({
        symbol: params.symbol,
        interval: query.interval,
        candles: (
          await market.candles(params.symbol, {
            interval: query.interval,
            from: query.from === undefined ? undefined : new Date(query.from),
            to: query.to === undefined ? undefined : new Date(query.to),
            limit: query.limit,
          })
        ).map(candleToWire),
      }),
      ticker: async ({ params }) => {
        const t = await market.ticker(params.symbol);
        return {
          symbol: t.symbol,
          price: t.price,
          time: t.time.toISOString(),
          interval: t.interval,
          open_24h: t.open24h,
          high_24h: t.high24h,
          low_24h: t.low24h,
          volume_24h: t.volume24h,
          change_24h: t.change24h,
          change_percent_24h: t.changePercent24h,
        };
      },
    },
  };
}
