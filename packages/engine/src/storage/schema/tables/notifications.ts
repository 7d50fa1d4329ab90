import { text, timestamp } from '../columns.js';
import { index, table } from '../kit.js';
import { users } from './auth.js';

/*
 * The notifications module's table.
 *
 * Only table definitions may be exported here: `definitions.ts` re-exports each of them, and the
 * dialect builders take that whole set.
 */

/** Users' notifications. */
export const notifications = table(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.columns.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    title: text('title').notNull(),
    body: text('body'),
    /** JSON. */
    data: text('data'),
    readAt: timestamp('read_at'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.id), index('notifications_unread_idx').on(t.userId, t.readAt)],
);
