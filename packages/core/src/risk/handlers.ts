import type { riskRoutes } from '../contract/risk.js';
import { TradeplaneError } from '../errors.js';
import { reply, type ContractHandlers } from '../http/types.js';
import type { LicensePrincipal } from '../copy/service.js';
import { requestContext } from '../auth/handlers.js';
import type { ProtectionEvent, ReportedProtectionEvent, RiskLockView, RiskProfile, RiskProfileUpdate, RiskService } from './service.js';
import type { z } from 'zod';
import type { riskProfileUpdateSchema } from '../contract/risk.js';

/** A `PUT /risk/profile` body (or a backtest's `risk`) as the service takes it. */
export const profileUpdateFromWire = (body: z.output<typeof riskProfileUpdateSchema>): RiskProfileUpdate => ({
  currency: body.currency,
  minStake: body.min_stake,
  maxStake: body.max_stake,
  maxDailyLoss: body.max_daily_loss,
  maxConsecutiveLosses: body.max_consecutive_losses,
  stakeProgression: body.stake_progression,
  maxOpenPositions: body.max_open_positions,
  maxExposurePerSymbol: body.max_exposure_per_symbol,
  lossCooldownMinutes: body.loss_cooldown_minutes,
  timeZone: body.time_zone,
});

type Handlers = ContractHandlers<{ risk: typeof riskRoutes }>;

const profileToWire = (p: RiskProfile) => ({
  currency: p.currency,
  min_stake: p.minStake,
  max_stake: p.maxStake,
  max_daily_loss: p.maxDailyLoss,
  max_consecutive_losses: p.maxConsecutiveLosses,
  stake_progression: p.stakeProgression,
  max_open_positions: p.maxOpenPositions,
  max_exposure_per_symbol: p.maxExposurePerSymbol,
  loss_cooldown_minutes: p.lossCooldownMinutes,
  time_zone: p.timeZone,
  is_default: p.isDefault,
  updated_at: p.updatedAt,
  state: {
    consecutive_losses: p.state.consecutiveLosses,
    daily_loss: p.state.dailyLoss,
    day_started_at: p.state.dayStartedAt,
    recommended_stake: p.state.recommendedStake,
  },
});

const lockToWire = (l: RiskLockView) => ({
  id: l.id,
  scope: l.scope,
  symbol: l.symbol,
  side: l.side,
  reason: l.reason,
  until: l.until,
  created_at: l.createdAt,
  cleared_at: l.clearedAt,
  cleared_by: l.clearedBy,
  active: l.active,
});

export const protectionEventToWire = (e: ProtectionEvent) => ({
  id: e.id,
  user_id: e.userId,
  source: e.source,
  subscription_id: e.subscriptionId,
  reason: e.reason,
  symbol: e.symbol,
  side: e.side,
  stake: e.stake,
  currency: e.currency,
  details: e.details,
  occurred_at: e.occurredAt,
  created_at: e.createdAt,
});

/** `reportFromTerminal`: the copy service's check that the license is live, then `risk.report`. */
export function riskHandlers(risk: RiskService, reportFromTerminal: (principal: LicensePrincipal, input: ReportedProtectionEvent) => Promise<{ event: ProtectionEvent; created: boolean }>): Handlers {
  const scoped = (principal: { role: string; userId: string }, userId: string | undefined) => {
    const admin = principal.role === 'admin';
    if (userId !== undefined && !admin) throw new TradeplaneError('forbidden', 'Only admins may read other users’ events');
    return admin ? userId : principal.userId;
  };
  return {
    risk: {
      profile: async ({ principal }) => profileToWire(await risk.profile(principal.userId)),
      updateProfile: async ({ principal, body }) =>
        profileToWire(
          await risk.updateProfile(principal.userId, profileUpdateFromWire(body)),
        ),
      locks: async ({ principal, query }) => ({ locks: (await risk.locks(principal.userId, { all: query.all })).map(lockToWire) }),
      userLocks: async ({ params }) => ({ locks: (await risk.locks(params.id, { all: true })).map(lockToWire) }),
      clearLock: async ({ principal, params, request }) => lockToWire(await risk.clearLock(principal.userId, params.id, requestContext(request))),
      events: async ({ principal, query }) => {
        const page = await risk.events({
          userId: scoped(principal, query.user_id),
          source: query.source,
          subscriptionId: query.subscription_id,
          reason: query.reason,
          from: query.from === undefined ? undefined : new Date(query.from),
          to: query.to === undefined ? undefined : new Date(query.to),
          cursor: query.cursor,
          limit: query.limit,
        });
        return { events: page.events.map(protectionEventToWire), next_cursor: page.nextCursor };
      },
      summary: async ({ principal, query }) => {
        const groups = await risk.summary(
          {
            userId: scoped(principal, query.user_id),
            source: query.source,
            subscriptionId: query.subscription_id,
            from: query.from === undefined ? undefined : new Date(query.from),
            to: query.to === undefined ? undefined : new Date(query.to),
          },
          query.group_by,
        );
        return { group_by: query.group_by, total: groups.reduce((sum, g) => sum + g.count, 0), groups };
      },
      report: async ({ principal, body }) => {
        const { event, created } = await reportFromTerminal(principal as LicensePrincipal, {
          eventId: body.event_id,
          reason: body.reason,
          symbol: body.symbol,
          side: body.side,
          stake: body.stake,
          currency: body.currency,
          details: body.details,
          occurredAt: new Date(body.occurred_at),
        });
        return created ? protectionEventToWire(event) : reply(protectionEventToWire(event), { status: 200 });
      },
    },
  };
}
