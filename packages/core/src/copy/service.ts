import type { EntitlementGate } from '../modules/entitlements.js';
import { createHash } from 'node:crypto';
import { invalidFields, TradeplaneError, type FieldError } from '../errors.js';
import type { Clock, Ids, Logger, Storage } from '../ports/index.js';
import type { CopyMode, MasterRecord, Repositories, SubscriptionRecord, SubscriptionStatus, TradeRecord } from '../ports/storage.js';
import { DECIMAL, parseAmount } from '../money/amount.js';
import { decimalFraction } from '../money/decimal.js';
import { keysetPage } from '../pagination.js';
import { randomBase62 } from '../auth/api-keys.js';
import { bpsOf, rateOf } from './rates.js';
import type { WalletService } from '../wallets/service.js';
import type { ProtectionEvent, ReportedProtectionEvent, RiskService } from '../risk/service.js';
import type { TradingService } from '../trading/service.js';
import type { NotificationService } from '../notifications/service.js';
import type { LicensePrincipal } from '../ports/principals.js';
import { createCopyHook } from './mirror.js';

export interface MasterInput {
  displayName: string;
  description?: string;
  /** Decimal fraction, 0.05–0.50 (default 0.10). */
  markupRate?: string;
  /** Decimal fraction, 0–0.50 (default 0.20). */
  performanceFeeRate?: string;
  visibility?: 'public' | 'private';
}

export interface Master {
  id: string;
  userId: string;
  displayName: string;
  description: string | null;
  markupRate: string;
  performanceFeeRate: string;
  visibility: 'public' | 'private';
  /** Active subscriptions, by the kind of account they copy onto (each copies only trades of that kind). */
  followers: Record<CopyKind, number>;
  /**
   * Results of the master's real-money and demo trades, apart: demo gains risk nothing, so they
   * are never shown as (or mixed into) real performance.
   */
  stats: Record<CopyKind, MasterStats>;
  createdAt: string;
}

/** The two kinds of money copy trading keeps apart. */
export type CopyKind = 'demo' | 'real';

/**
 * From closed trades of one kind, in close order: `return` = Σ pnl ÷ Σ stake (the return on the
 * capital staked), `maxDrawdown` = max over k of (peak − e_k) ÷ peak on e_k = 1 + Σ_{i≤k} pnl_i ÷ Σ stake.
 * Null before the first closed trade.
 */
export interface MasterStats {
  closedTrades: number;
  return: number | null;
  maxDrawdown: number | null;
}

export interface SubscriptionInput {
  masterId: string;
  accountId?: string;
  copyMode: CopyMode;
  /** `fixed`: the stake of every copy. */
  stake?: string;
  /** `multiplier`: k, a decimal string (0 < k ≤ 100). */
  multiplier?: string;
  /** A cap on each copy's stake (the follower's risk profile applies as well). */
  maxStake?: string;
  expiresAt?: Date;
}

