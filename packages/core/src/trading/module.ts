import { backtestHandlers } from '../backtests/handlers.js';
import type { Scratch } from '../backtests/runner.js';
import { createBacktestService } from '../backtests/service.js';
import { isTradeplaneError } from '../errors.js';
import { intervalMs } from '../market/intervals.js';
import { marketModule } from '../market/module.js';
import { defineModule } from '../modules/define.js';
import { notificationsModule } from '../notifications/module.js';
import { manualClock, uuidV7Ids } from '../ports/index.js';
import { riskHandlers } from '../risk/handlers.js';
import { createRiskService } from '../risk/service.js';
import { builtinStrategies } from '../signals/strategies/builtin.js';
import type { AnyStrategyDefinition } from '../signals/strategies/strategy.js';
import { publish } from '../stream/events.js';
import { walletsModule } from '../wallets/module.js';
import { botHandlers, signalToWire } from './bot-handlers.js';
import { createStrategyBotService } from './bots.js';
import { createPaperBroker } from './broker.js';
import { orderChanged, signalCreated, tradeChanged, tradingEvents } from './events.js';
import { orderToWire, tradeToWire, tradingHandlers } from './handlers.js';
import { createTradingService } from './service.js';

/** Orders and trades on a broker, risk limits, strategy bots and backtests. */
export const tradingModule = defineModule({
  name: 'trading',
  requires: ['auth', 'wallets', 'market'],
  uses: [notificationsModule, walletsModule, marketModule],
  routes: ['trades', 'orders', 'positions', 'risk', 'strategies', 'backtests'],
  events: tradingEvents,
  create(ctx, { notifications: { notifications }, wallets: { wallets }, market: { market } }) {
    const { storage, clock, ids, logger, audit, afterCommit, hub, deps } = ctx;
    const risk = createRiskService({ storage, clock, ids, audit, currencies: wallets.currencies, defaultCurrency: deps.wallets.defaultCurrency, defaults: deps.trading?.risk, notifyIn: notifications.notifyIn, observer: ctx.observer, afterCommit });
    const broker =
      deps.trading?.broker ??
      createPaperBroker({
        ...deps.trading?.paper,
        // Before this process has seen a bar of a symbol, its last stored close is the price.
        lastPrice: async (symbol) => {
          const seen = market.lastPrice(symbol);
          if (seen) return seen;
          try {
            return await market.ticker(symbol);
          } catch (error) {
            // No stored bar is "no price"; a database failure is not.
            if (isTradeplaneError(error) && error.code === 'not_found') return undefined;
            throw error;
          }
        },
      });
    const trading = createTradingService({
      storage,
      clock,
      ids,
      logger,
      wallets,
      risk,
      broker,
      idempotencyTtl: deps.wallets.idempotencyTtl,
      entitlements: ctx.entitlements,
      afterCommit,
      onOrderCommitted: hub && ((userId, order) => publish(hub, orderChanged, { type: `order.${order.status}`, userId, data: orderToWire(order) })),
    });
    if (hub) trading.subscribe((e) => publish(hub, tradeChanged, { type: `trade.${e.type}`, userId: e.userId, data: tradeToWire(e.trade) }));
    const definitions = new Map<string, AnyStrategyDefinition>();
    for (const d of [...builtinStrategies, ...(deps.trading?.strategies ?? [])]) definitions.set(d.name, d);
    const strategies = createStrategyBotService({
      storage,
      clock,
      ids,
      logger,
      trading,
      definitions: [...definitions.values()],
      entitlements: ctx.entitlements,
      onSignal: hub && ((userId, signal) => publish(hub, signalCreated, { userId, data: signalToWire(signal) })),
    });
    // Every stored bar drives fills, stops and targets, then the bots on its symbol and interval.
    market.subscribe(async (candle) => {
      const bar = { ...candle, closeTime: new Date(candle.openTime.getTime() + intervalMs[candle.interval]) };
      // The bots trade for their own users: a failure in this bar's fills and stops (logged by the
      // market service) must not keep them from the bar.
      try {
        await trading.onBar(bar);
      } finally {
        await strategies.onBar(bar);
      }
    });
    // A backtest runs these same services on a scratch database and a clock it moves bar by bar.
    const scratchStorage = deps.scratchStorage;
    const openScratch =
      scratchStorage &&
      (async (setup: { currency: string; initialBalance: string }): Promise<Scratch> => {
        const scratch = await scratchStorage();
        const scratchClock = manualClock(new Date(0));
        try {
          const inner = ctx.rebuild({
            storage: scratch,
            clock: scratchClock,
            ids: uuidV7Ids(scratchClock),
            wallets: { ...deps.wallets, defaultCurrency: setup.currency, demo: { balance: setup.initialBalance, balances: {}, maxBalances: {}, topUpsPerDay: 0, maxAccounts: 1 } },
            trading: { ...deps.trading, broker: undefined },
            scratchStorage: undefined,
            // The backtest's own bot and trades are the replay's, not the user's: no plan limits them.
            plans: undefined,
            // A backtest's requests, entries and events are not this instance's.
            operations: { logRequests: false, events: false },
          });
          return { ...inner, storage: scratch, clock: scratchClock, close: () => scratch.close() };
        } catch (error) {
          await scratch.close();
          throw error;
        }
      });
    const backtests = createBacktestService({
      storage,
      clock,
      ids,
      logger,
      currencies: wallets.currencies,
      defaultCurrency: deps.wallets.defaultCurrency,
      openScratch,
      syncBars: deps.trading?.backtests?.syncBars ?? 10_000,
      maxBars: deps.trading?.backtests?.maxBars ?? 2_000_000,
      jobsPerUser: deps.trading?.backtests?.jobsPerUser ?? 2,
      entitlements: ctx.entitlements,
    });
    return { risk, trading, strategies, backtests };
  },
  handlers: ({ risk, trading, strategies, backtests }, { terminals }) => ({
    ...tradingHandlers(trading),
    ...riskHandlers(risk, terminals.reportProtectionEvent),
    ...botHandlers(strategies),
    ...backtestHandlers(backtests),
  }),
});
