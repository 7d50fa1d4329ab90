import { TradeplaneError } from '../errors.js';
import type { Clock } from '../ports/index.js';
import type { Repositories, Storage } from '../ports/storage.js';
import type { AuthOptions } from './options.js';

/**
 * Failed sign-in throttling per account and per client address (seed 003's limiter, made
 * shared): counters live in the database, so every instance sees the same state.
 *
 * A key's window starts at its first failure; `maxFailures` failures inside `windowSeconds`
 * block the key for `blockSeconds`, during which sign-in answers 429 with `Retry-After`
 * without checking the password — even the right one. A success clears the account's counter
 * but not the address's, so one valid account cannot be used to reset an address that is
 * guessing at others.
 */
export interface LoginThrottle {
  /** Throws `rate_limited` if any key is blocked. */
  assertAllowed(keys: string[]): Promise<void>;
  /** Counts a failure for each key, in the caller's transaction; returns the keys this failure blocked. */
  recordFailure(repos: Repositories, keys: string[]): Promise<string[]>;
  /** Clears the account's count, in the caller's transaction. */
  recordSuccess(repos: Repositories, accountKey: string): Promise<void>;
}

export function createLoginThrottle(storage: Storage, clock: Clock, options: AuthOptions['loginThrottle']): LoginThrottle {
  if (options === false) {
    return { assertAllowed: async () => {}, recordFailure: async () => [], recordSuccess: async () => {} };
  }
  const policy = { windowMs: options.windowSeconds * 1000, maxFailures: options.maxFailures, blockMs: options.blockSeconds * 1000 };
  return {
    async assertAllowed(keys) {
      const now = clock.now();
      const blocked = await storage.repos.loginThrottle.blocked(keys, now);
      if (blocked.length === 0) return;
      const until = Math.max(...blocked.map((b) => b.blockedUntil.getTime()));
      const retryAfter = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
      throw new TradeplaneError('rate_limited', `Too many failed sign-ins; try again in ${retryAfter} seconds`, {
        headers: { 'retry-after': String(retryAfter) },
      });
    },
    async recordFailure(repos, keys) {
      const now = clock.now();
      const newlyBlocked: string[] = [];
      for (const key of keys) {
        const state = await repos.loginThrottle.recordFailure(key, now, policy);
        if (state.failures === policy.maxFailures) newlyBlocked.push(key);
      }
      return newlyBlocked;
    },
    async recordSuccess(repos, accountKey) {
      await repos.loginThrottle.clear(accountKey);
    },
  };
}
