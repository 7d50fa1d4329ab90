import { keysetPage } from '../pagination.js';
import { invalidFields, TradeplaneError, wireName, type FieldError } from '../errors.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import type { Clock, Ids, Observer, Storage } from '../ports/index.js';
import type { ProtectionEventGrouping, ProtectionEventRecord, Repositories, RiskLockRecord, RiskProfileRecord, TradeSide } from '../ports/storage.js';
import { DECIMAL, formatAmount, formatStored, parseAmount } from '../money/amount.js';
import type { Currency, CurrencyRegistry } from '../money/currency.js';
import { defaultRiskLimits, RiskManager, type RiskLimits, type RiskReason, type RiskState } from './manager.js';
import { isTimeZone } from './time-zone.js';
import type { ReportedReason } from './reasons.js';

/** A risk profile as the API shows it: money as decimal strings in `currency`. */
export interface RiskProfile {
  currency: string;
  minStake: string;
  maxStake: string;
  maxDailyLoss: string;
  maxConsecutiveLosses: number;
  stakeProgression: string[];
  maxOpenPositions: number;
  maxExposurePerSymbol: string;
  lossCooldownMinutes: number;
  timeZone: string;
  /** True while the user has not saved a profile of their own (these are the engine's defaults). */
  isDefault: boolean;
  updatedAt: string | null;
  /** Where the user stands now. */
  state: { consecutiveLosses: number; dailyLoss: string; dayStartedAt: string; recommendedStake: string };
}

export type RiskProfileUpdate = Partial<Omit<RiskProfile, 'isDefault' | 'updatedAt' | 'state'>>;

export interface RiskLockView {
  id: string;
  scope: 'user' | 'symbol' | 'side';
  symbol: string | null;
  side: TradeSide | null;
  reason: string;
  until: string;
  createdAt: string;
  clearedAt: string | null;
  clearedBy: string | null;
  active: boolean;
}

export interface ProtectionEvent {
  id: string;
  userId: string;
  source: 'risk' | 'ea';
  subscriptionId: string | null;
  reason: string;
  symbol: string | null;
  side: TradeSide | null;
  stake: string | null;
  currency: string | null;
  details: Record<string, unknown> | null;
  occurredAt: string;
  createdAt: string;
}

/** What a trade asks the risk manager, and what it answered. */
export interface RiskCheck {
  userId: string;
  symbol: string;
  side: TradeSide;
  currency: string;
  stake?: bigint;
  /** Recorded with a rejection: `manual`, `strategy`, `copy`. */
  source: string;
  /** The subscription a copied trade came through. */
  subscriptionId?: string | null;
}

export type RiskVerdict = { ok: true; stake: bigint; manager: RiskManager } | { ok: false; reason: RiskReason; detail: string; lock?: Omit<RiskLockRecord, 'id' | 'userId' | 'createdAt' | 'clearedAt' | 'clearedBy'> };

/**
 * Persisted risk: each user's profile, losing streak and locks, and the protection-event log.
 * The rules themselves are `RiskManager`'s (pure); this service feeds it the user's state from
 * the database, inside the caller's transaction, and stores what it decides.
 */