export interface Subscription {
  id: string;
  masterId: string;
  followerId: string;
  accountId: string | null;
  copyMode: CopyMode;
  stake: string | null;
  multiplier: string | null;
  maxStake: string | null;
  status: SubscriptionStatus;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a subscription's creation (or token rotation) shows once: the license token, never stored in the clear. */
export interface IssuedLicense {
  subscriptionId: string;
  licenseToken: string;
  expiresAt: string | null;
  message: string;
  subscription: Subscription;
}

export type { LicensePrincipal };

export interface LicenseVerdict {
  subscription: Subscription;
  /** True when the terminal should copy: the subscription is active. */
  copy: boolean;
  master: { id: string; displayName: string };
  /** The follower's risk limits that bound every copy. */
  limits: { currency: string; minStake: string; maxStake: string; maxDailyLoss: string; maxOpenPositions: number };
}

/**
 * Copy trading: masters, followers' subscriptions with license tokens, and the copy hook.
 *
 * A subscription moves `active ⇄ paused → cancelled`, and to `expired` once its `expires_at`
 * passes (checked whenever it is read or used). Its license token (`tpl_` + 40 base62
 * characters, ≈238 bits) is shown once at creation and at each rotation; only its SHA-256 is
 * stored, and rotating makes the old token fail at once.
 *
 * The copy hook follows `trading.subscribe`: when a master's trade opens (any source but a
 * copy), every active subscription whose account (named, or the follower's default) is of the
 * same kind as the master trade's account — demo → demo, real → real, never across — opens a
 * copy through `trading.execute` for the follower —
 * the follower's own risk manager, hold and broker, refusals logged as protection events with
 * the subscription — with the master's stops and a stake by copy mode:
 * `fixed` the subscription's stake; `multiplier` master stake × k; `proportional` master stake ×
 * follower equity ÷ master equity (account balances, same currency only), each capped at the
 * subscription's `max_stake` and the follower's `max_stake`, rounded half away from zero.
 * When the master's trade closes, its open copies close at market (reason `copy`). Copies run in
 * the master's request after their trade commits, one follower after another.
 */
export interface CopyService {
  becomeMaster(userId: string, input: MasterInput): Promise<Master>;
  masters(filter?: { cursor?: string; limit?: number }): Promise<{ masters: Master[]; nextCursor: string | null }>;
  master(id: string): Promise<Master>;
  subscribe(followerId: string, input: SubscriptionInput): Promise<IssuedLicense>;
  subscriptions(followerId: string, filter?: { cursor?: string; limit?: number }): Promise<{ subscriptions: Subscription[]; nextCursor: string | null }>;
  subscription(followerId: string, id: string): Promise<Subscription>;
  transition(followerId: string, id: string, action: 'pause' | 'resume' | 'cancel'): Promise<Subscription>;
  rotateToken(followerId: string, id: string): Promise<IssuedLicense>;
  /** Resolves a license token (`Authorization: License <token>`); `invalid_token` when unknown. */
  authenticateLicense(token: string): Promise<LicensePrincipal>;
  verify(principal: LicensePrincipal): Promise<LicenseVerdict>;
  /** Expires subscriptions whose time has passed (the background job; reads expire them too). Returns how many. */
  expireDue(limit?: number): Promise<number>;
  /** A refusal reported by the terminal holding the license; a cancelled or expired subscription's license is a 409. */
  reportProtectionEvent(principal: LicensePrincipal, input: ReportedProtectionEvent): Promise<{ event: ProtectionEvent; created: boolean }>;
}

const TOKEN_FORMAT = /^tpl_[0-9A-Za-z]{40}$/;
const SAVE_MESSAGE = "Save this token - it won't be shown again";
const RATE = { markup: { min: 0.05, max: 0.5, default: '0.10' }, performanceFee: { min: 0, max: 0.5, default: '0.20' } } as const;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const iso = (d: Date) => d.toISOString();

/** What the copy service is built from. */
export interface CopyServiceDeps {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  wallets: WalletService;
  risk: RiskService;
  trading: TradingService;
  notifications: NotificationService;
  /** The plan's `maxCopySubscriptions`, checked in the subscribing transaction. */
  entitlements?: EntitlementGate;
}

export function createCopyService(deps: CopyServiceDeps): CopyService {
  const { storage, clock, ids, wallets, risk, trading, notifications } = deps;

  /**
   * Tells the follower (and, for arrivals and departures, the master) of a subscription's
   * change, in the change's own transaction: both happen, or neither.
   */
  async function announce(tx: Repositories, s: SubscriptionRecord, what: 'created' | 'paused' | 'resumed' | 'cancelled' | 'expired' | 'token_rotated'): Promise<void> {
    const master = await tx.copy.findMaster(s.masterId);
    const name = master?.displayName ?? 'a master';
    const titles = {
      created: `You now copy ${name}`,
      paused: `Copying ${name} is paused`,
      resumed: `Copying ${name} again`,
      cancelled: `Your subscription to ${name} is cancelled`,
      expired: `Your subscription to ${name} has expired`,
      token_rotated: `A new license token was issued for ${name}; the old one no longer works`,
    };
    const data = { subscription_id: s.id, master_id: s.masterId, status: s.status };
    await notifications.notifyIn(tx, s.followerId, { type: `subscription.${what}`, title: titles[what], data });
    if (what === 'created') await notifications.notifyIn(tx, s.masterUserId, { type: 'master.follower_joined', title: 'You have a new follower', data });
    if (what === 'cancelled' || what === 'expired') await notifications.notifyIn(tx, s.masterUserId, { type: 'master.follower_left', title: 'A follower stopped copying you', data });
  }

  /** Applies a status or token change and announces it, in one transaction; undefined when the status was not one of `from`. */
  function changeAndAnnounce(id: string, from: readonly SubscriptionStatus[], changes: Partial<Pick<SubscriptionRecord, 'status' | 'tokenHash' | 'updatedAt'>>, what: Parameters<typeof announce>[2]) {
    return storage.transaction(async (tx) => {
      const updated = await tx.copy.updateSubscription(id, from, changes);
      if (updated) await announce(tx, updated, what);
      return updated;
    });
  }

  function invalid(fields: FieldError[]): never {
    throw invalidFields(fields);
  }

  function statsOf(closed: TradeRecord[]): MasterStats {
    let staked = 0n;
    for (const t of closed) staked += t.stake;
    let ret: number | null = null;
    let maxDrawdown: number | null = null;
    if (closed.length > 0 && staked > 0n) {
      let sum = 0n;
      let peak = 1;
      maxDrawdown = 0;
      for (const t of closed) {
        sum += t.pnl ?? 0n;
        const e = 1 + Number(sum) / Number(staked);
        peak = Math.max(peak, e);
        maxDrawdown = Math.max(maxDrawdown, (peak - e) / peak);
      }
      ret = Number(sum) / Number(staked);
    }
    return { closedTrades: closed.length, return: ret, maxDrawdown };
  }

  async function toMaster(m: MasterRecord): Promise<Master> {
    const closed = (await storage.repos.trades.list({ userId: m.userId, status: 'closed', limit: 1000 })).reverse();
    const kinds = new Map((await storage.repos.accounts.listForUser(m.userId)).map((a) => [a.id, a.kind]));
    const ofKind = (kind: CopyKind) => statsOf(closed.filter((t) => kinds.get(t.accountId) === kind));
    return {
      id: m.id,
      userId: m.userId,
      displayName: m.displayName,
      description: m.description,
      markupRate: rateOf(m.markupBps),
      performanceFeeRate: rateOf(m.performanceFeeBps),
      visibility: m.visibility,
      followers: await storage.repos.copy.countFollowers(m.id),
      stats: { real: ofKind('real'), demo: ofKind('demo') },
      createdAt: iso(m.createdAt),
    };
  }

  const toSubscription = (s: SubscriptionRecord): Subscription => ({
    id: s.id,
    masterId: s.masterId,
    followerId: s.followerId,
    accountId: s.accountId,
    copyMode: s.copyMode,
    stake: s.fixedStake,
    multiplier: s.multiplier,
    maxStake: s.maxStake,
    status: s.status,
    expiresAt: s.expiresAt ? iso(s.expiresAt) : null,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  });

  /** A live subscription whose time has passed becomes `expired` (whoever looks first writes it). */
  async function current(s: SubscriptionRecord): Promise<SubscriptionRecord> {
    const now = clock.now();
    if ((s.status === 'active' || s.status === 'paused') && s.expiresAt && s.expiresAt.getTime() <= now.getTime()) {
      const expired = await changeAndAnnounce(s.id, ['active', 'paused'], { status: 'expired', updatedAt: now }, 'expired');
      return expired ?? (await storage.repos.copy.findSubscription(s.id))!;
    }
    return s;
  }

  async function own(followerId: string, id: string): Promise<SubscriptionRecord> {
    const found = await storage.repos.copy.findSubscription(id);
    if (!found || found.followerId !== followerId) throw new TradeplaneError('not_found', 'No such subscription');
    return current(found);
  }

  const issue = (s: SubscriptionRecord, token: string): IssuedLicense => ({
    subscriptionId: s.id,
    licenseToken: token,
    expiresAt: s.expiresAt ? iso(s.expiresAt) : null,
    message: SAVE_MESSAGE,
    subscription: toSubscription(s),
  });

  const newToken = () => `tpl_${randomBase62(40)}`;

  trading.subscribe(createCopyHook(deps, current));

  return {
    async becomeMaster(userId, input) {
      const fields: FieldError[] = [];
      const rate = (path: string, value: string | undefined, bounds: { min: number; max: number; default: string }) => {
        const text = value ?? bounds.default;
        if (!DECIMAL.test(text) || decimalFraction(text).scale > 4) {
          fields.push({ in: 'body', path, code: 'not_a_rate', message: 'must be a decimal fraction such as "0.10" (at most 4 decimals)' });
          return 0;
        }
        const n = Number(text);
        if (n < bounds.min || n > bounds.max) fields.push({ in: 'body', path, code: 'out_of_range', message: `must be between ${bounds.min} and ${bounds.max}` });
        return Number(bpsOf(text));
      };
      const markupBps = rate('markup_rate', input.markupRate, RATE.markup);
      const performanceFeeBps = rate('performance_fee_rate', input.performanceFeeRate, RATE.performanceFee);
      if (fields.length > 0) invalid(fields);
      const now = clock.now();
      const record: MasterRecord = {
        id: ids.next(),
        userId,
        displayName: input.displayName,
        description: input.description ?? null,
        markupBps,
        performanceFeeBps,
        visibility: input.visibility ?? 'public',
        createdAt: now,
        updatedAt: now,
      };
      // The answer is read first: once the insert commits, nothing is left that could fail.
      const view = await toMaster(record);
      await storage.repos.copy.insertMaster(record);
      return view;
    },

    async masters(filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.copy.listPublicMasters({ cursor: filter.cursor, limit: n }), (m) => m);
      return { masters: await Promise.all(page.items.map(toMaster)), nextCursor: page.nextCursor };
    },

    async master(id) {
      const found = await storage.repos.copy.findMaster(id);
      if (!found) throw new TradeplaneError('not_found', 'No such master');
      return toMaster(found);
    },

    async subscribe(followerId, input) {
      const fields: FieldError[] = [];
      const bad = (path: string, code: string, message: string) => fields.push({ in: 'body', path, code, message });
      const master = await storage.repos.copy.findMaster(input.masterId);
      if (!master) throw new TradeplaneError('not_found', 'No such master');
      if (master.userId === followerId) bad('master_id', 'own_master', 'you cannot subscribe to yourself');
      const account = await (input.accountId ? wallets.getAccount(followerId, input.accountId) : wallets.defaultAccount(followerId)).catch((error: unknown) => {
        if (error instanceof TradeplaneError && error.code === 'not_found') bad('account_id', 'not_found', 'no such account of yours');
        else throw error;
        return undefined;
      });
      const currency = account && wallets.currencies.get(account.currency)!;
      const amount = (path: string, value: string | undefined) => {
        if (value === undefined || !currency) return;
        const parsed = parseAmount(value, currency);
        if (!parsed.ok) bad(path, parsed.problem, parsed.message);
      };
      if (input.copyMode === 'fixed' && input.stake === undefined) bad('stake', 'required', 'fixed copies need a stake');
      if (input.copyMode !== 'fixed' && input.stake !== undefined) bad('stake', 'not_allowed', 'only fixed copies take a stake');
      amount('stake', input.stake);
      amount('max_stake', input.maxStake);
      if (input.copyMode === 'multiplier') {
        if (input.multiplier === undefined) bad('multiplier', 'required', 'multiplier copies need k');
        else if (!DECIMAL.test(input.multiplier) || !(Number(input.multiplier) > 0 && Number(input.multiplier) <= 100)) bad('multiplier', 'out_of_range', 'must be a decimal greater than 0 and at most 100');
      } else if (input.multiplier !== undefined) bad('multiplier', 'not_allowed', 'only multiplier copies take k');
      const now = clock.now();
      if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) bad('expires_at', 'in_the_past', 'must be in the future');
      if (fields.length > 0) invalid(fields);
      if (await storage.repos.copy.findLiveSubscription(followerId, master.id)) throw new TradeplaneError('conflict', 'You already subscribe to this master');

      const token = newToken();
      const record: SubscriptionRecord = {
        id: ids.next(),
        followerId,
        masterId: master.id,
        masterUserId: master.userId,
        accountId: input.accountId ?? null,
        copyMode: input.copyMode,
        fixedStake: input.stake ?? null,
        multiplier: input.multiplier ?? null,
        maxStake: input.maxStake ?? null,
        status: 'active',
        tokenHash: hashToken(token),
        expiresAt: input.expiresAt ?? null,
        createdAt: now,
        updatedAt: now,
      };
      // The subscription and its notifications commit together: a failure shows no token for a subscription that exists.
      await storage.transaction(async (tx) => {
        await deps.entitlements?.check(tx, followerId, 'maxCopySubscriptions');
        await tx.copy.insertSubscription(record);
        await announce(tx, record, 'created');
      });
      return issue(record, token);
    },

