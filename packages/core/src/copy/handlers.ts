import type { commissionRoutes, licenseRoutes, masterRoutes, subscriptionRoutes } from '../contract/copy.js';
import { TradeplaneError } from '../errors.js';
import type { ContractHandlers } from '../http/types.js';
import type { CommissionCharge, CommissionService } from './commission.js';
import type { CopyService, IssuedLicense, LicensePrincipal, Master, MasterStats, Subscription } from './service.js';

type Handlers = ContractHandlers<{ masters: typeof masterRoutes; subscriptions: typeof subscriptionRoutes; license: typeof licenseRoutes; commission: typeof commissionRoutes }>;

const chargeToWire = (c: CommissionCharge) => ({
  id: c.id,
  kind: c.kind,
  subscription_id: c.subscriptionId,
  master_id: c.masterId,
  follower_id: c.followerId,
  account_id: c.accountId,
  currency: c.currency,
  period: c.period,
  period_start: c.periodStart,
  period_end: c.periodEnd,
  trade_id: c.tradeId,
  profit: c.profit,
  equity: c.equity,
  high_water_mark: c.highWaterMark,
  rate: c.rate,
  fee: c.fee,
  charged: c.charged,
  shortfall: c.shortfall,
  split: c.split,
  entry_id: c.entryId,
  created_at: c.createdAt,
});

const statsToWire = (s: MasterStats) => ({ closed_trades: s.closedTrades, return: s.return, max_drawdown: s.maxDrawdown });

const masterToWire = (m: Master) => ({
  id: m.id,
  user_id: m.userId,
  display_name: m.displayName,
  description: m.description,
  markup_rate: m.markupRate,
  performance_fee_rate: m.performanceFeeRate,
  visibility: m.visibility,
  followers: m.followers,
  stats: { real: statsToWire(m.stats.real), demo: statsToWire(m.stats.demo) },
  created_at: m.createdAt,
});

const subscriptionToWire = (s: Subscription) => ({
  id: s.id,
  master_id: s.masterId,
  follower_id: s.followerId,
  account_id: s.accountId,
  copy_mode: s.copyMode,
  stake: s.stake,
  multiplier: s.multiplier,
  max_stake: s.maxStake,
  status: s.status,
  expires_at: s.expiresAt,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

const licenseToWire = (l: IssuedLicense) => ({
  subscription_id: l.subscriptionId,
  license_token: l.licenseToken,
  expires_at: l.expiresAt,
  message: l.message,
  subscription: subscriptionToWire(l.subscription),
});

export function copyHandlers(copy: CopyService, commission: CommissionService): Handlers {
  return {
    commission: {
      statements: async ({ principal, query }) => {
        if (query.period !== undefined && !commission.parsePeriod(query.period)) {
          throw new TradeplaneError('validation_failed', 'Not a settlement period', { fields: [{ in: 'query', path: 'period', code: 'not_a_period', message: `must be a period such as ${commission.periodOf(new Date()).label}` }] });
        }
        const page = await commission.statements(principal.userId, { as: query.as, period: query.period, kind: query.kind, cursor: query.cursor, limit: query.limit });
        return { charges: page.charges.map(chargeToWire), next_cursor: page.nextCursor };
      },
      settle: async ({ body }) => {
        const r = await commission.settle({ period: body.period });
        return { period: r.period, period_start: r.periodStart, period_end: r.periodEnd, statements: r.statements, markups: r.markups, skipped: r.skipped };
      },
    },
    masters: {
      create: async ({ principal, body }) =>
        masterToWire(
          await copy.becomeMaster(principal.userId, {
            displayName: body.display_name,
            description: body.description,
            markupRate: body.markup_rate,
            performanceFeeRate: body.performance_fee_rate,
            visibility: body.visibility,
          }),
        ),
      list: async ({ query }) => {
        const page = await copy.masters({ cursor: query.cursor, limit: query.limit });
        return { masters: page.masters.map(masterToWire), next_cursor: page.nextCursor };
      },
      get: async ({ params }) => masterToWire(await copy.master(params.id)),
    },
    subscriptions: {
      create: async ({ principal, body }) =>
        licenseToWire(
          await copy.subscribe(principal.userId, {
            masterId: body.master_id,
            accountId: body.account_id,
            copyMode: body.copy_mode,
            stake: body.stake,
            multiplier: body.multiplier,
            maxStake: body.max_stake,
            expiresAt: body.expires_at === undefined ? undefined : new Date(body.expires_at),
          }),
        ),
      list: async ({ principal, query }) => {
        const page = await copy.subscriptions(principal.userId, { cursor: query.cursor, limit: query.limit });
        return { subscriptions: page.subscriptions.map(subscriptionToWire), next_cursor: page.nextCursor };
      },
      get: async ({ principal, params }) => subscriptionToWire(await copy.subscription(principal.userId, params.id)),
      pause: async ({ principal, params }) => subscriptionToWire(await copy.transition(principal.userId, params.id, 'pause')),
      resume: async ({ principal, params }) => subscriptionToWire(await copy.transition(principal.userId, params.id, 'resume')),
      cancel: async ({ principal, params }) => subscriptionToWire(await copy.transition(principal.userId, params.id, 'cancel')),
      rotateToken: async ({ principal, params }) => licenseToWire(await copy.rotateToken(principal.userId, params.id)),
    },
    license: {
      verify: async ({ principal }) => {
        const v = await copy.verify(principal as LicensePrincipal);
        return {
          copy: v.copy,
          subscription: subscriptionToWire(v.subscription),
          master: { id: v.master.id, display_name: v.master.displayName },
          limits: { currency: v.limits.currency, min_stake: v.limits.minStake, max_stake: v.limits.maxStake, max_daily_loss: v.limits.maxDailyLoss, max_open_positions: v.limits.maxOpenPositions },
        };
      },
    },
  };
}
