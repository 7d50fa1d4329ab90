import { defineModule } from '../modules/define.js';
import { walletsModule } from '../wallets/module.js';
import { affiliateHandlers } from './handlers.js';
import { createAffiliateService } from './service.js';

/** Referral codes: a sign-up with a code links the new user to the referrer, who earns a share of commission. */
export const affiliatesModule = defineModule({
  name: 'affiliates',
  requires: ['auth', 'wallets'],
  uses: [walletsModule],
  routes: ['affiliates'],
  create(ctx, { wallets: { wallets } }) {
    const affiliates = createAffiliateService({ storage: ctx.storage, clock: ctx.clock, currencies: wallets.currencies });
    // An unknown referral code rolls the sign-up back.
    ctx.hooks.userCreated.add((tx, user) => affiliates.linkIn(tx, user));
    return { affiliates };
  },
  handlers: ({ affiliates }) => affiliateHandlers(affiliates),
});
