import { TradeplaneError } from '../errors.js';
import type { Clock } from '../ports/index.js';
import type { Repositories, Storage } from '../ports/storage.js';
import type { AuthOptions } from './options.js';

/** One sign-in attempt: the account tried (`user:<id>`, or `login:<identifier>` when unknown) and where from. */
export interface SignInAttempt {
  account: string;
  /** The client address; unknown for in-process calls, which then count per account only. */
  address?: string;
}

/** What `check` learnt, which decides how a failure of this attempt is counted. */
export interface AttemptState {
  /** The address has failed too often across accounts: one wrong try per account from it. */
  suspectAddress: boolean;
}

/** Which counter a failure pushed past its limit (named in the `auth.lockout` audit record). */
export type ThrottleKind = 'pair' | 'address' | 'account' | 'global';

/**
 * Failed sign-in throttling, shared by every instance through the database. Failures are
 * counted four ways, so that throttling cannot be turned against the people it protects:
 *
 * - per (account, address): `maxFailures` inside `windowSeconds` refuse that pair for
 *   `blockSeconds` without checking the password. Only that pair: the owner elsewhere is not
 *   refused, and nobody else behind the address is.
 * - per address: past its limit the address is suspect, and each account gets one wrong try
 *   from it instead of `maxFailures`. Right passwords from it still sign in: behind a proxy or
 *   a NAT, one guesser must not shut out everyone who shares the address.
 * - per account, across addresses (distributed guessing): after `freeFailures`, each failure
 *   makes the account wait 1, 2, 4 … seconds (at most `maxDelaySeconds`) before its next try.
 *   The wait is short, so a handful of requests cannot lock the owner out for minutes, and it
 *   does not apply from an address where the account signed in recently.
 * - globally (password spraying: many accounts, few tries each, rotating addresses): past its
 *   limit, only remembered (account, address) pairs may try until the window has passed.
 *
 * A success clears its pair's count only. It does not reset the account's count, or an owner
 * signing in would hand a distributed guesser a fresh allowance.
 *
 * Remembered pairs reuse the counters' table: a pair's "block" that the repository reports
 * until it expires is exactly "signed in from here until then", so no new table is needed.
 */
export interface LoginThrottle {
  /** Throws `rate_limited` (429, `Retry-After`) when the attempt may not be checked now. */
  check(attempt: SignInAttempt): Promise<AttemptState>;
  /** Counts a failure, in the caller's transaction; returns the counters it pushed past their limit. */
  recordFailure(repos: Repositories, attempt: SignInAttempt, state: AttemptState): Promise<ThrottleKind[]>;
  /** Clears the pair's count and remembers the pair, in the caller's transaction. */
  recordSuccess(repos: Repositories, attempt: SignInAttempt): Promise<void>;
  /** Forgets counters that can no longer refuse or count toward anything (every window over, no block in force). */
  purgeStale(): Promise<number>;
}

/** The repository's "never block" threshold (an int4 on PostgreSQL). */
const NEVER = 2_147_483_647;

