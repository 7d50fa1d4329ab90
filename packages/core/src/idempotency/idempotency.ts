import { createHash } from 'node:crypto';
import { isTradeplaneError, TradeplaneError, type ErrorCode, type FieldError } from '../errors.js';
import type { Clock } from '../ports/index.js';
import { IDEMPOTENCY_KEY } from '../contract/common.js';
import type { IdempotencyRecord, MovementBalances, Repositories, Storage } from '../ports/storage.js';

const hashOf = (request: IdempotentRequest) => createHash('sha256').update(JSON.stringify([request.operation, request.input])).digest('base64url');

/**
 * A stored outcome. A movement posted whole (`Storage.postMovement`) stores its answer without
 * the balances it could not know beforehand, and the statement adds them as `balances`: a
 * replay renders the answer from both (`render`).
 */
type Outcome = { ok: true; value: unknown; balances?: MovementBalances } | { ok: false; code: ErrorCode; detail: string; fields?: FieldError[] };

/** Completes a stored answer from the balances its movement's statement stored beside it. */
export type RenderOutcome<T> = (value: T, balances: MovementBalances) => T;

/** Results handed back from a stored outcome rather than computed now (the HTTP layer says so in a header). */
const replayed = new WeakSet<object>();

/** Marks a value as replayed (for services that rebuild their answer from a stored outcome). */
export function markReplayed<T extends object>(value: T): T {
  replayed.add(value);
  return value;
}

/** True if `result` was replayed from an earlier request with the same Idempotency-Key. */
export function isReplayed(result: object): boolean {
  return replayed.has(result);
}

export const REPLAYED_HEADER = 'idempotency-replayed';

/** Thrown inside the transaction when another request stored the key first: roll back, then replay. */
class LostRace extends Error {}

/**
 * An idempotent operation's value while its last writes (issued in the same transaction) are
 * still running: `run` issues the key's insert alongside and waits for both before committing,
 * so on PostgreSQL they share a round trip. They fail or commit together.
 */
export class WithWrites<T> {
  constructor(
    readonly value: T,
    readonly writes: Promise<unknown>,
  ) {}
}

export interface IdempotentRequest {
  userId: string;
  key: string;
  /** The operation's name and its normalised input: the same key with a different one is a conflict. */
  operation: string;
  input: unknown;
}

/**
 * Runs a money operation at most once per (user, Idempotency-Key).
 *
 * The outcome is stored in the same transaction as the movement, so a movement without its
 * stored outcome (or the reverse) cannot exist. A retry with the same request gets the stored
 * outcome back — including a business failure such as `insufficient_funds`, which is replayed,
 * not retried — and the same key with a different request is `idempotency_conflict`. When two
 * requests with one key race, the loser's insert of the key conflicts (on PostgreSQL it waits
 * for the winner to commit), its transaction rolls back, and it replays the winner's outcome.
 * Only failures that depend on the ledger's state at that moment (409: `insufficient_funds`,
 * `already_reversed`, …) are stored. Bad input (4xx other than 409: an unknown account, a
 * currency mismatch) writes nothing — not even the key — and server errors are not stored
 * either: in both cases a retry runs again.
 */
export function createIdempotency(deps: { storage: Storage; clock: Clock; ttlSeconds: number }) {
  const { storage, clock } = deps;

  function assertKey(key: string): void {
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      throw new TradeplaneError('validation_failed', 'A valid Idempotency-Key is required for money operations', {
        fields: [{ in: 'header', path: 'Idempotency-Key', code: 'invalid_idempotency_key', message: 'must be 1–255 printable ASCII characters' }],
      });
    }
  }

  function replay<T>(record: IdempotencyRecord, requestHash: string, render?: RenderOutcome<T>): T {
    if (record.requestHash !== requestHash) {
      throw new TradeplaneError('idempotency_conflict', 'This Idempotency-Key was already used with a different request');
    }
    const outcome = record.outcome as Outcome;
    if (!outcome.ok) {
      throw new TradeplaneError(outcome.code, outcome.detail, { fields: outcome.fields, headers: { [REPLAYED_HEADER]: 'true' } });
    }
    const value = outcome.balances && render ? render(outcome.value as T, outcome.balances) : (outcome.value as T);
    if (typeof value === 'object' && value !== null) replayed.add(value);
    return value;
  }

  /** The key's record as of now, but for its outcome. */
  function keyRecord(request: IdempotentRequest, requestHash: string): Omit<IdempotencyRecord, 'outcome'> {
    const now = clock.now();
    return { userId: request.userId, key: request.key, requestHash, createdAt: now, expiresAt: new Date(now.getTime() + deps.ttlSeconds * 1000) };
  }

  async function store(tx: Repositories, request: IdempotentRequest, requestHash: string, outcome: Outcome): Promise<boolean> {
    return tx.idempotency.insert({ ...keyRecord(request, requestHash), outcome });
  }

  async function storedOrThrow<T>(request: IdempotentRequest, requestHash: string, render?: RenderOutcome<T>): Promise<T> {
    const record = await storage.repos.idempotency.find(request.userId, request.key);
    if (!record) throw new Error('idempotency record vanished after a conflicting insert');
    return replay<T>(record, requestHash, render);
  }

  return {
    /**
     * The record `run` would store for this request, but for its outcome: for a storage that
     * writes the key in the movement's own statement (`Storage.postMovement`). Checks the key.
     */
    record(request: IdempotentRequest): Omit<IdempotencyRecord, 'outcome'> {
      assertKey(request.key);
      return keyRecord(request, hashOf(request));
    },

    /** `render` completes an answer stored by a movement posted whole (see `Outcome`). */
    async run<T>(request: IdempotentRequest, operation: (tx: Repositories) => Promise<T | WithWrites<T>>, render?: RenderOutcome<T>): Promise<T> {
      assertKey(request.key);
      const requestHash = hashOf(request);
      // No lookup first: a first attempt (the common case) pays nothing extra. A retry runs the
      // operation, finds the key taken when storing it, rolls back and replays the stored outcome.
      try {
        return await storage.transaction(async (tx) => {
          const result = await operation(tx);
          const [value, writes] = result instanceof WithWrites ? [result.value, result.writes] : [result, undefined];
          const stored = store(tx, request, requestHash, { ok: true, value });
          // Settle both before the transaction ends, whichever fails; the writes went first, so their failure is the cause.
          const [written, kept] = await Promise.allSettled([writes, stored]);
          if (written.status === 'rejected') throw written.reason;
          if (kept.status === 'rejected') throw kept.reason;
          if (!kept.value) throw new LostRace();
          return value;
        });
      } catch (error) {
        if (error instanceof LostRace) return storedOrThrow<T>(request, requestHash, render);
        if (!isTradeplaneError(error)) throw error;
        if (error.status !== 409) {
          // A retry re-runs the operation before it meets the stored key, and what succeeded the
          // first time may be refused now (a deposit onto a balance it took near the maximum):
          // the first outcome still wins. Only this refusal path pays for the lookup.
          const record = await storage.repos.idempotency.find(request.userId, request.key);
          if (record && record.expiresAt > clock.now()) return replay<T>(record, requestHash, render);
          throw error;
        }
        // A business failure: the movement rolled back; remember the answer so a retry gets it too.
        const outcome: Outcome = { ok: false, code: error.code, detail: error.detail, ...(error.fields ? { fields: error.fields } : {}) };
        const stored = await storage.transaction((tx) => store(tx, request, requestHash, outcome));
        if (!stored) return storedOrThrow<T>(request, requestHash, render);
        throw error;
      }
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
