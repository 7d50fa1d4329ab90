import { requestContext } from '../auth/handlers.js';
import type { planRoutes } from '../contract/plans.js';
import type { ContractHandlers } from '../http/types.js';
import type { PlanSubscriptionRecord } from '../ports/storage.js';
import type { Entitlements } from './options.js';
import type { PlanService, PlanState } from './service.js';

const entitlementsToWire = (e: Entitlements) => ({
  max_bots: e.maxBots,
  backtests_per_day: e.backtestsPerDay,
  max_api_keys: e.maxApiKeys,
  rate_limit_tier: e.rateLimitTier,
  max_copy_subscriptions: e.maxCopySubscriptions,
  real_money_trading: e.realMoneyTrading,
});

const stateToWire = (s: PlanState) => ({
  plan: s.plan,
  status: s.status,
  provider: s.provider,
  entitlements: entitlementsToWire(s.entitlements),
  usage: { bots: s.usage.maxBots, backtests_today: s.usage.backtestsPerDay, api_keys: s.usage.maxApiKeys, copy_subscriptions: s.usage.maxCopySubscriptions },
  current_period_end: s.currentPeriodEnd?.toISOString() ?? null,
  cancel_at_period_end: s.cancelAtPeriodEnd,
});

const userPlanToWire = (r: PlanSubscriptionRecord) => ({
  user_id: r.userId,
  plan: r.plan,
  status: r.status,
  provider: r.provider,
  customer_reference: r.customerReference,
  subscription_reference: r.subscriptionReference,
  current_period_end: r.currentPeriodEnd?.toISOString() ?? null,
  cancel_at_period_end: r.cancelAtPeriodEnd,
  updated_at: r.updatedAt.toISOString(),
});

export function planHandlers(plans: PlanService): ContractHandlers<{ plans: typeof planRoutes }> {
  return {
    plans: {
      catalog: async () => {
        const catalog = plans.catalog();
        return { default: catalog.default, plans: catalog.plans.map((p) => ({ ...p, entitlements: entitlementsToWire(p.entitlements) })) };
      },
      subscription: async ({ principal }) => stateToWire(await plans.current(principal.userId)),
      current: async ({ principal }) => stateToWire(await plans.current(principal.userId)),
      checkout: async ({ principal, body }) => plans.checkout(principal.userId, { plan: body.plan, successUrl: body.success_url, cancelUrl: body.cancel_url }),
      cancel: async ({ principal, request }) => stateToWire(await plans.cancel(principal.userId, requestContext(request))),
      webhook: async ({ params, rawBody, request }) => {
        const { duplicate } = await plans.receiveWebhook(params.provider, { headers: request.headers, rawBody });
        return { received: true as const, duplicate };
      },
      setUserPlan: async ({ principal, params, body, request }) => userPlanToWire(await plans.setPlan(principal.userId, params.id, { plan: body.plan, reason: body.reason }, requestContext(request))),
      listUserPlans: async ({ query }) => {
        const page = await plans.list({ cursor: query.cursor, limit: query.limit });
        return { plans: page.plans.map(userPlanToWire), next_cursor: page.nextCursor };
      },
    },
  };
}
