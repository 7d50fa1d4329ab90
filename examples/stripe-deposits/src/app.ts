import express from 'express';
import type Stripe from 'stripe';
import { createEngine, type Engine, type EngineOptions } from '@tradeplane/engine';
import { tradeplaneExpress } from '@tradeplane/adapter-express';
import { stripeConnectPayouts, stripeFunding } from '@tradeplane/funding-stripe';

export interface StripeDepositsOptions {
  /** A `stripe` SDK instance with the secret key. */
  stripe: Stripe;
  /** The signing secret of the webhook endpoint `<base>/api/v1/webhooks/stripe`. */
  webhookSecret: string;
  /** Everything else the engine takes (database, auth, mode…). */
  engine: EngineOptions;
}

/**
 * tradeplane with card deposits through Stripe and withdrawals paid to Stripe Connect accounts,
 * mounted on Express under `/api/v1`. Money reaches an account only when Stripe's signed
 * `payment_intent.succeeded` webhook says so.
 */
export async function createStripeDepositsApp(options: StripeDepositsOptions): Promise<{ app: express.Express; engine: Engine }> {
  const engine = await createEngine({
    ...options.engine,
    payments: {
      providers: [stripeFunding({ stripe: options.stripe, webhookSecret: options.webhookSecret })],
      payouts: [stripeConnectPayouts({ stripe: options.stripe })],
    },
  });
  const app = express();
  app.disable('x-powered-by');
  // No body parser before the mount: the webhook route needs the exact bytes Stripe signed.
  app.use('/api/v1', tradeplaneExpress(engine));
  return { app, engine };
}
