import Stripe from 'stripe';
import { createEngine } from '@tradeplane/engine';
import { stripeBilling } from '@tradeplane/funding-stripe';

const engine = await createEngine({
  database: process.env.DATABASE_URL!,
  plans: {
    default: 'free',
    plans: {
      free: { description: 'Paper trading', entitlements: { maxBots: 1, backtestsPerDay: 3, maxApiKeys: 1, maxCopySubscriptions: 1, realMoneyTrading: false, rateLimitTier: 'basic' } },
      pro: { price: 'price_1Pro…', entitlements: { maxBots: 10, backtestsPerDay: null, maxApiKeys: 10, maxCopySubscriptions: 20, realMoneyTrading: true, rateLimitTier: 'pro' } },
    },
    providers: [stripeBilling({ stripe: new Stripe(process.env.STRIPE_SECRET_KEY!), webhookSecret: process.env.STRIPE_BILLING_WEBHOOK_SECRET! })],
  },
});
