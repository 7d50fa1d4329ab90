import { text, timestamp } from '../columns.js';
import { index, primaryKey, table } from '../kit.js';

/*
 * The idempotency module's table.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** Stored outcomes of money requests, per user and Idempotency-Key. */
export const idempotencyKeys = table(
  'idempotency_keys',
  {
    userId: text('user_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** JSON. */
    outcome: text('outcome').notNull(),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [primaryKey(t.userId, t.key), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);
