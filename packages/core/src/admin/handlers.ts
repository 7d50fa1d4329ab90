import { keysetPage } from '../pagination.js';
import type { adminRoutes } from '../contract/admin.js';
import type { ContractHandlers } from '../http/types.js';
import type { AuditRecord } from '../ports/storage.js';
import { requestContext, userToWire } from '../auth/handlers.js';
import type { AdminService } from './service.js';

function auditToWire(record: AuditRecord) {
  return {
    id: record.id,
    actor_id: record.actorId,
    action: record.action,
    target_type: record.targetType,
    target_id: record.targetId,
    ip: record.ip,
    request_id: record.requestId,
    details: record.details,
    created_at: record.createdAt.toISOString(),
  };
}

export function adminHandlers(admin: AdminService): ContractHandlers<{ admin: typeof adminRoutes }>['admin'] {
  return {
    listUsers: async ({ query }) => {
      const page = await keysetPage(query.limit, (n) => admin.listUsers({ status: query.status, role: query.role, search: query.q, limit: n, cursor: query.cursor }), userToWire);
      return { users: page.items, next_cursor: page.nextCursor };
    },
    approveUser: async ({ principal, params, request }) => userToWire(await admin.approve(principal.userId, params.id, requestContext(request))),
    disableUser: async ({ principal, params, request }) => userToWire(await admin.disable(principal.userId, params.id, requestContext(request))),
    enableUser: async ({ principal, params, request }) => userToWire(await admin.enable(principal.userId, params.id, requestContext(request))),
    setRole: async ({ principal, params, body, request }) =>
      userToWire(await admin.setRole(principal.userId, params.id, body.role, requestContext(request))),
    auditLogs: async ({ query }) => {
      const page = await keysetPage(query.limit, (n) => admin.auditLogs({ limit: n, cursor: query.cursor, action: query.action, actorId: query.actor_id, targetId: query.target_id }), auditToWire);
      return { audit_logs: page.items, next_cursor: page.nextCursor };
    },
  };
}
