import { TradeplaneError } from '../errors.js';
import type { Clock } from '../ports/index.js';
import type { AuditFilter, AuditRecord, Repositories, Role, Storage, UserListFilter, UserRecord } from '../ports/storage.js';
import type { AuditLog, RequestContext } from '../audit/audit-log.js';
import { toUser, type User } from '../auth/service.js';

/**
 * User administration: approve sign-ups, disable and re-enable, change roles, read
 * the audit log. Every mutation writes its audit record in the same transaction. `actorId` is
 * the admin's user id, or null when your own code acts (e.g. promoting the first admin).
 */
export interface AdminService {
  listUsers(filter: UserListFilter): Promise<User[]>;
  approve(actorId: string | null, userId: string, context?: RequestContext): Promise<User>;
  /** Disables the user and revokes every session and API key at once. */
  disable(actorId: string | null, userId: string, context?: RequestContext): Promise<User>;
  enable(actorId: string | null, userId: string, context?: RequestContext): Promise<User>;
  /** Changes the role; the user's sessions end, so the next sign-in carries the new role. */
  setRole(actorId: string | null, userId: string, role: Role, context?: RequestContext): Promise<User>;
  auditLogs(filter: AuditFilter): Promise<AuditRecord[]>;
}

export function createAdminService(deps: { storage: Storage; clock: Clock; audit: AuditLog }): AdminService {
  const { storage, clock, audit } = deps;

  async function target(tx: Repositories, userId: string): Promise<UserRecord> {
    const user = await tx.users.findById(userId);
    if (!user) throw new TradeplaneError('not_found', 'No such user');
    return user;
  }

  /** The last active admin can neither be demoted nor disabled: nobody could undo it. */
  async function keepAnAdmin(tx: Repositories, user: UserRecord): Promise<void> {
    if (user.role === 'admin' && user.status === 'active' && (await tx.users.countActiveAdmins()) <= 1) {
      throw new TradeplaneError('conflict', 'This is the last active admin; promote another admin first');
    }
  }

  async function endEverything(tx: Repositories, userId: string, now: Date): Promise<{ sessions: number; apiKeys: number }> {
    return { sessions: await tx.sessions.revokeAllForUser(userId, now), apiKeys: await tx.apiKeys.revokeAllForUser(userId, now) };
  }

  return {
    listUsers: async (filter) => (await storage.repos.users.list(filter)).map(toUser),

    approve(actorId, userId, context) {
      return storage.transaction(async (tx) => {
        const user = await target(tx, userId);
        if (user.status === 'active') return toUser(user); // approving twice changes nothing
        if (user.status !== 'pending') throw new TradeplaneError('conflict', 'Only a pending account can be approved; use enable for a disabled one');
        const updated = (await tx.users.update(userId, { status: 'active', updatedAt: clock.now() }))!;
        await audit.recordIn(tx, { actorId, action: 'admin.user_approved', targetType: 'user', targetId: userId }, context);
        return toUser(updated);
      });
    },

    disable(actorId, userId, context) {
      return storage.transaction(async (tx) => {
        const user = await target(tx, userId);
        if (user.status === 'disabled') return toUser(user);
        await keepAnAdmin(tx, user);
        const now = clock.now();
        const updated = (await tx.users.update(userId, { status: 'disabled', updatedAt: now, bumpTokenVersion: true }))!;
        const revoked = await endEverything(tx, userId, now);
        await audit.recordIn(tx, { actorId, action: 'admin.user_disabled', targetType: 'user', targetId: userId, details: { revoked } }, context);
        return toUser(updated);
      });
    },

    enable(actorId, userId, context) {
      return storage.transaction(async (tx) => {
        const user = await target(tx, userId);
        if (user.status === 'active') return toUser(user);
        if (user.status !== 'disabled') throw new TradeplaneError('conflict', 'A pending account is approved, not enabled');
        const updated = (await tx.users.update(userId, { status: 'active', updatedAt: clock.now() }))!;
        await audit.recordIn(tx, { actorId, action: 'admin.user_enabled', targetType: 'user', targetId: userId }, context);
        return toUser(updated);
      });
    },

    setRole(actorId, userId, role, context) {
      return storage.transaction(async (tx) => {
        const user = await target(tx, userId);
        if (user.role === role) return toUser(user);
        if (role !== 'admin') await keepAnAdmin(tx, user);
        const now = clock.now();
        const updated = (await tx.users.update(userId, { role, updatedAt: now, bumpTokenVersion: true }))!;
        await tx.sessions.revokeAllForUser(userId, now);
        await audit.recordIn(tx, { actorId, action: 'admin.role_changed', targetType: 'user', targetId: userId, details: { from: user.role, to: role } }, context);
        return toUser(updated);
      });
    },

    auditLogs: (filter) => audit.list(filter),
  };
}
