import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { TradeplaneError } from '../errors.js';
import type { EntitlementGate, GatedEntitlement } from '../modules/entitlements.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { PlanSubscriptionRecord, PlanSubscriptionStatus, PlanUsage, Repositories, Storage } from '../ports/storage.js';
import type { ProviderWebhook } from '../payments/provider.js';
import { takeProviderEvent } from '../webhooks/intake.js';
import type { Entitlements, PlansOptions } from './options.js';
import type { BillingEvent, BillingProvider } from './provider.js';

/** The provider name of a plan an operator set. */
export const OPERATOR_PROVIDER = 'operator';

/** Statuses that keep the paid plan: `past_due` is the grace period while the provider retries the payment. */
const GRANTING: ReadonlySet<PlanSubscriptionStatus> = new Set(['active', 'trialing', 'past_due']);

/** Every entitlement unlimited: the answer when no plans are configured. */
const UNLIMITED: Entitlements = { maxBots: null, backtestsPerDay: null, maxApiKeys: null, rateLimitTier: null, maxCopySubscriptions: null, realMoneyTrading: true };

/** A user's plan as they see it. */
export interface PlanState {
  /** null when no plans are configured. */
  plan: string | null;
  status: PlanSubscriptionStatus | null;
  provider: string | null;
  entitlements: Entitlements;
  usage: PlanUsage;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
}

export interface PlanCatalog {
  default: string | null;
  plans: { name: string; description: string | null; purchasable: boolean; entitlements: Entitlements }[];
}

/** Told after commit of each change of a user's plan in force. */
export interface PlanChange {
  userId: string;
  plan: string;
  previousPlan: string;
  status: PlanSubscriptionStatus | null;
  reason: 'billing' | 'operator';
}

export interface PlanService {
  catalog(): PlanCatalog;
  current(userId: string): Promise<PlanState>;
  /** A hosted checkout for a paid plan; the plan changes when the provider's event says it is paid. */
  checkout(userId: string, input: { plan: string; successUrl: string; cancelUrl: string }): Promise<{ url: string }>;
  /** Asks the provider to end the paid subscription at the end of its period. */
  cancel(userId: string, context?: RequestContext): Promise<PlanState>;
  /**
   * A billing provider's callback: verified first (a bad signature writes only an audit record),
   * recorded once by its event id, then applied in the same transaction; a state older than the
   * stored one changes nothing.
   */
  receiveWebhook(provider: string, webhook: ProviderWebhook): Promise<{ duplicate: boolean }>;
  /** An operator puts a user on a plan (audited). */
  setPlan(actorId: string, userId: string, input: { plan: string; reason: string }, context?: RequestContext): Promise<PlanSubscriptionRecord>;
  list(filter?: { cursor?: string; limit?: number }): Promise<{ plans: PlanSubscriptionRecord[]; nextCursor: string | null }>;
  /** The check other modules run through the kernel's entitlement seam. */
  readonly gate: EntitlementGate;
}

const startOfUtcDay = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));

