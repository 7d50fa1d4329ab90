/**
 * tradeplane taking card deposits through Stripe (test mode).
 *
 *   STRIPE_SECRET_KEY=sk_test_… STRIPE_WEBHOOK_SECRET=whsec_… pnpm --filter @tradeplane/example-stripe-deposits start
 *
 * Locally, `stripe listen --forward-to localhost:3000/api/v1/webhooks/stripe` prints the webhook
 * secret to use. Environment variables are read here, and only here.
 */
import { resolve } from 'node:path';
import Stripe from 'stripe';
import { createStripeDepositsApp } from './app.js';

const secretKey = process.env.STRIPE_SECRET_KEY ?? '';
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET ?? '';
if (!secretKey || !webhookSecret) {
  console.error('Set STRIPE_SECRET_KEY (sk_test_…) and STRIPE_WEBHOOK_SECRET (whsec_…): see examples/stripe-deposits/README.md');
  process.exit(1);
}
if (!secretKey.startsWith('sk_test_') && !secretKey.startsWith('rk_test_') && process.env.NODE_ENV !== 'production') {
  console.error('A live Stripe key outside NODE_ENV=production: refusing to move real money from a development server');
  process.exit(1);
}

const port = Number(process.env.PORT ?? 3000);
const { app } = await createStripeDepositsApp({
  stripe: new Stripe(secretKey),
  webhookSecret,
  engine: {
    database: process.env.DATABASE_URL ?? resolve(process.env.INIT_CWD ?? process.cwd(), 'data/stripe-deposits.db'),
    mode: process.env.NODE_ENV === 'production' ? 'production' : 'development',
    auth: { jwtSecret: process.env.JWT_SECRET || undefined },
  },
});
app.listen(port, () => {
  console.log(`tradeplane with Stripe deposits on http://localhost:${port}/api/v1 (docs: /api/v1/docs)`);
  console.log(`Stripe webhook endpoint: http://localhost:${port}/api/v1/webhooks/stripe`);
});
