/**
 * Storage records and repositories of the audit log.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
export interface AuditRecord {
  id: string;
  /** The user who acted; null for the system or an anonymous caller (failed sign-in). */
  actorId: string | null;
  /** `admin.user_approved`, `auth.login_failed`, `auth.refresh_reuse`, `api_key.created`, … */
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  /** Action-specific facts; never secrets. */
  details: Record<string, unknown> | null;
  createdAt: Date;
}

export interface AuditFilter {
  action?: string;
  actorId?: string;
  targetId?: string;
  /** Newest first; `cursor` is the last id of the previous page. */
  limit: number;
  cursor?: string;
}

export interface AuditRepository {
  insert(record: AuditRecord): Promise<void>;
  list(filter: AuditFilter): Promise<AuditRecord[]>;
}
