import { z } from 'zod';
import { defineRoute } from './route.js';
import { timestamp } from './common.js';

export const notificationSchema = z
  .object({
    id: z.string(),
    type: z.string().meta({ description: '`subscription.paused`, `commission.charged`, `protection.event`, `wallet.deposit`, `admin.action`, …' }),
    title: z.string(),
    body: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
    read: z.boolean(),
    read_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Notification' });

export const notificationRoutes = {
  list: defineRoute({
    id: 'notifications.list',
    method: 'GET',
    path: '/notifications',
    summary: 'Your notifications, newest first, with the unread count',
    tags: ['notifications'],
    auth: 'user',
    scope: 'account:read',
    query: z.object({
      unread: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: '`true`: unread ones only' }),
      cursor: z.string().min(1).max(64).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({ notifications: z.array(notificationSchema), unread: z.number().int(), next_cursor: z.string().nullable() }),
    errors: [],
  }),
  read: defineRoute({
    id: 'notifications.read',
    method: 'POST',
    path: '/notifications/{id}/read',
    summary: 'Mark one notification read',
    tags: ['notifications'],
    auth: 'user',
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    response: notificationSchema,
    errors: ['not_found'],
  }),
  readAll: defineRoute({
    id: 'notifications.readAll',
    method: 'POST',
    path: '/notifications/read-all',
    summary: 'Mark all your notifications read',
    tags: ['notifications'],
    auth: 'user',
    response: z.object({ updated: z.number().int() }),
    errors: [],
  }),
};
