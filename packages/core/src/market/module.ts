import { defineModule } from '../modules/define.js';
import { publish } from '../stream/events.js';
import { marketEvents, tick } from './events.js';
import { marketHandlers } from './handlers.js';
import { createMarketDataService } from './service.js';

/** Stored OHLCV bars, tickers and the live ticks channel. */
export const marketModule = defineModule({
  name: 'market',
  requires: ['auth'],
  uses: [],
  routes: ['market'],
  events: marketEvents,
  create(ctx) {
    const market = createMarketDataService({ storage: ctx.storage, logger: ctx.logger });
    const hub = ctx.hub;
    if (hub) {
      market.subscribe((c) =>
        publish(hub, tick, {
          channel: `ticks:${c.symbol}`,
          userId: null,
          data: { symbol: c.symbol, interval: c.interval, open_time: c.openTime.toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume },
        }),
      );
    }
    return { market };
  },
  handlers: ({ market }) => marketHandlers(market),
});