    async subscriptions(followerId, filter = {}) {
      const limit = filter.limit ?? 50;
      const page = await keysetPage(limit, (n) => storage.repos.copy.listSubscriptions({ followerId, cursor: filter.cursor, limit: n }), (s) => s);
      return { subscriptions: (await Promise.all(page.items.map(current))).map(toSubscription), nextCursor: page.nextCursor };
    },

    async subscription(followerId, id) {
      return toSubscription(await own(followerId, id));
    },

    async transition(followerId, id, action) {
      const s = await own(followerId, id);
      const from: Record<typeof action, SubscriptionStatus[]> = { pause: ['active'], resume: ['paused'], cancel: ['active', 'paused'] };
      const to = { pause: 'paused', resume: 'active', cancel: 'cancelled' } as const;
      const updated = await changeAndAnnounce(s.id, from[action], { status: to[action], updatedAt: clock.now() }, to[action] === 'active' ? 'resumed' : to[action]);
      if (!updated) {
        const now = (await storage.repos.copy.findSubscription(s.id))!;
        throw new TradeplaneError('conflict', `Cannot ${action} a subscription that is ${now.status}`, { fields: [{ in: 'path', path: 'id', code: `is_${now.status}`, message: `the subscription is ${now.status}` }] });
      }
      return toSubscription(updated);
    },