export interface RiskService {
  profile(userId: string): Promise<RiskProfile>;
  updateProfile(userId: string, update: RiskProfileUpdate): Promise<RiskProfile>;
  /** The user's locks, newest first: only the ones in force unless `all`. */
  locks(userId: string, options?: { all?: boolean }): Promise<RiskLockView[]>;
  /** Admin: lifts a lock early (audited). */
  clearLock(actorId: string, lockId: string, context?: RequestContext): Promise<RiskLockView>;
  events(filter: { userId?: string; source?: 'risk' | 'ea'; subscriptionId?: string; reason?: string; from?: Date; to?: Date; cursor?: string; limit?: number }): Promise<{ events: ProtectionEvent[]; nextCursor: string | null }>;
  /** Counts of events per reason, symbol or UTC day, largest first. */
  summary(filter: { userId?: string; source?: 'risk' | 'ea'; subscriptionId?: string; reason?: string; from?: Date; to?: Date }, groupBy: ProtectionEventGrouping): Promise<{ key: string | null; count: number }[]>;
  /**
   * A refusal reported by a follower's trading terminal, under its license: stored
   * once per `eventId` (a retry answers the stored event with `created: false`).
   */
  report(principal: { userId: string; subscriptionId: string }, input: ReportedProtectionEvent): Promise<{ event: ProtectionEvent; created: boolean }>;
  /** Decides a trade inside the caller's transaction (which should hold the user's owner lock). */
  checkIn(tx: Repositories, request: RiskCheck, now: Date): Promise<RiskVerdict>;
  /** Stores a refusal as a protection event, with the lock it tripped: in its own transaction, since the trade's rolled back. */
  recordRejection(request: RiskCheck, verdict: Extract<RiskVerdict, { ok: false }>, now: Date): Promise<void>;
  /** Counts a settled trade into the streak and stores the locks it trips (inside the settlement's transaction). */
  afterSettlementIn(tx: Repositories, userId: string, currency: string, pnl: bigint, now: Date): Promise<void>;
  /** The manager for a user's stored or default limits. */
  managerFor(tx: Repositories, userId: string): Promise<RiskManager>;
}


export interface ReportedProtectionEvent {
  /** The terminal's own id for the event: retries with it are no-ops. */
  eventId: string;
  reason: ReportedReason;
  symbol?: string;
  side?: TradeSide;
  /** The stake the signal asked for, a decimal string in `currency`. */
  stake?: string;
  currency?: string;
  details?: Record<string, unknown>;
  occurredAt: Date;
}

export interface RiskServiceDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  audit: AuditLog;
  currencies: CurrencyRegistry;
  /** The currency of the default limits (the wallets' default currency). */
  defaultCurrency: string;
  /** Overrides of `defaultRiskLimits`, money in major units of `defaultCurrency`. */
  defaults?: Partial<Omit<RiskProfileUpdate, 'currency'>>;
  /** Tells the user of each protection event, inside the transaction that stores it. */
  notifyIn?: (tx: Repositories, userId: string, input: { type: string; title: string; body?: string; data?: Record<string, unknown> }) => Promise<void>;
  /** Counts protection events by reason (metrics), via `afterCommit`. */
  observer?: Observer;
  afterCommit?: (tx: Repositories, fn: () => void) => void;
}


