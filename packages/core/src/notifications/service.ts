import { TradeplaneError } from '../errors.js';
import { keysetPage } from '../pagination.js';
import type { Clock, Ids, Logger } from '../ports/index.js';
import type { AuditRecord, NotificationRecord, Repositories, Storage } from '../ports/storage.js';

export interface NotificationInput {
  /** A stable, dotted type: `subscription.paused`, `commission.charged`, `wallet.deposit`, … */
  type: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
}

export interface Notification {
  id: string;
  userId: string;
  type: string;
  title: string;
  body: string | null;
  data: Record<string, unknown> | null;
  readAt: string | null;
  createdAt: string;
}

export type NotificationListener = (notification: Notification) => void | Promise<void>;

/**
 * Users' notifications and the hook that announces them.
 *
 * The services write a notification in the transaction of what it reports (a deposit, a fee,
 * a refused trade, an admin's action on the user), so one exists exactly when its cause
 * committed; listeners (`subscribe`: the real-time stream, an embedder's mailer) hear of it
 * after the commit. A listener's failure is logged and never reaches the caller.
 */
export interface NotificationService {
  /** Writes a notification on its own. */
  notify(userId: string, input: NotificationInput): Promise<Notification>;
  /** Writes a notification inside the caller's transaction; listeners hear of it once that commits. */
  notifyIn(tx: Repositories, userId: string, input: NotificationInput): Promise<void>;
  /**
   * For a writer that inserts the row itself, in its own statement (the wallets' one-statement
   * movements): the record `notifyIn` would insert, and `committed`, to call once it is.
   */
  draft(userId: string, input: NotificationInput): NotificationRecord;
  committed(record: NotificationRecord): void;
  list(userId: string, filter?: { unread?: boolean; cursor?: string; limit?: number }): Promise<{ notifications: Notification[]; nextCursor: string | null; unread: number }>;
  /** Marks one read (again is fine); another user's is `not_found`. */
  read(userId: string, id: string): Promise<Notification>;
  readAll(userId: string): Promise<{ updated: number }>;
  subscribe(listener: NotificationListener): () => void;
  /** Called by the audit log inside the action's transaction: tells a user what an admin did to them. */
  fromAuditIn(tx: Repositories, record: AuditRecord): Promise<void>;
}

const iso = (d: Date) => d.toISOString();

const toView = (n: NotificationRecord): Notification => ({
  id: n.id,
  userId: n.userId,
  type: n.type,
  title: n.title,
  body: n.body,
  data: n.data,
  readAt: n.readAt ? iso(n.readAt) : null,
  createdAt: iso(n.createdAt),
});

/** What an admin's audited actions say to the user they were done to. */
const ADMIN_ACTIONS: Record<string, string> = {
  'admin.user_approved': 'Your account was approved',
  'admin.user_disabled': 'Your account was disabled by an administrator',
  'admin.user_enabled': 'Your account was enabled again',
  'admin.role_changed': 'Your role was changed by an administrator',
  'ledger.adjusted': 'An administrator adjusted your balance',
  'risk.lock_cleared': 'An administrator lifted a trading lock',
};

export function createNotificationService(deps: { storage: Storage; clock: Clock; ids: Ids; logger: Logger; afterCommit(tx: Repositories, fn: () => void): void }): NotificationService {
  const { storage, clock, ids, logger, afterCommit } = deps;
  const listeners = new Set<NotificationListener>();

  function announce(n: Notification): void {
    for (const listener of listeners) {
      Promise.resolve()
        .then(() => listener(n))
        .catch((error: unknown) => logger.warn({ event: 'notifications.listener_failed', notificationId: n.id, error: error instanceof Error ? error.message : String(error) }, 'A notification listener failed'));
    }
  }

  function record(userId: string, input: NotificationInput): NotificationRecord {
    return { id: ids.next(), userId, type: input.type, title: input.title, body: input.body ?? null, data: input.data ?? null, readAt: null, createdAt: clock.now() };
  }

  async function notifyIn(tx: Repositories, userId: string, input: NotificationInput): Promise<void> {
    const n = record(userId, input);
    await tx.notifications.insert(n);
    if (listeners.size > 0) afterCommit(tx, () => announce(toView(n)));
  }

  return {
    async notify(userId, input) {
      const n = record(userId, input);
      await storage.repos.notifications.insert(n);
      const view = toView(n);
      announce(view);
      return view;
    },
    notifyIn,
    draft: record,
    committed(n) {
      if (listeners.size > 0) announce(toView(n));
    },
    async list(userId, filter = {}) {
      const limit = filter.limit ?? 50;
      const [page, unread] = await Promise.all([
        keysetPage(limit, (n) => storage.repos.notifications.list({ userId, unread: filter.unread, cursor: filter.cursor, limit: n }), toView),
        storage.repos.notifications.countUnread(userId),
      ]);
      return { notifications: page.items, nextCursor: page.nextCursor, unread };
    },
    async read(userId, id) {
      const n = await storage.repos.notifications.markRead(userId, id, clock.now());
      if (!n) throw new TradeplaneError('not_found', 'No such notification');
      return toView(n);
    },
    async readAll(userId) {
      return { updated: await storage.repos.notifications.markAllRead(userId, clock.now()) };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async fromAuditIn(tx, audit) {
      const title = ADMIN_ACTIONS[audit.action];
      if (!title || !audit.targetId) return;
      let userId: string | null = null;
      if (audit.targetType === 'user') userId = audit.targetId;
      else if (audit.targetType === 'account') userId = (await tx.accounts.findById(audit.targetId))?.userId ?? null;
      if (!userId || userId === audit.actorId) return;
      await notifyIn(tx, userId, { type: 'admin.action', title, data: { action: audit.action, ...(audit.details ?? {}) } });
    },
  };
}