export function createPlanService(deps: {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  audit: AuditLog;
  afterCommit(tx: Repositories, fn: () => void): void;
  options: PlansOptions | undefined;
  onPlanChanged?: (change: PlanChange) => void;
}): PlanService {
  const { storage, clock, ids, logger, audit, options } = deps;
  const providers = new Map((options?.providers ?? []).map((p) => [p.name, p]));
  const byPrice = new Map(Object.entries(options?.plans ?? {}).flatMap(([name, plan]) => (plan.price === undefined ? [] : [[plan.price, name] as const])));

  /** The plan in force for a stored subscription (or none): a granting status keeps its plan, anything else falls back to the default. */
  const planInForce = (record: PlanSubscriptionRecord | undefined): string => {
    const fallback = options!.default;
    if (!record || !GRANTING.has(record.status) || !Object.hasOwn(options!.plans, record.plan)) return fallback;
    return record.plan;
  };
  const entitlementsOf = (plan: string): Entitlements => options!.plans[plan]!.entitlements;

  const announce = (tx: Repositories, change: PlanChange) => {
    if (deps.onPlanChanged) deps.afterCommit(tx, () => deps.onPlanChanged!(change));
  };

  /** Records and announces a change of the plan in force, in the transaction that made it. */
  async function changed(tx: Repositories, before: PlanSubscriptionRecord | undefined, after: PlanSubscriptionRecord, actorId: string | null, reason: PlanChange['reason'], details: Record<string, unknown>, context?: RequestContext) {
    const previousPlan = planInForce(before);
    const plan = planInForce(after);
    if (plan === previousPlan) return;
    await audit.recordIn(tx, { actorId, action: 'plan.changed', targetType: 'user', targetId: after.userId, details: { plan, previous_plan: previousPlan, status: after.status, ...details } }, context);
    announce(tx, { userId: after.userId, plan, previousPlan, status: after.status, reason });
  }

  function refuse(plan: string, entitlement: GatedEntitlement, limit: number | false): never {
    const detail =
      limit === false ? `Your plan (${plan}) does not include ${entitlement}` : `Your plan (${plan}) allows ${limit} for ${entitlement}; you are at the limit`;
    throw new TradeplaneError('plan_limit', detail, { extensions: { entitlement, limit, plan } });
  }

  const gate: EntitlementGate = {
    async check(tx, userId, entitlement, checkOptions) {
      if (!options) return;
      // Counted entitlements: requests racing for the last slot queue on the user's row (PostgreSQL;
      // SQLite runs one write transaction at a time), so each counts what the one before it inserted.
      if (entitlement !== 'realMoneyTrading' && checkOptions?.lock !== false) await tx.accounts.lockOwner(userId);
      const plan = planInForce(await tx.plans.find(userId));
      const allowed = entitlementsOf(plan);
      if (entitlement === 'realMoneyTrading') {
        if (!allowed.realMoneyTrading) refuse(plan, entitlement, false);
        return;
      }
      const limit = allowed[entitlement];
      if (limit === null) return;
      const usage = await tx.plans.usage(userId, startOfUtcDay(clock.now()));
      if (usage[entitlement] >= limit) refuse(plan, entitlement, limit);
    },
  };

  function providerFor(name?: string): BillingProvider {
    const provider = name === undefined ? providers.values().next().value : providers.get(name);
    if (!provider) throw new TradeplaneError('billing_provider_required', 'No billing provider is configured here: paid plans are set by an operator');
    return provider;
  }

  async function state(repos: Repositories, userId: string): Promise<PlanState> {
    const usage = await repos.plans.usage(userId, startOfUtcDay(clock.now()));
    if (!options) return { plan: null, status: null, provider: null, entitlements: UNLIMITED, usage, currentPeriodEnd: null, cancelAtPeriodEnd: false };
    const record = await repos.plans.find(userId);
    const plan = planInForce(record);
    return {
      plan,
      status: record?.status ?? null,
      provider: record?.provider ?? null,
      entitlements: entitlementsOf(plan),
      usage,
      currentPeriodEnd: record?.currentPeriodEnd ?? null,
      cancelAtPeriodEnd: record?.cancelAtPeriodEnd ?? false,
    };
  }

  /** Applies one verified subscription state inside its transaction (the event is already recorded there). */
  async function apply(tx: Repositories, provider: string, event: Extract<BillingEvent, { type: 'subscription.updated' }>): Promise<void> {
    const byCustomer = await tx.plans.findByCustomer(provider, event.customerReference);
    const userId = event.userId ?? byCustomer?.userId;
    const flag = (action: string, details: Record<string, unknown>) =>
      audit.recordIn(tx, { actorId: null, action, targetType: 'billing_subscription', targetId: event.subscriptionReference, details: { provider, event_id: event.id, ...details } });
    if (!userId || !(await tx.users.findById(userId))) return flag('plan.unmatched', { customer: event.customerReference, user_id: event.userId });
    const before = await tx.plans.find(userId);
    // Deliveries come in any order: a state older than the stored one is history, not news.
    if (before && before.stateAt.getTime() > event.occurredAt.getTime()) {
      logger.info({ event: 'plan.stale_state', provider, eventId: event.id, userId }, 'A billing state older than the stored one changes nothing');
      return;
    }
    // A user who bought a new subscription before the old one ended: the old one's end is not theirs to fall back on.
    if (before?.subscriptionReference && before.provider === provider && before.subscriptionReference !== event.subscriptionReference && GRANTING.has(before.status) && !GRANTING.has(event.status)) {
      logger.info({ event: 'plan.superseded_state', provider, eventId: event.id, userId }, 'A state of a subscription the user has replaced changes nothing');
      return;
    }
    const plan = byPrice.get(event.price);
    if (!plan) return flag('plan.unknown_price', { price: event.price, status: event.status, user_id: userId });
    const after: PlanSubscriptionRecord = {
      userId,
      plan,
      status: event.status,
      provider,
      customerReference: event.customerReference,
      subscriptionReference: event.subscriptionReference,
      currentPeriodEnd: event.currentPeriodEnd,
      cancelAtPeriodEnd: event.cancelAtPeriodEnd,
      stateAt: event.occurredAt,
      updatedAt: clock.now(),
    };
    await tx.plans.put(after);
    await changed(tx, before, after, null, 'billing', { provider, event_id: event.id });
  }

  const requirePlans = (): PlansOptions => {
    if (!options) throw new TradeplaneError('not_found', 'No plans are configured here');
    return options;
  };
  const knownPlan = (name: string, path: string) => {
    if (!Object.hasOwn(requirePlans().plans, name)) {
      throw new TradeplaneError('validation_failed', `Unknown plan ${name}`, { fields: [{ in: 'body', path, code: 'unknown_plan', message: `must be one of ${Object.keys(options!.plans).join(', ')}` }] });
    }
    return options!.plans[name]!;
  };

  return {
    gate,

    catalog() {
      if (!options) return { default: null, plans: [] };
      return {
        default: options.default,
        plans: Object.entries(options.plans).map(([name, plan]) => ({ name, description: plan.description ?? null, purchasable: plan.price !== undefined && providers.size > 0, entitlements: plan.entitlements })),
      };
    },

    current: (userId) => state(storage.repos, userId),

    async checkout(userId, input) {
      const provider = providerFor();
      const plan = knownPlan(input.plan, 'plan');
      if (plan.price === undefined) {
        throw new TradeplaneError('validation_failed', `${input.plan} is not sold`, { fields: [{ in: 'body', path: 'plan', code: 'not_purchasable', message: 'this plan has no price' }] });
      }
      const [user, record] = await Promise.all([storage.repos.users.findById(userId), storage.repos.plans.find(userId)]);
      if (!user) throw new TradeplaneError('not_found', 'No such user');
      if (record && record.provider === provider.name && GRANTING.has(record.status) && record.plan === input.plan && !record.cancelAtPeriodEnd) {
        throw new TradeplaneError('conflict', `You are already subscribed to ${input.plan}`);
      }
      const customerReference = record && record.provider === provider.name ? record.customerReference : null;
      // A network call: outside any transaction. Our id is the provider's idempotency key.
      const { url } = await provider.createCheckout({ checkoutId: ids.next(), userId, email: user.email, plan: input.plan, price: plan.price, customerReference, successUrl: input.successUrl, cancelUrl: input.cancelUrl });
      return { url };
    },

    async cancel(userId, context) {
      const record = await storage.repos.plans.find(userId);
      if (!record || !record.subscriptionReference || !GRANTING.has(record.status)) throw new TradeplaneError('conflict', 'You have no paid subscription to cancel');
      const provider = providers.get(record.provider);
      if (!provider) throw new TradeplaneError('billing_provider_required', `The billing provider ${record.provider} is not configured here`);
      await provider.cancelAtPeriodEnd(record.subscriptionReference);
      // The provider's own event confirms it; until then the answer already says what was asked.
      return storage.transaction(async (tx) => {
        const now = await tx.plans.find(userId);
        if (now && now.subscriptionReference === record.subscriptionReference && !now.cancelAtPeriodEnd) await tx.plans.put({ ...now, cancelAtPeriodEnd: true, updatedAt: clock.now() });
        await audit.recordIn(tx, { actorId: userId, action: 'plan.cancel_requested', targetType: 'user', targetId: userId, details: { plan: record.plan, provider: record.provider, subscription: record.subscriptionReference } }, context);
        return state(tx, userId);
      });
    },

    receiveWebhook(name, webhook) {
      const provider = providers.get(name);
      return takeProviderEvent<BillingEvent>(
        { storage, audit, clock, logger },
        {
          name,
          verify: provider && ((w) => provider.verifyEvent(w)),
          targetType: 'billing_provider',
          webhook,
          describe: (event) =>
            event.type === 'ignored' ? { type: event.providerType, objectId: null, ignored: true } : { type: event.type, objectId: event.subscriptionReference, ignored: false },
          act: async (tx, event) => {
            if (event.type !== 'ignored' && options) await apply(tx, name, event);
          },
        },
      );
    },

    async setPlan(actorId, userId, input, context) {
      knownPlan(input.plan, 'plan');
      return storage.transaction(async (tx) => {
        if (!(await tx.users.findById(userId))) throw new TradeplaneError('not_found', 'No such user');
        const before = await tx.plans.find(userId);
        const now = clock.now();
        // The provider's references stay: the user's next billing state (a renewal, a cancellation) replaces the operator's plan.
        const after: PlanSubscriptionRecord = {
          userId,
          plan: input.plan,
          status: 'active',
          provider: before?.provider ?? OPERATOR_PROVIDER,
          customerReference: before?.customerReference ?? null,
          subscriptionReference: before?.subscriptionReference ?? null,
          currentPeriodEnd: before?.currentPeriodEnd ?? null,
          cancelAtPeriodEnd: before?.cancelAtPeriodEnd ?? false,
          stateAt: before && before.stateAt.getTime() > now.getTime() ? before.stateAt : now,
          updatedAt: now,
        };
        await tx.plans.put(after);
        await audit.recordIn(tx, { actorId, action: 'plan.set', targetType: 'user', targetId: userId, details: { plan: input.plan, previous_plan: planInForce(before), reason: input.reason } }, context);
        await changed(tx, before, after, actorId, 'operator', { reason: input.reason }, context);
        return after;
      });
    },

    async list(filter = {}) {
      const limit = filter.limit ?? 50;
      const rows = await storage.repos.plans.list({ cursor: filter.cursor, limit: limit + 1 });
      const plans = rows.slice(0, limit);
      return { plans, nextCursor: rows.length > limit ? plans[plans.length - 1]!.userId : null };
    },
  };
}
