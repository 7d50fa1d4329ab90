/**
 * Storage records and repositories of the risk module: profiles, locks and protection events.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
import type { TradeSide } from '../trading/records.js';

/** A user's stored risk limits (money in minor units of `currency`). */
export interface RiskProfileRecord {
  userId: string;
  currency: string;
  minStake: bigint;
  maxStake: bigint;
  maxDailyLoss: bigint;
  maxConsecutiveLosses: number;
  stakeProgression: string[];
  maxOpenPositions: number;
  maxExposurePerSymbol: bigint;
  lossCooldownMinutes: number;
  timeZone: string;
  updatedAt: Date;
}

export interface RiskLockRecord {
  id: string;
  userId: string;
  scope: 'user' | 'symbol' | 'side';
  symbol: string | null;
  side: TradeSide | null;
  reason: string;
  until: Date;
  createdAt: Date;
  clearedAt: Date | null;
  clearedBy: string | null;
}

/**
 * A signal or trade refused for the user's protection: by tradeplane's risk manager
 * (`source: 'risk'`) or reported by the follower's trading terminal (`source: 'ea'`).
 */
export interface ProtectionEventRecord {
  id: string;
  userId: string;
  source: 'risk' | 'ea';
  subscriptionId: string | null;
  /** The reporter's own event id, unique per user (EA reports are idempotent on it). */
  externalId: string | null;
  reason: string;
  symbol: string | null;
  side: TradeSide | null;
  /** The stake asked for, minor units of `currency`. */
  stake: bigint | null;
  currency: string | null;
  details: Record<string, unknown> | null;
  occurredAt: Date;
  createdAt: Date;
}

export interface ProtectionEventFilter {
  /** Omitted: every user's (admin). */
  userId?: string;
  source?: 'risk' | 'ea';
  subscriptionId?: string;
  /** The reporter's own id (a retried report finds the stored event). */
  externalId?: string;
  reason?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
}

export type ProtectionEventGrouping = 'reason' | 'symbol' | 'day';

export interface RiskRepository {
  findProfile(userId: string): Promise<RiskProfileRecord | undefined>;
  upsertProfile(profile: RiskProfileRecord): Promise<void>;
  /** The user's losing streak: how many settled trades in a row lost, and when the last one did. */
  streak(userId: string): Promise<{ consecutiveLosses: number; lastLossAt: Date | null }>;
  /** Counts a settlement into the streak in one statement: a loss adds one, anything else resets it. */
  recordResult(userId: string, lost: boolean, at: Date): Promise<{ consecutiveLosses: number; lastLossAt: Date | null }>;
  insertLock(lock: RiskLockRecord): Promise<void>;
  findLock(id: string): Promise<RiskLockRecord | undefined>;
  /** Locks not cleared whose `until` is after `now` (all of the user's when `now` is omitted), newest first. */
  listLocks(userId: string, now?: Date): Promise<RiskLockRecord[]>;
  /** Clears a lock; undefined if it was already cleared. */
  clearLock(id: string, by: string, at: Date): Promise<RiskLockRecord | undefined>;
  /** Inserts an event; false if the user already has one with the same `externalId`. */
  insertEvent(event: ProtectionEventRecord): Promise<boolean>;
  listEvents(filter: ProtectionEventFilter): Promise<ProtectionEventRecord[]>;
  /** Counts per reason, symbol or UTC day (`key`: the day's start, ISO date), largest count first. */
  summarizeEvents(filter: Omit<ProtectionEventFilter, 'cursor' | 'limit'>, groupBy: ProtectionEventGrouping): Promise<{ key: string | null; count: number }[]>;
}
