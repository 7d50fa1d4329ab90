import { availableParallelism } from 'node:os';
import { TradeplaneError } from '../errors.js';
import type { PasswordHasher } from './passwords.js';

/** How much argon2 work may run at once, and how long the rest may wait for a turn. */
export interface HashingLimit {
  /** Hashes and verifications running at once (default: the cores less one, at least one). */
  concurrency?: number;
  /** Operations waiting for a turn; more are refused at once (503). */
  maxQueued: number;
  /** How long an operation may wait for a turn before it is refused (503), in milliseconds. */
  maxWaitMs: number;
}

/**
 * The default concurrency: the cores less one, and the libuv thread pool less one, at least one.
 * A core is left to the event loop, which answers every other request; a pool thread is left to
 * the rest of the pool's work — argon2 runs there, and so do WebCrypto's signature checks
 * (access tokens), file system calls and DNS lookups, which would otherwise queue behind every
 * waiting hash. Raise `UV_THREADPOOL_SIZE` (default 4) to let more hashes run on a large machine.
 */
export function defaultHashingConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(availableParallelism() - 1, pool - 1));
}

/**
 * Bounds the password hasher's work. Argon2id is memory- and CPU-hard by design; fifty sign-ins
 * at once would take every core from every other request (health checks, wallets). At most
 * `concurrency` operations run at once, the rest wait in arrival order for at most `maxWaitMs`,
 * and past `maxQueued` waiting (or once the wait runs out) an operation is refused with 503
 * `service_unavailable` and `Retry-After`, before any password is checked — so a refused
 * sign-in counts as no attempt at all.
 *
 * `needsRehash` inspects a string and is never queued.
 */
export function limitHashing(hasher: PasswordHasher, limit: HashingLimit): PasswordHasher {
  const concurrency = limit.concurrency ?? defaultHashingConcurrency();
  let running = 0;
  const queue: { start: () => void }[] = [];

  const busy = () =>
    new TradeplaneError('service_unavailable', 'Too many passwords are being checked right now; try again in a moment', {
      headers: { 'retry-after': '1' },
    });

  /** Resolves when `work` may start; its release must be called exactly once afterwards. */
  function turn(): Promise<void> {
    if (running < concurrency) {
      running += 1;
      return Promise.resolve();
    }
    if (queue.length >= limit.maxQueued) return Promise.reject(busy());
    return new Promise<void>((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(timer);
          running += 1;
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const at = queue.indexOf(entry);
        if (at >= 0) queue.splice(at, 1);
        reject(busy());
      }, limit.maxWaitMs);
      timer.unref?.();
      queue.push(entry);
    });
  }

  function release(): void {
    running -= 1;
    queue.shift()?.start();
  }

  async function bounded<T>(work: () => Promise<T>): Promise<T> {
    await turn();
    try {
      return await work();
    } finally {
      release();
    }
  }

  return {
    hash: (password) => bounded(() => hasher.hash(password)),
    verify: (storedHash, password) => bounded(() => hasher.verify(storedHash, password)),
    verifyDummy: (password) => bounded(() => hasher.verifyDummy(password)),
    needsRehash: (storedHash) => hasher.needsRehash(storedHash),
  };
}
