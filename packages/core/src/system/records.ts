/**
 * Storage records and repositories of the system module: background jobs, shared rate-limit
 * counters, single-use tokens and the business counts of `GET /status`.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
import type { UserStatus } from '../auth/records.js';

/** A background job's shared state: who holds it, and how its last run went. */
export interface JobRecord {
  name: string;
  /** The instance running it now (or last), and until when its lease holds. */
  holder: string | null;
  leaseUntil: Date | null;
  lastTickAt: Date | null;
  lastDurationMs: number | null;
  lastError: string | null;
}

export interface JobsRepository {
  /**
   * Takes the job's lease for `holder` until `until` when it is free (no row, or the lease
   * ended before `now`); returns the row, or undefined when another instance holds it.
   */
  acquire(name: string, holder: string, now: Date, until: Date): Promise<JobRecord | undefined>;
  /** Records a run and gives the lease up (only the holder can). */
  finish(name: string, holder: string, result: { at: Date; durationMs: number; error: string | null }): Promise<void>;
  list(): Promise<JobRecord[]>;
}

/**
 * Fixed-window request counters, shared by every instance on the database. `hit` counts one
 * request in `key`'s window starting at `windowStart` (a new window resets the count) in one
 * atomic statement and returns the count so far.
 */
export interface RateLimitsRepository {
  hit(key: string, windowStart: Date): Promise<number>;
  /** Deletes counters of windows that started before `before`. */
  purge(before: Date): Promise<number>;
}

/** Single-use tokens (stream tickets): each id is accepted once, across every instance. */
export interface UsedTokensRepository {
  /** Marks `id` spent until `expiresAt`; true the first time, false if it was already spent. */
  consume(id: string, expiresAt: Date): Promise<boolean>;
  /** Forgets tokens that expired before `now` (they are refused as expired anyway). */
  purgeExpired(now: Date): Promise<number>;
}

/** Business-facing counts for `GET /status`. */
export interface BusinessCounts {
  users: Record<UserStatus, number>;
  activeAdmins: number;
  openTrades: number;
  activeSubscriptions: number;
}

export interface SystemRepository {
  businessCounts(): Promise<BusinessCounts>;
}
