import type { notificationRoutes } from '../contract/notifications.js';
import type { affiliateRoutes } from '../contract/affiliates.js';
import type { ContractHandlers } from '../http/types.js';
import type { AffiliateService } from '../affiliates/service.js';
import type { Notification, NotificationService } from './service.js';

type Handlers = ContractHandlers<{ notifications: typeof notificationRoutes; affiliates: typeof affiliateRoutes }>;

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

export function notificationHandlers(notifications: NotificationService, affiliates: AffiliateService): Handlers {
  return {
    notifications: {
      list: async ({ principal, query }) => {
        const page = await notifications.list(principal.userId, { unread: query.unread, cursor: query.cursor, limit: query.limit });
        return { notifications: page.notifications.map(notificationToWire), unread: page.unread, next_cursor: page.nextCursor };
      },
      read: async ({ principal, params }) => notificationToWire(await notifications.read(principal.userId, params.id)),
      readAll: async ({ principal }) => notifications.readAll(principal.userId),
    },
    affiliates: {
      code: async ({ principal }) => {
        const code = await affiliates.code(principal.userId);
        return { code: code.code, created_at: code.createdAt };
      },
      stats: async ({ principal }) => {
        const s = await affiliates.stats(principal.userId);
        return { code: s.code, referred_users: s.referredUsers, active_users: s.activeUsers, commission_earned: s.commissionEarned };
      },
    },
  };
}