export function createRiskService(deps: RiskServiceDeps): RiskService {
  const { storage, clock, ids, currencies } = deps;
  const currencyOf = (code: string): Currency => {
    const c = currencies.get(code);
    if (!c) throw new TradeplaneError('validation_failed', `Unknown currency ${code}`, { fields: [{ in: 'body', path: 'currency', code: 'unknown_currency', message: `${code} is not a configured currency` }] });
    return c;
  };

  const iso = (d: Date) => d.toISOString();

  /** Applies an update (major-unit strings) over limits, collecting every problem as a field error. */
  function merge(base: RiskLimits, update: RiskProfileUpdate): RiskLimits {
    const fields: FieldError[] = [];
    const bad = (path: string, code: string, message: string) => fields.push({ in: 'body', path, code, message });
    let currency = base.currency;
    if (update.currency !== undefined && update.currency !== base.currency.code) {
      const found = currencies.get(update.currency);
      if (!found) bad('currency', 'unknown_currency', `${update.currency} is not a configured currency`);
      else currency = found;
      // Amounts are minor units of one currency: switching it needs all of them restated.
      for (const key of ['minStake', 'maxStake', 'maxDailyLoss', 'maxExposurePerSymbol'] as const) {
        if (update[key] === undefined) bad(wireName(key), 'required', 'required when the currency changes');
      }
    }
    const money = (key: 'minStake' | 'maxStake' | 'maxDailyLoss' | 'maxExposurePerSymbol'): bigint => {
      const text = update[key];
      if (text === undefined) return base[key];
      const parsed = parseAmount(text, currency);
      if (!parsed.ok) {
        bad(wireName(key), parsed.problem, parsed.message);
        return base[key];
      }
      return parsed.minor;
    };
    const limits: RiskLimits = {
      currency,
      minStake: money('minStake'),
      maxStake: money('maxStake'),
      maxDailyLoss: money('maxDailyLoss'),
      maxExposurePerSymbol: money('maxExposurePerSymbol'),
      maxConsecutiveLosses: update.maxConsecutiveLosses ?? base.maxConsecutiveLosses,
      stakeProgression: update.stakeProgression ?? base.stakeProgression,
      maxOpenPositions: update.maxOpenPositions ?? base.maxOpenPositions,
      lossCooldownMinutes: update.lossCooldownMinutes ?? base.lossCooldownMinutes,
      timeZone: update.timeZone ?? base.timeZone,
    };
    if (limits.minStake > limits.maxStake) bad('min_stake', 'above_max_stake', 'must not exceed max_stake');
    if (!isTimeZone(limits.timeZone)) bad('time_zone', 'unknown_time_zone', 'must be an IANA time zone such as Europe/London');
    limits.stakeProgression.forEach((m, i) => {
      if (!DECIMAL.test(m) || Number(m) <= 0) bad(`stake_progression.${i}`, 'not_a_multiplier', 'must be a positive decimal string such as "1.5"');
    });
    if (limits.stakeProgression.length === 0) bad('stake_progression', 'too_small', 'needs at least one multiplier');
    if (fields.length > 0) throw new TradeplaneError('validation_failed', 'The risk profile has problems; nothing was changed', { fields });
    return limits;
  }

  const defaultLimits = merge(defaultRiskLimits(currencyOf(deps.defaultCurrency)), deps.defaults ?? {});

  const toLimits = (r: RiskProfileRecord): RiskLimits => ({ ...r, currency: currencyOf(r.currency) });

  async function limitsOf(tx: Repositories, userId: string): Promise<{ limits: RiskLimits; record?: RiskProfileRecord }> {
    const record = await tx.risk.findProfile(userId);
    return record ? { limits: toLimits(record), record } : { limits: defaultLimits };
  }

  async function dailyLoss(tx: Repositories, userId: string, manager: RiskManager, now: Date): Promise<bigint> {
    const net = await tx.trades.realisedSince(userId, manager.limits.currency.code, manager.dayStart(now));
    return net < 0n ? -net : 0n;
  }

  const toLocks = (rows: RiskLockRecord[]) => rows.map((l) => ({ scope: l.scope, symbol: l.symbol, side: l.side, reason: l.reason, until: l.until }));

  async function view(tx: Repositories, userId: string): Promise<RiskProfile> {
    const now = clock.now();
    const { limits, record } = await limitsOf(tx, userId);
    const manager = new RiskManager(limits);
    const streak = await tx.risk.streak(userId);
    const loss = await dailyLoss(tx, userId, manager, now);
    const c = limits.currency;
    return {
      currency: c.code,
      minStake: formatAmount(limits.minStake, c),
      maxStake: formatAmount(limits.maxStake, c),
      maxDailyLoss: formatAmount(limits.maxDailyLoss, c),
      maxConsecutiveLosses: limits.maxConsecutiveLosses,
      stakeProgression: [...limits.stakeProgression],
      maxOpenPositions: limits.maxOpenPositions,
      maxExposurePerSymbol: formatAmount(limits.maxExposurePerSymbol, c),
      lossCooldownMinutes: limits.lossCooldownMinutes,
      timeZone: limits.timeZone,
      isDefault: !record,
      updatedAt: record ? iso(record.updatedAt) : null,
      state: {
        consecutiveLosses: streak.consecutiveLosses,
        dailyLoss: formatAmount(loss, c),
        dayStartedAt: iso(manager.dayStart(now)),
        recommendedStake: formatAmount(manager.recommendedStake(streak.consecutiveLosses), c),
      },
    };
  }

  const lockToView = (l: RiskLockRecord, now: Date): RiskLockView => ({
    id: l.id,
    scope: l.scope,
    symbol: l.symbol,
    side: l.side,
    reason: l.reason,
    until: iso(l.until),
    createdAt: iso(l.createdAt),
    clearedAt: l.clearedAt ? iso(l.clearedAt) : null,
    clearedBy: l.clearedBy,
    active: l.clearedAt === null && l.until.getTime() > now.getTime(),
  });

  const eventToView = (e: ProtectionEventRecord): ProtectionEvent => {
    const c = e.currency ? currencies.get(e.currency) : undefined;
    return {
      id: e.id,
      userId: e.userId,
      source: e.source,
      subscriptionId: e.subscriptionId,
      reason: e.reason,
      symbol: e.symbol,
      side: e.side,
      stake: e.stake === null ? null : formatStored(e.stake, c),
      currency: e.currency,
      details: e.details,
      occurredAt: iso(e.occurredAt),
      createdAt: iso(e.createdAt),
    };
  };

  /** Stores locks, skipping one the user already has in force for the same reason and scope until at least as late. */
  async function storeLocks(tx: Repositories, userId: string, locks: NonNullable<Extract<RiskVerdict, { ok: false }>['lock']>[], now: Date) {
    if (locks.length === 0) return;
    const existing = await tx.risk.listLocks(userId, now);
    for (const lock of locks) {
      const covered = existing.some((l) => l.reason === lock.reason && l.scope === lock.scope && l.symbol === lock.symbol && l.side === lock.side && l.until.getTime() >= lock.until.getTime());
      if (!covered) await tx.risk.insertLock({ id: ids.next(), userId, ...lock, createdAt: now, clearedAt: null, clearedBy: null });
    }
  }

  async function notifyEvent(tx: Repositories, e: ProtectionEventRecord): Promise<void> {
    const observe = deps.observer?.protectionEvent;
    if (observe && deps.afterCommit) deps.afterCommit(tx, () => observe(e.reason, e.source));
    if (!deps.notifyIn) return;
    const what = [e.side, e.symbol].filter(Boolean).join(' ');
    const by = e.source === 'ea' ? 'Your trading terminal refused' : 'Refused for your protection:';
    await deps.notifyIn(tx, e.userId, {
      type: 'protection.event',
      title: `${by} ${what || 'a trade'} (${e.reason})`,
      data: { event_id: e.id, source: e.source, reason: e.reason, symbol: e.symbol, side: e.side, subscription_id: e.subscriptionId },
    });
  }

  const managerFor = async (tx: Repositories, userId: string) => new RiskManager((await limitsOf(tx, userId)).limits);

  return {
    profile: (userId) => view(storage.repos, userId),

    async updateProfile(userId, update) {
      return storage.transaction(async (tx) => {
        const { limits: current } = await limitsOf(tx, userId);
        const limits = merge(current, update);
        await tx.risk.upsertProfile({ userId, ...limits, currency: limits.currency.code, stakeProgression: [...limits.stakeProgression], updatedAt: clock.now() });
        return view(tx, userId);
      });
    },

    async locks(userId, options = {}) {
      const now = clock.now();
      return (await storage.repos.risk.listLocks(userId, options.all ? undefined : now)).map((l) => lockToView(l, now));
    },

    async clearLock(actorId, lockId, context) {
      return storage.transaction(async (tx) => {
        const now = clock.now();
        const found = await tx.risk.findLock(lockId);
        if (!found) throw new TradeplaneError('not_found', 'No such lock');
        const cleared = await tx.risk.clearLock(lockId, actorId, now);
        if (!cleared) throw new TradeplaneError('conflict', 'The lock was already cleared');
        await deps.audit.recordIn(tx, { actorId, action: 'risk.lock_cleared', targetType: 'user', targetId: found.userId, details: { lockId, reason: found.reason, until: iso(found.until) } }, context);
        return lockToView(cleared, now);
      });
    },

    async events(filter) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.risk.listEvents({ ...filter, limit: n }), eventToView);
      return { events: page.items, nextCursor: page.nextCursor };
    },

    summary: (filter, groupBy) => storage.repos.risk.summarizeEvents(filter, groupBy),

    async report(principal, input) {
      let stake: bigint | null = null;
      if (input.stake !== undefined || input.currency !== undefined) {
        const fields: FieldError[] = [];
        if (input.stake === undefined) fields.push({ in: 'body', path: 'stake', code: 'required', message: 'is required with currency' });
        if (input.currency === undefined) fields.push({ in: 'body', path: 'currency', code: 'required', message: 'is required with stake' });
        const c = input.currency === undefined ? undefined : currencies.get(input.currency);
        if (input.currency !== undefined && !c) fields.push({ in: 'body', path: 'currency', code: 'unknown_currency', message: `${input.currency} is not a configured currency` });
        if (c && input.stake !== undefined) {
          const parsed = parseAmount(input.stake, c);
          if (parsed.ok) stake = parsed.minor;
          else fields.push({ in: 'body', path: 'stake', code: parsed.problem, message: parsed.message });
        }
        if (fields.length > 0) throw invalidFields(fields);
      }
      const now = clock.now();
      const record: ProtectionEventRecord = {
        id: ids.next(),
        userId: principal.userId,
        source: 'ea',
        subscriptionId: principal.subscriptionId,
        externalId: input.eventId,
        reason: input.reason,
        symbol: input.symbol ?? null,
        side: input.side ?? null,
        stake,
        currency: input.currency ?? null,
        details: input.details ?? null,
        occurredAt: input.occurredAt,
        createdAt: now,
      };
      const created = await storage.transaction(async (tx) => {
        if (!(await tx.risk.insertEvent(record))) return false;
        await notifyEvent(tx, record);
        return true;
      });
      if (created) return { event: eventToView(record), created };
      const [stored] = await storage.repos.risk.listEvents({ userId: principal.userId, externalId: input.eventId, limit: 1 });
      return { event: eventToView(stored!), created: false };
    },

    managerFor,

    async checkIn(tx, request, now) {
      const manager = await managerFor(tx, request.userId);
      // One after another: a failed statement must not leave others running in the transaction.
      const streak = await tx.risk.streak(request.userId);
      const loss = await dailyLoss(tx, request.userId, manager, now);
      const exposure = await tx.trades.exposure(request.userId, request.symbol);
      const locks = await tx.risk.listLocks(request.userId, now);
      const state: RiskState = {
        dailyLoss: loss,
        consecutiveLosses: streak.consecutiveLosses,
        lastLossAt: streak.lastLossAt,
        openPositions: exposure.positions,
        symbolExposure: exposure.symbolStake,
        locks: toLocks(locks),
      };
      const decision = manager.evaluate({ symbol: request.symbol, side: request.side, currency: request.currency, stake: request.stake }, state, now);
      return decision.ok ? { ok: true, stake: decision.stake, manager } : decision;
    },

    async recordRejection(request, verdict, now) {
      await storage.transaction(async (tx) => {
        if (verdict.lock) await storeLocks(tx, request.userId, [verdict.lock], now);
        const event: ProtectionEventRecord = {
          id: ids.next(),
          userId: request.userId,
          source: 'risk',
          subscriptionId: request.subscriptionId ?? null,
          externalId: null,
          reason: verdict.reason,
          symbol: request.symbol,
          side: request.side,
          stake: request.stake ?? null,
          currency: request.currency,
          details: { detail: verdict.detail, source: request.source },
          occurredAt: now,
          createdAt: now,
        };
        await tx.risk.insertEvent(event);
        await notifyEvent(tx, event);
      });
    },

    async afterSettlementIn(tx, userId, currency, pnl, now) {
      const manager = await managerFor(tx, userId);
      const streak = await tx.risk.recordResult(userId, pnl < 0n, now);
      if (currency !== manager.limits.currency.code) return;
      const loss = await dailyLoss(tx, userId, manager, now);
      const locks = manager.locksAfterSettlement({ dailyLoss: loss, consecutiveLosses: streak.consecutiveLosses, lastLossAt: streak.lastLossAt, openPositions: 0, symbolExposure: 0n, locks: [] }, now);
      await storeLocks(tx, userId, locks, now);
    },
  };
}
