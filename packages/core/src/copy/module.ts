import { affiliatesModule } from '../affiliates/module.js';
import { defineModule } from '../modules/define.js';
import { notificationsModule } from '../notifications/module.js';
import { tradingModule } from '../trading/module.js';
import { walletsModule } from '../wallets/module.js';
import { createCommissionService } from './commission.js';
import { copyHandlers } from './handlers.js';
import { copyOptionsSchema } from './options.js';
import { createCopyService } from './service.js';

/** Copy trading: masters, followers' subscriptions and license tokens, commission. */
export const copyModule = defineModule({
  name: 'copy',
  requires: ['auth', 'wallets', 'market', 'trading'],
  uses: [notificationsModule, walletsModule, affiliatesModule, tradingModule],
  routes: ['masters', 'subscriptions', 'license', 'commission'],
  create(ctx, { notifications: { notifications }, wallets: { wallets }, affiliates: { affiliates }, trading: { risk, trading } }) {
    const { storage, clock, ids, logger } = ctx;
    // Masters' trades are mirrored to their followers from the trade events (see CopyService).
    const copy = createCopyService({ storage, clock, ids, logger, wallets, risk, trading, notifications, entitlements: ctx.entitlements });
    const commission = createCommissionService({ storage, clock, ids, logger, wallets, notifications, affiliates, options: copyOptionsSchema.parse(ctx.deps.copy ?? {}) });
    // A copy that closes in profit pays its markup at once (the settlement sweeps any missed).
    trading.subscribe(async (event) => {
      if (event.type !== 'closed' || event.trade.source !== 'copy' || !event.trade.subscriptionId) return;
      try {
        const trade = await storage.repos.trades.findById(event.trade.id);
        if (trade) await commission.chargeMarkup(trade);
      } catch (error) {
        logger.warn({ event: 'commission.markup_failed', tradeId: event.trade.id, error: error instanceof Error ? error.message : String(error) }, 'A markup was not charged; the next settlement retries it');
      }
    });
    return { copy, commission };
  },
  handlers: ({ copy, commission }) => copyHandlers(copy, commission),
  terminals: ({ copy }) => ({ authenticate: copy.authenticateLicense, reportProtectionEvent: copy.reportProtectionEvent }),
  jobs: ({ copy, commission }, { clock }) => {
    let settledPeriod: string | undefined;
    return [
      { name: 'expire_subscriptions', everyMs: 60_000, run: async () => ({ expired: await copy.expireDue() }) },
      {
        name: 'settle_commission',
        everyMs: 60_000,
        // Each period once it is over; settling is idempotent, so this only saves the scan.
        run: async () => {
          const last = commission.periodOf(new Date(commission.periodOf(clock.now()).start.getTime() - 1)).label;
          if (last === settledPeriod) return { period: last, settled: 'already' };
          const report = await commission.settle({ period: last });
          settledPeriod = last;
          return { ...report };
        },
      },
    ];
  },
});
