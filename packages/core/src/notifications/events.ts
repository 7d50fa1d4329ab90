import { notificationSchema } from '../contract/notifications.js';
import { defineEvent } from '../stream/events.js';

/** Each notification, once the transaction that wrote it commits. */
export const notificationCreated = defineEvent({
  channel: 'notifications',
  type: 'notification.created',
  audience: 'user',
  summary: 'A new notification (as `GET /notifications` lists it)',
  data: notificationSchema,
});

export const notificationEvents = [notificationCreated] as const;
