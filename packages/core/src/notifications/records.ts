/**
 * Storage records and repositories of users' notifications.
 *
 * Part of the storage port: `ports/storage.ts` re-exports everything declared here.
 */
export interface NotificationRecord {
  id: string;
  userId: string;
  /** `subscription.paused`, `commission.charged`, `protection.event`, `wallet.deposit`, `admin.action`, … */
  type: string;
  title: string;
  body: string | null;
  data: Record<string, unknown> | null;
  readAt: Date | null;
  createdAt: Date;
}

export interface NotificationsRepository {
  insert(notification: NotificationRecord): Promise<void>;
  /** Newest first, keyset on id. */
  list(filter: { userId: string; unread?: boolean; cursor?: string; limit: number }): Promise<NotificationRecord[]>;
  /** Marks one read (once); undefined when it is not the user's. */
  markRead(userId: string, id: string, at: Date): Promise<NotificationRecord | undefined>;
  /** Marks all the user's unread ones read; returns how many. */
  markAllRead(userId: string, at: Date): Promise<number>;
  countUnread(userId: string): Promise<number>;
}