export function createLoginThrottle(storage: Storage, clock: Clock, options: AuthOptions['loginThrottle']): LoginThrottle {
  if (options === false) {
    return { check: async () => ({ suspectAddress: false }), recordFailure: async () => [], recordSuccess: async () => {}, purgeStale: async () => 0 };
  }
  const pairPolicy = { windowMs: options.windowSeconds * 1000, maxFailures: options.maxFailures, blockMs: options.blockSeconds * 1000 };
  const addressPolicy = { windowMs: options.address.windowSeconds * 1000, maxFailures: options.address.maxFailures, blockMs: options.address.blockSeconds * 1000 };
  const accountPolicy = { windowMs: options.account.windowSeconds * 1000, maxFailures: NEVER, blockMs: 0 };
  const global = options.global;
  const globalPolicy = global && { windowMs: global.windowSeconds * 1000, maxFailures: global.maxFailures, blockMs: global.windowSeconds * 1000 };
  const rememberMs = options.rememberAddressSeconds * 1000;

  const keys = ({ account, address }: SignInAttempt) => ({
    pair: `pair:${account}|${address ?? '-'}`,
    address: address === undefined ? undefined : `ip:${address}`,
    account: `acct:${account}`,
    wait: `wait:${account}`,
    known: address === undefined ? undefined : `known:${account}|${address}`,
  });
  /** Sets `key`'s block to end `ms` from now: a one-failure window that blocks at once. */
  const blockFor = (repos: Repositories, key: string, now: Date, ms: number) => repos.loginThrottle.recordFailure(key, now, { windowMs: 0, maxFailures: 1, blockMs: ms });

  return {
    async check(attempt) {
      const now = clock.now();
      const k = keys(attempt);
      const asked = [k.pair, k.wait, ...(globalPolicy ? ['global'] : []), ...(k.address ? [k.address] : []), ...(k.known ? [k.known] : [])];
      const until = new Map((await storage.repos.loginThrottle.blocked(asked, now)).map((b) => [b.key, b.blockedUntil.getTime()]));
      const remembered = k.known !== undefined && until.has(k.known);
      // A remembered pair skips the account's cool-down and the global budget, never its own block.
      const refusing = [k.pair, ...(remembered ? [] : [k.wait, 'global'])].filter((key) => until.has(key));
      if (refusing.length > 0) {
        const retryAfter = Math.max(1, Math.ceil((Math.max(...refusing.map((key) => until.get(key)!)) - now.getTime()) / 1000));
        throw new TradeplaneError('rate_limited', `Too many failed sign-ins; try again in ${retryAfter} seconds`, {
          headers: { 'retry-after': String(retryAfter) },
        });
      }
      return { suspectAddress: k.address !== undefined && until.has(k.address) };
    },

    async recordFailure(repos, attempt, state) {
      const now = clock.now();
      const k = keys(attempt);
      const pushed: ThrottleKind[] = [];
      // `check` found the pair unblocked, so a block now is this failure's doing.
      const pair = await repos.loginThrottle.recordFailure(k.pair, now, state.suspectAddress ? { ...pairPolicy, maxFailures: 1 } : pairPolicy);
      if (pair.blockedUntil && pair.blockedUntil.getTime() > now.getTime()) pushed.push('pair');
      if (k.address) {
        const address = await repos.loginThrottle.recordFailure(k.address, now, addressPolicy);
        if (!state.suspectAddress && address.failures === addressPolicy.maxFailures) pushed.push('address');
      }
      const { failures } = await repos.loginThrottle.recordFailure(k.account, now, accountPolicy);
      const over = failures - options.account.freeFailures;
      if (over > 0) {
        const waitSeconds = Math.min(options.account.maxDelaySeconds, 2 ** Math.min(over - 1, 30));
        await blockFor(repos, k.wait, now, waitSeconds * 1000);
        if (over === 1) pushed.push('account');
      }
      if (globalPolicy) {
        const all = await repos.loginThrottle.recordFailure('global', now, globalPolicy);
        if (all.failures === globalPolicy.maxFailures) pushed.push('global');
      }
      return pushed;
    },

    async recordSuccess(repos, attempt) {
      const k = keys(attempt);
      await repos.loginThrottle.clear(k.pair);
      if (k.known && rememberMs > 0) await blockFor(repos, k.known, clock.now(), rememberMs);
    },

    async purgeStale() {
      const now = clock.now();
      // A counter whose window began before the longest window counts nothing any more.
      const longest = Math.max(pairPolicy.windowMs, addressPolicy.windowMs, accountPolicy.windowMs, globalPolicy ? globalPolicy.windowMs : 0);
      return storage.repos.loginThrottle.purge(new Date(now.getTime() - longest), now);
    },
  };
}
