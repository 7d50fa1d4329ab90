import { z } from 'zod';
import type { BillingProvider } from './provider.js';

const count = z.number().int().min(0).nullable().meta({ description: 'At most this many; null: unlimited' });

/** What a plan allows. An entitlement left out is unlimited (a number) or included (`realMoneyTrading`). */
export const entitlementsSchema = z.strictObject({
  /** Strategy bots a user may hold. */
  maxBots: count.default(null),
  /** Backtests a user may start per UTC day (by the engine's clock). */
  backtestsPerDay: count.default(null),
  /** API keys (not revoked) a user may hold. */
  maxApiKeys: count.default(null),
  /** A label for the plan's request budget; reported, not enforced (see docs/plans.md). */
  rateLimitTier: z.string().min(1).max(64).nullable().default(null),
  /** Copy subscriptions (active or paused) a user may hold. */
  maxCopySubscriptions: count.default(null),
  /** Orders and trades on real-money accounts. */
  realMoneyTrading: z.boolean().default(true),
});

export type Entitlements = z.output<typeof entitlementsSchema>;

const planSchema = z.strictObject({
  /** The billing provider's price for the plan (a Stripe Price id): present, the plan can be bought. */
  price: z.string().min(1).max(255).optional(),
  /** A line for the catalog. */
  description: z.string().max(500).optional(),
  entitlements: entitlementsSchema.prefault({}),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * `createEngine({ plans })`: the plans users are on, the one everyone starts on (`default`), and
 * the billing providers paid plans are bought through. Without it nothing is limited.
 */
export const plansOptionsSchema = z
  .strictObject({
    default: z.string().min(1).max(64),
    plans: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a plan name: lower-case letters, digits, - and _'), planSchema),
    providers: z.array(z.custom<BillingProvider>((v) => isObject(v) && typeof v.name === 'string' && typeof v.verifyEvent === 'function' && typeof v.createCheckout === 'function', 'expected a BillingProvider')).default([]),
  })
  .superRefine((options, ctx) => {
    if (!Object.hasOwn(options.plans, options.default)) ctx.addIssue({ code: 'custom', path: ['default'], message: `must name one of the plans (${Object.keys(options.plans).join(', ')})` });
    const prices = new Map<string, string>();
    for (const [name, plan] of Object.entries(options.plans)) {
      if (plan.price === undefined) continue;
      const other = prices.get(plan.price);
      if (other) ctx.addIssue({ code: 'custom', path: ['plans', name, 'price'], message: `is also ${other}'s price: a price names one plan` });
      prices.set(plan.price, name);
    }
  });

export type PlansOptionsInput = z.input<typeof plansOptionsSchema>;
export type PlansOptions = z.output<typeof plansOptionsSchema>;
