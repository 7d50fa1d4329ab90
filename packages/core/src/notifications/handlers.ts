import type { notificationRoutes } from '../contract/notifications.js';
import type { ContractHandlers } from '../http/types.js';
import type { Notification, NotificationService } from './service.js';

type Handlers = ContractHandlers<{ notifications: typeof notificationRoutes }>;

export const notificationToWire = (n: Notification) => ({
  id: n.id,
  type: n.type,
  title: n.title,
  body: n.body,
  data: n.data,
  read: n.readAt !== null,
  read_at: n.readAt,
  created_at: n.createdAt,
});

export function notificationHandlers(notifications: NotificationService): Handlers {
  return {
    notifications: {
      list: async ({ principal, query }) => {
        const page = await notifications.list(principal.userId, { unread: query.unread, cursor: query.cursor, limit: query.limit });
        return { notifications: page.notifications.map(notificationToWire), unread: page.unread, next_cursor: page.nextCursor };
      },
      read: async ({ principal, params }) => notificationToWire(await notifications.read(principal.userId, params.id)),
      readAll: async ({ principal }) => notifications.readAll(principal.userId),
    },
  };
}
