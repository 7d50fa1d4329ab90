import { defineModule } from '../modules/define.js';
import { notificationsModule } from '../notifications/module.js';
import { publish } from '../stream/events.js';
import { balanceChanged, walletEvents } from './events.js';
import { walletHandlers } from './handlers.js';
import { createWalletService } from './service.js';

/** Accounts on the double-entry ledger: deposits, withdrawals, transfers, holds, corrections. */
export const walletsModule = defineModule({
  name: 'wallets',
  requires: ['auth'],
  uses: [notificationsModule],
  routes: ['accounts', 'wallet', 'billing', 'ledger', 'withdrawals', 'funding'],
  events: walletEvents,
  create(ctx, { notifications: { notifications } }) {
    const hub = ctx.hub;
    const wallets = createWalletService({
      storage: ctx.storage,
      clock: ctx.clock,
      ids: ctx.ids,
      logger: ctx.logger,
      audit: ctx.audit,
      options: ctx.deps.wallets,
      observer: ctx.observer,
      afterCommit: ctx.afterCommit,
      payouts: ctx.deps.payments?.payouts ?? [],
      onBalancesCommitted:
        hub &&
        ((changes) => {
          for (const c of changes) {
            publish(hub, balanceChanged, { userId: c.userId, data: { account_id: c.accountId, currency: c.currency, balance: c.balance, available: c.available, entry_id: c.entryId, kind: c.kind } });
          }
        }),
      cashNotifications: {
        notifications,
        notice: (m) => ({
          type: `wallet.${m.kind}`,
          title: `${m.kind === 'deposit' ? 'Deposit' : 'Withdrawal'} of ${m.amount} ${m.currency}`,
          data: { account_id: m.accountId, entry_id: m.entryId, amount: m.amount, currency: m.currency },
        }),
      },
    });
    // Every new user gets their default account in the sign-up transaction.
    ctx.hooks.userCreated.add((tx, user) => wallets.openInitialAccount(tx, user));
    return { wallets };
  },
  handlers: ({ wallets }) => walletHandlers(wallets),
  jobs: ({ wallets }, ctx) => [
    { name: 'expire_holds', everyMs: 60_000, run: async () => ({ expired: await wallets.expireHolds() }) },
    // Only payout providers are called, and so retried: manual payouts wait for an operator.
    ...((ctx.deps.payments?.payouts?.length ?? 0) > 0 ? [{ name: 'retry_payouts', everyMs: 60_000, run: () => wallets.funding.retryPayouts() }] : []),
  ],
});