    async rotateToken(followerId, id) {
      const s = await own(followerId, id);
      const token = newToken();
      const updated = await changeAndAnnounce(s.id, ['active', 'paused'], { tokenHash: hashToken(token), updatedAt: clock.now() }, 'token_rotated');
      if (!updated) throw new TradeplaneError('conflict', `Cannot rotate the token of a subscription that is ${s.status}`, { fields: [{ in: 'path', path: 'id', code: `is_${s.status}`, message: `the subscription is ${s.status}` }] });
      return issue(updated, token);
    },

    async authenticateLicense(token) {
      // Looked up by its SHA-256: the comparison happens on the hash, so its time says nothing about the token.
      const found = TOKEN_FORMAT.test(token) ? await storage.repos.copy.findSubscriptionByTokenHash(hashToken(token)) : undefined;
      if (!found) throw new TradeplaneError('invalid_token', 'Unknown or rotated license token', { headers: { 'www-authenticate': 'License realm="tradeplane"' } });
      return { via: 'license', userId: found.followerId, role: 'user', subscriptionId: found.id };
    },

    async expireDue(limit = 500) {
      let expired = 0;
      for (const due of await storage.repos.copy.listDueToExpire(clock.now(), limit)) {
        if ((await current(due)).status === 'expired') expired += 1;
      }
      return expired;
    },

    async reportProtectionEvent(principal, input) {
      const s = await own(principal.userId, principal.subscriptionId);
      if (s.status !== 'active' && s.status !== 'paused') {
        throw new TradeplaneError('conflict', `The subscription is ${s.status}`, { fields: [{ in: 'header', path: 'authorization', code: `is_${s.status}`, message: `the subscription is ${s.status}` }] });
      }
      return risk.report({ userId: s.followerId, subscriptionId: s.id }, input);
    },

    async verify(principal) {
      const s = await own(principal.userId, principal.subscriptionId);
      const master = (await storage.repos.copy.findMaster(s.masterId))!;
      const profile = await risk.profile(s.followerId);
      return {
        subscription: toSubscription(s),
        copy: s.status === 'active',
        master: { id: master.id, displayName: master.displayName },
        limits: { currency: profile.currency, minStake: profile.minStake, maxStake: profile.maxStake, maxDailyLoss: profile.maxDailyLoss, maxOpenPositions: profile.maxOpenPositions },
      };
    },
  };
}
