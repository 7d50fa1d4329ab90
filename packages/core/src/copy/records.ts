/**
 * Storage records and repositories of copy trading: masters, subscriptions and commission charges.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
import type { TradeRecord } from '../trading/records.js';

/** A user's master-trader profile: others may subscribe to copy their trades. */
export interface MasterRecord {
  id: string;
  userId: string;
  displayName: string;
  description: string | null;
  /** Markup on a master bot's clients' profit, basis points (500–5000). */
  markupBps: number;
  /** Performance fee on followers' gains above their high-water mark, basis points. */
  performanceFeeBps: number;
  visibility: 'public' | 'private';
  createdAt: Date;
  updatedAt: Date;
}

export type SubscriptionStatus = 'active' | 'paused' | 'cancelled' | 'expired';
export type CopyMode = 'fixed' | 'proportional' | 'multiplier';

/** A follower copying a master, authenticated from their terminal by a license token. */
export interface SubscriptionRecord {
  id: string;
  followerId: string;
  masterId: string;
  /** The master's user id (denormalised: the copy hook looks subscriptions up by it). */
  masterUserId: string;
  /** The follower's account the copies trade on; null → their default account at each trade. */
  accountId: string | null;
  copyMode: CopyMode;
  /** `fixed`: the stake, decimal string in the account's currency. */
  fixedStake: string | null;
  /** `multiplier`: k as a decimal string. */
  multiplier: string | null;
  /** A cap on each copied stake, decimal string; the follower's risk profile applies as well. */
  maxStake: string | null;
  status: SubscriptionStatus;
  /** SHA-256 of the license token; the token itself is never stored. */
  tokenHash: string;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CopyRepository {
  insertMaster(master: MasterRecord): Promise<void>;
  findMaster(id: string): Promise<MasterRecord | undefined>;
  findMasterByUser(userId: string): Promise<MasterRecord | undefined>;
  /** Public masters, oldest first, keyset on id. */
  listPublicMasters(filter: { cursor?: string; limit: number }): Promise<MasterRecord[]>;
  /**
   * A master's active subscriptions, per kind of the account they copy onto (the subscription's
   * account, or the follower's default account when it names none).
   */
  countFollowers(masterId: string): Promise<{ demo: number; real: number }>;
  insertSubscription(subscription: SubscriptionRecord): Promise<void>;
  findSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  findSubscriptionByTokenHash(tokenHash: string): Promise<SubscriptionRecord | undefined>;
  /** The follower's subscription to a master that is active or paused, if any. */
  findLiveSubscription(followerId: string, masterId: string): Promise<SubscriptionRecord | undefined>;
  /** Newest first, keyset on id. */
  listSubscriptions(filter: { followerId: string; cursor?: string; limit: number }): Promise<SubscriptionRecord[]>;
  listActiveForMasterUser(masterUserId: string): Promise<SubscriptionRecord[]>;
  /** Applies `changes` when the subscription's status is one of `from`; returns the updated row, or undefined. */
  updateSubscription(id: string, from: readonly SubscriptionStatus[], changes: Partial<Pick<SubscriptionRecord, 'status' | 'tokenHash' | 'updatedAt'>>): Promise<SubscriptionRecord | undefined>;
  /** Active or paused subscriptions whose `expiresAt` ≤ `now`, oldest expiry first. */
  listDueToExpire(now: Date, limit: number): Promise<SubscriptionRecord[]>;
}

export type CommissionKind = 'performance_fee' | 'markup';

/**
 * One commission charge on a follower: a period's performance fee (over the high-water mark)
 * or one copied trade's markup. Its `key` makes it happen once; the ledger entry `entryId`
 * moves `charged` from the follower's account to the master (`masterAmount`), the platform
 * (`platformAmount`) and the follower's affiliate (`affiliateAmount`).
 */
export interface CommissionChargeRecord {
  id: string;
  /** `fee:<subscription>:<account>:<period>` or `markup:<trade>`: unique. */
  key: string;
  kind: CommissionKind;
  subscriptionId: string;
  masterId: string;
  masterUserId: string;
  followerId: string;
  /** The follower's account the copies traded on and the charge is taken from. */
  accountId: string;
  currency: string;
  /** Performance fee: the settlement period (`2026-11-24`, `2026-W48`, `2026-11`); markup: the close's UTC day. */
  period: string;
  periodStart: Date | null;
  /** Performance fee: the end of the period (exclusive); markup: the trade's close. */
  periodEnd: Date;
  /** Markup: the copied trade. */
  tradeId: string | null;
  /** Performance fee: the change in copy equity since the last fee; markup: the trade's P&L. Minor units. */
  profit: bigint;
  /** Performance fee: Σ P&L of the subscription's closed copies on the account, up to `periodEnd`. */
  equity: bigint | null;
  /** Closed copies counted in `equity`. */
  closedCopies: number | null;
  hwmBefore: bigint | null;
  hwmAfter: bigint | null;
  rateBps: number;
  /** What the rules ask for. */
  fee: bigint;
  /** What was taken: `fee`, or less when the available balance fell short. */
  charged: bigint;
  masterAmount: bigint;
  platformAmount: bigint;
  affiliateAmount: bigint;
  affiliateUserId: string | null;
  /** The ledger entry (null when nothing was charged). */
  entryId: string | null;
  createdAt: Date;
}

/** The result so far of a subscription's copies on one account. */
export interface CopyResult {
  subscriptionId: string;
  accountId: string;
  currency: string;
  pnl: bigint;
  closedCopies: number;
}

export interface CommissionRepository {
  /** Inserts a charge; false when its `key` is taken (the charge already happened). */
  insertCharge(charge: CommissionChargeRecord): Promise<boolean>;
  /** The subscription's latest performance-fee charge on the account (by period end). */
  latestFee(subscriptionId: string, accountId: string): Promise<CommissionChargeRecord | undefined>;
  /** Σ P&L and count of closed copies per subscription and account, closed before `until`. */
  copyResults(until: Date): Promise<CopyResult[]>;
  /** Closed copies with a profit, closed before `until`, that have no markup charge yet (oldest first). */
  unchargedMarkups(until: Date, limit: number): Promise<TradeRecord[]>;
  /** Newest first, keyset on id; `userId` matches the follower or the master. */
  listCharges(filter: { userId?: string; as?: 'follower' | 'master'; period?: string; kind?: CommissionKind; cursor?: string; limit: number }): Promise<CommissionChargeRecord[]>;
  /** Σ affiliate amounts per currency for an affiliate. */
  affiliateEarnings(affiliateUserId: string): Promise<{ currency: string; amount: bigint }[]>;
}
