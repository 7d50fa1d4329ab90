import { TradeplaneError } from '../errors.js';
import { defineModule } from '../modules/define.js';
import { publish } from '../stream/events.js';
import { notificationCreated, notificationEvents } from './events.js';
import { notificationHandlers, notificationToWire } from './handlers.js';
import { createNotificationService } from './service.js';

/** In-app notifications and the real-time stream's tickets. */
export const notificationsModule = defineModule({
  name: 'notifications',
  requires: ['auth'],
  uses: [],
  routes: ['notifications', 'stream'],
  events: notificationEvents,
  create(ctx) {
    const notifications = createNotificationService({ storage: ctx.storage, clock: ctx.clock, ids: ctx.ids, logger: ctx.logger, afterCommit: ctx.afterCommit });
    // An admin's audited action on a user notifies that user, in the action's transaction.
    ctx.hooks.auditRecorded.add(notifications.fromAuditIn);
    const hub = ctx.hub;
    if (hub) notifications.subscribe((n) => publish(hub, notificationCreated, { userId: n.userId, data: notificationToWire(n) }));
    return { notifications };
  },
  handlers: ({ notifications }, { stream }) => ({
    ...notificationHandlers(notifications),
    stream: {
      ticket: async ({ principal }) => {
        // The route takes access tokens only: a ticket is bound to the session that asked for it.
        if (principal.via !== 'session') throw new TradeplaneError('unauthenticated', 'Stream tickets are issued to signed-in sessions');
        const t = await stream.issueTicket(principal);
        return { ticket: t.ticket, expires_at: t.expiresAt.toISOString() };
      },
    },
  }),
});
