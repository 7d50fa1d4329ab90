import { z } from 'zod';
import { defineRoute } from './route.js';
import { pageQuery, timestamp } from './common.js';

const planName = z.string().min(1).max(64);
const count = z.number().int().nullable().meta({ description: 'At most this many; null: unlimited' });

export const entitlementsSchema = z
  .object({
    max_bots: count,
    backtests_per_day: count.meta({ description: 'Backtests started per UTC day; null: unlimited' }),
    max_api_keys: count,
    rate_limit_tier: z.string().nullable().meta({ description: 'The plan’s request-budget label (reported; the budgets are the engine’s `rateLimits`)' }),
    max_copy_subscriptions: count,
    real_money_trading: z.boolean(),
  })
  .meta({ id: 'Entitlements' });

const subscriptionStatus = z.enum(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled']);

export const planSubscriptionSchema = z
  .object({
    plan: z.string().nullable().meta({ description: 'The plan in force; null when no plans are configured (nothing is limited)' }),
    status: subscriptionStatus.nullable().meta({ description: 'The paid subscription’s status as the provider reported it; null on the default plan without one' }),
    provider: z.string().nullable().meta({ description: 'The billing provider, or `operator` for a plan an operator set' }),
    entitlements: entitlementsSchema,
    usage: z
      .object({ bots: z.number().int(), backtests_today: z.number().int(), api_keys: z.number().int(), copy_subscriptions: z.number().int() })
      .meta({ description: 'What you hold of each counted entitlement (backtests: started today, UTC)' }),
    current_period_end: timestamp.nullable(),
    cancel_at_period_end: z.boolean(),
  })
  .meta({ id: 'PlanSubscription' });

export const userPlanSchema = z
  .object({
    user_id: z.string(),
    plan: z.string(),
    status: subscriptionStatus,
    provider: z.string(),
    customer_reference: z.string().nullable(),
    subscription_reference: z.string().nullable(),
    current_period_end: timestamp.nullable(),
    cancel_at_period_end: z.boolean(),
    updated_at: timestamp,
  })
  .meta({ id: 'UserPlan' });

const subscriptionRoute = (id: string, path: string, summary: string) =>
  ({
    id,
    method: 'GET',
    path,
    summary,
    tags: ['plans'],
    auth: 'user',
    scope: 'account:read',
    response: planSubscriptionSchema,
    errors: [],
  }) as const;

export const planRoutes = {
  catalog: defineRoute({
    id: 'plans.catalog',
    method: 'GET',
    path: '/plans',
    summary: 'The plans on offer: their entitlements and whether they can be bought',
    tags: ['plans'],
    auth: 'public',
    response: z.object({
      default: z.string().nullable().meta({ description: 'The plan everyone is on without a paid subscription' }),
      plans: z.array(z.object({ name: z.string(), description: z.string().nullable(), purchasable: z.boolean(), entitlements: entitlementsSchema })),
    }),
    errors: [],
  }),
  subscription: defineRoute(subscriptionRoute('plans.subscription', '/billing/subscription', 'Your plan, its status, entitlements and what you use of them')),
  current: defineRoute(subscriptionRoute('plans.current', '/subscriptions/current', 'Your plan (the same answer as `GET /billing/subscription`, at its older path)')),
  checkout: defineRoute({
    id: 'plans.checkout',
    method: 'POST',
    path: '/billing/checkout',
    summary: 'Buy a paid plan: a hosted checkout page of the billing provider to send the user to',
    description: 'The plan changes only when the provider’s signed event says the subscription is paid (`POST /billing/webhooks/{provider}`).',
    tags: ['plans'],
    auth: 'user',
    body: z.strictObject({
      plan: planName,
      success_url: z.url({ protocol: /^https?$/ }).max(2048),
      cancel_url: z.url({ protocol: /^https?$/ }).max(2048),
    }),
    response: z.object({ url: z.string() }),
    errors: ['billing_provider_required', 'conflict'],
  }),
  cancel: defineRoute({
    id: 'plans.cancel',
    method: 'POST',
    path: '/billing/subscription/cancel',
    summary: 'Cancel your paid plan at the end of the period you paid for (then you are on the default plan)',
    tags: ['plans'],
    auth: 'user',
    response: planSubscriptionSchema,
    errors: ['billing_provider_required', 'conflict'],
  }),
  webhook: defineRoute({
    id: 'plans.webhook',
    method: 'POST',
    path: '/billing/webhooks/{provider}',
    summary: 'A billing provider’s signed callback (for the provider, not for clients)',
    description:
      'Verified before anything is read: a bad or stale signature is 400 and writes nothing but an audit record. Each provider event is acted on once (a redelivery answers 200 with `duplicate: true`); a state older than the one stored changes nothing.',
    tags: ['plans'],
    auth: 'public',
    params: z.strictObject({ provider: z.string().min(1).max(64) }),
    rawBody: { maxBytes: 256 * 1024 },
    response: z.object({ received: z.literal(true), duplicate: z.boolean() }),
    errors: ['not_found', 'invalid_signature', 'stale_webhook', 'validation_failed'],
  }),
  setUserPlan: defineRoute({
    id: 'plans.setUserPlan',
    method: 'PUT',
    path: '/admin/users/{id}/plan',
    summary: 'Put a user on a plan (a comp, a correction), audited; the next state their billing provider reports replaces it',
    tags: ['admin'],
    auth: 'admin',
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    body: z.strictObject({ plan: planName, reason: z.string().trim().min(3).max(500).meta({ description: 'Why; kept in the audit log' }) }),
    response: userPlanSchema,
    errors: ['not_found', 'conflict'],
  }),
  listUserPlans: defineRoute({
    id: 'plans.listUserPlans',
    method: 'GET',
    path: '/admin/plans',
    summary: 'Users’ plan subscriptions (users without one are on the default plan)',
    tags: ['admin'],
    auth: 'admin',
    query: z.object({ ...pageQuery }),
    response: z.object({ plans: z.array(userPlanSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
} as const;
