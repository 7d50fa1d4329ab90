import { defineModule } from '../modules/define.js';
import { publish } from '../stream/events.js';
import { planChanged, planEvents } from './events.js';
import { planHandlers } from './handlers.js';
import { plansOptionsSchema } from './options.js';
import { createPlanService } from './service.js';

/**
 * Plans and their entitlements, paid through a billing provider. The limits themselves are
 * checked where things are created (bots, backtests, API keys, copy subscriptions, real-money
 * orders) through the kernel's entitlement seam, which this module's gate fills.
 */
export const plansModule = defineModule({
  name: 'plans',
  requires: ['auth'],
  uses: [],
  routes: ['plans'],
  events: planEvents,
  create(ctx) {
    const options = ctx.deps.plans === undefined ? undefined : plansOptionsSchema.parse(ctx.deps.plans);
    const hub = ctx.hub;
    const plans = createPlanService({
      storage: ctx.storage,
      clock: ctx.clock,
      ids: ctx.ids,
      logger: ctx.logger,
      audit: ctx.audit,
      afterCommit: ctx.afterCommit,
      options,
      onPlanChanged:
        hub &&
        ((change) => publish(hub, planChanged, { userId: change.userId, data: { plan: change.plan, previous_plan: change.previousPlan, status: change.status, reason: change.reason } })),
    });
    // Without plans nothing is limited: no gate, and the modules' checks cost nothing.
    if (options) ctx.entitlements.provide(plans.gate);
    return { plans };
  },
  handlers: ({ plans }) => planHandlers(plans),
});
