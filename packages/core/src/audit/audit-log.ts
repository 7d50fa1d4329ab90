import type { Clock, Ids, Logger } from '../ports/index.js';
import type { AuditFilter, AuditRecord, Repositories, Storage } from '../ports/storage.js';

/** Facts about the request that caused an action, for the audit log. */
export interface RequestContext {
  ip?: string;
  requestId?: string;
  userAgent?: string;
}

export interface AuditEntry {
  actorId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

/**
 * The audit log: every admin mutation and every security event (failed sign-in, lockout,
 * refresh-token reuse, API key created or revoked). Entries are also logged as structured
 * `event=<action>` lines so log pipelines see them without reading the table.
 */
export interface AuditLog {
  /** Writes a record within the transaction of the action it records. */
  recordIn(repos: Repositories, entry: AuditEntry, context?: RequestContext): Promise<void>;
  list(filter: AuditFilter): Promise<AuditRecord[]>;
}

export function createAuditLog(deps: {
  storage: Storage;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** Runs in the same transaction after each record (notifications tell users what an admin did). */
  onRecordedIn?: (repos: Repositories, record: AuditRecord) => Promise<void>;
}): AuditLog {
  const { storage, clock, ids, logger } = deps;
  const toRecord = (e: AuditEntry, context: RequestContext = {}): AuditRecord => ({
    id: ids.next(),
    actorId: e.actorId,
    action: e.action,
    targetType: e.targetType ?? null,
    targetId: e.targetId ?? null,
    ip: context.ip ?? null,
    requestId: context.requestId ?? null,
    details: e.details ?? null,
    createdAt: clock.now(),
  });
  const log = (record: AuditRecord) =>
    logger.info({ event: record.action, actorId: record.actorId, targetId: record.targetId, requestId: record.requestId }, 'audit');
  return {
    async recordIn(repos, e, context) {
      const record = toRecord(e, context);
      await repos.audit.insert(record);
      await deps.onRecordedIn?.(repos, record);
      log(record);
    },
    list: (filter) => storage.repos.audit.list(filter),
  };
}
