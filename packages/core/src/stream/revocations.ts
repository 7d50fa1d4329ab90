import type { Repositories, SessionsRepository, Storage, UsersRepository } from '../ports/storage.js';

/** Users and sessions whose credentials a committed write changed. */
export interface CredentialChange {
  /** Users whose sessions were all revoked, or whose status, role or token version changed. */
  users: string[];
  /** Sessions revoked one at a time. */
  sessions: string[];
}

/**
 * Watches the writes that end credentials — a session revoked (logout, refresh-token reuse, a
 * session deleted), every session of a user revoked, a user's status, role or token version
 * changed (password change, admin disable, role change) — and reports them once the
 * transaction that made them commits (at once for writes outside a transaction). Open
 * real-time connections are held to the same rules as requests this way, whichever service
 * made the change, without each one remembering to announce it.
 */
export function watchCredentialChanges(inner: Storage, onCommitted: (change: CredentialChange) => void): Storage {
  function watched(repos: Repositories, note: (kind: 'users' | 'sessions', id: string) => void): Repositories {
    // Wrappers inherit every other method from the original repository (plain objects of
    // functions), so only these writes pay for the watching.
    const sessions: SessionsRepository = Object.create(repos.sessions) as SessionsRepository;
    sessions.revoke = async (id, at) => {
      const done = await repos.sessions.revoke(id, at);
      if (done) note('sessions', id);
      return done;
    };
    sessions.revokeAllForUser = async (userId, at, exceptId) => {
      const count = await repos.sessions.revokeAllForUser(userId, at, exceptId);
      if (count > 0) note('users', userId);
      return count;
    };
    const users: UsersRepository = Object.create(repos.users) as UsersRepository;
    users.update = async (id, changes) => {
      const updated = await repos.users.update(id, changes);
      if (updated && (changes.bumpTokenVersion || changes.status !== undefined || changes.role !== undefined)) note('users', id);
      return updated;
    };
    const wrapped = Object.create(repos) as Repositories;
    Object.defineProperties(wrapped, { sessions: { value: sessions, enumerable: true }, users: { value: users, enumerable: true } });
    return wrapped;
  }

  const report = (users: Set<string>, sessions: Set<string>) => {
    if (users.size + sessions.size > 0) onCommitted({ users: [...users], sessions: [...sessions] });
  };
  // Outside a transaction each write is its own commit: reported as it completes.
  const direct = watched(inner.repos, (kind, id) => report(new Set(kind === 'users' ? [id] : []), new Set(kind === 'sessions' ? [id] : [])));

  return {
    get dialect() {
      return inner.dialect;
    },
    get repos() {
      return direct;
    },
    ping: () => inner.ping(),
    close: () => inner.close(),
    ...(inner.postMovement && { postMovement: (movement) => inner.postMovement!(movement) }),
    async transaction(fn) {
      let users = new Set<string>();
      let sessions = new Set<string>();
      const result = await inner.transaction((tx) => {
        // A retried transaction body starts afresh: only the attempt that commits counts.
        users = new Set();
        sessions = new Set();
        return fn(watched(tx, (kind, id) => (kind === 'users' ? users : sessions).add(id)));
      });
      report(users, sessions);
      return result;
    },
  };
}
