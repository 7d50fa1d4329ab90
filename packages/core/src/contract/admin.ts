import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';
import { userSchema } from './auth.js';

const userId = z.strictObject({ id: z.string().min(1).max(64) });
const limit = z.coerce.number().int().min(1).max(100).default(50);
const cursor = z.string().min(1).max(64).optional().meta({ description: 'The `next_cursor` of the previous page' });

export const auditLogSchema = z
  .object({
    id: z.string(),
    actor_id: z.string().nullable().meta({ description: 'Null for the system or an anonymous caller' }),
    action: z.string().meta({ example: 'admin.user_disabled' }),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'AuditLog' });

const userResponse = userSchema;

export const adminRoutes = {
  listUsers: defineRoute({
    id: 'admin.listUsers',
    method: 'GET',
    path: '/admin/users',
    summary: 'List users, newest first (`status=pending` lists sign-ups awaiting approval)',
    tags: ['admin'],
    auth: 'admin',
    query: z.object({
      status: z.enum(['active', 'pending', 'disabled']).optional(),
      role: z.enum(['user', 'viewer', 'admin']).optional(),
      q: z.string().min(1).max(254).optional().meta({ description: 'Part of the email or username' }),
      limit,
      cursor,
    }),
    response: z.object({ users: z.array(userSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  approveUser: defineRoute({
    id: 'admin.approveUser',
    method: 'POST',
    path: '/admin/users/{id}/approve',
    summary: 'Approve a pending sign-up',
    tags: ['admin'],
    auth: 'admin',
    params: userId,
    response: userResponse,
    errors: ['not_found', 'conflict'],
  }),
  disableUser: defineRoute({
    id: 'admin.disableUser',
    method: 'POST',
    path: '/admin/users/{id}/disable',
    summary: 'Disable a user: every session and API key is revoked at once',
    tags: ['admin'],
    auth: 'admin',
    params: userId,
    response: userResponse,
    errors: ['not_found', 'conflict'],
  }),
  enableUser: defineRoute({
    id: 'admin.enableUser',
    method: 'POST',
    path: '/admin/users/{id}/enable',
    summary: 'Re-enable a disabled user (they sign in again; revoked keys stay revoked)',
    tags: ['admin'],
    auth: 'admin',
    params: userId,
    response: userResponse,
    errors: ['not_found', 'conflict'],
  }),
  setRole: defineRoute({
    id: 'admin.setRole',
    method: 'PUT',
    path: '/admin/users/{id}/role',
    summary: 'Change a user’s role (their sessions end; they sign in again)',
    tags: ['admin'],
    auth: 'admin',
    params: userId,
    body: z.strictObject({ role: z.enum(['user', 'viewer', 'admin']) }),
    response: userResponse,
    errors: ['not_found', 'conflict'],
  }),
  auditLogs: defineRoute({
    id: 'admin.auditLogs',
    method: 'GET',
    path: '/admin/audit-logs',
    summary: 'Admin actions and security events, newest first',
    tags: ['admin'],
    auth: 'admin',
    query: z.object({
      limit,
      cursor,
      action: z.string().min(1).max(64).optional(),
      actor_id: z.string().min(1).max(64).optional(),
      target_id: z.string().min(1).max(64).optional(),
    }),
    response: z.object({ audit_logs: z.array(auditLogSchema), next_cursor: z.string().nullable() }),
    errors: [],
  }),
} as const;
