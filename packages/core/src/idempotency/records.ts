/**
 * Storage records and repositories of Idempotency-Key outcomes.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
export interface IdempotencyRecord {
  /** Keys are scoped per user. */
  userId: string;
  key: string;
  /** SHA-256 of the operation and its normalised input. */
  requestHash: string;
  /** The stored outcome, replayed for a retry: `{ ok: true, value }` or `{ ok: false, code, detail, fields }`. */
  outcome: unknown;
  createdAt: Date;
  expiresAt: Date;
}

export interface IdempotencyRepository {
  find(userId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Stores an outcome. Returns false when a live record for the key already exists (another
   * request won); an expired one is replaced. Inside a PostgreSQL transaction a concurrent
   * insert of the same key waits for the first to commit or roll back.
   */
  insert(record: IdempotencyRecord): Promise<boolean>;
  /** Deletes outcomes kept past their time; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}
