import type { Repositories, Storage } from './ports/storage.js';

/**
 * Runs work after a transaction commits: events must not announce what a rollback undoes.
 * `storage` is the given storage whose `transaction` tracks its transactions; `afterCommit(tx, fn)`
 * queues `fn` until `tx` commits (and drops it on rollback), or runs it at once for the
 * non-transactional `storage.repos`.
 */
export function withCommitHooks(inner: Storage, onError: (error: unknown) => void = () => {}): { storage: Storage; afterCommit(tx: Repositories, fn: () => void): void } {
  const pending = new WeakMap<Repositories, (() => void)[]>();
  const storage: Storage = {
    get dialect() {
      return inner.dialect;
    },
    get repos() {
      return inner.repos;
    },
    ping: () => inner.ping(),
    close: () => inner.close(),
    // Posted whole in a statement of its own: its caller queues its after-commit work on `repos`, which runs it at once.
    ...(inner.postMovement && { postMovement: (movement) => inner.postMovement!(movement) }),
    async transaction(fn) {
      let queued: (() => void)[] = [];
      const result = await inner.transaction((tx) => {
        // A retried transaction body starts with a fresh queue.
        queued = [];
        pending.set(tx, queued);
        return fn(tx);
      });
      // The transaction has committed: a failing announcement must not turn its success into an error.
      for (const run of queued) {
        try {
          run();
        } catch (error) {
          onError(error);
        }
      }
      return result;
    },
  };
  return {
    storage,
    afterCommit(tx, fn) {
      const queue = pending.get(tx);
      if (queue) queue.push(fn);
      else {
        try {
          fn();
        } catch (error) {
          onError(error);
        }
      }
    },
  };
}
