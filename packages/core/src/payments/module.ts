import { defineModule } from '../modules/define.js';
import { walletsModule } from '../wallets/module.js';
import { paymentHandlers } from './handlers.js';
import { createPaymentService } from './service.js';

/** Real money in through payment providers: deposits confirmed by the provider's signed callbacks. */
export const paymentsModule = defineModule({
  name: 'payments',
  requires: ['auth', 'wallets'],
  uses: [walletsModule],
  routes: ['deposits', 'webhooks', 'paymentOperations'],
  create(ctx, { wallets: { wallets } }) {
    const payments = createPaymentService({ storage: ctx.storage, clock: ctx.clock, ids: ctx.ids, logger: ctx.logger, audit: ctx.audit, wallets, providers: ctx.deps.payments?.providers ?? [] });
    return { payments };
  },
  handlers: ({ payments }) => paymentHandlers(payments),
});
