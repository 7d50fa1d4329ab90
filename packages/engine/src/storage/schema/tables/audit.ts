import { text, timestamp } from '../columns.js';
import { index, table } from '../kit.js';

/*
 * The audit log's table.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** Admin actions and security events: append-only. */
export const auditLogs = table(
  'audit_logs',
  {
    id: text('id').primaryKey(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    requestId: text('request_id'),
    /** JSON object with action-specific facts; never secrets. */
    details: text('details'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('audit_logs_action_idx').on(t.action, t.id), index('audit_logs_target_idx').on(t.targetId, t.id)],
);
