import { TradeplaneError, isTradeplaneError } from '../errors.js';
import { rateLimitGroup, type RateLimitGroup, type RouteDefinition } from '../contract/route.js';
import type { Clock } from '../ports/index.js';
import type { Caller } from './types.js';

export interface RateLimitRule {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
}

export type RateLimitRules = Record<Exclude<RateLimitGroup, 'none'>, RateLimitRule>;

/** Seed 004's table: auth 10/min, trades and orders 50/min, market 200/min, everyone else 1000/min. */
export const defaultRateLimits: RateLimitRules = {
  auth: { limit: 10, windowSeconds: 60 },
  trading: { limit: 50, windowSeconds: 60 },
  market: { limit: 200, windowSeconds: 60 },
  default: { limit: 1000, windowSeconds: 60 },
};

/**
 * Failed authentications (a bad access token, API key, license or refresh token) per client
 * address: past the limit they answer 429 instead of 401, so one address cannot try credentials
 * without end. Valid credentials from the same address are never refused for it.
 */
export const defaultFailedAuthLimit: RateLimitRule = { limit: 100, windowSeconds: 60 };

/** Where counters live: the database by default (shared by every instance), or your own store. */
export interface RateLimitStore {
  /** Counts one request in `key`'s window starting at `windowStart`; returns the count so far in that window. */
  hit(key: string, windowStart: Date): Promise<number>;
}

/** Who is counted: the user (or API key, or license) when authenticated, else the client address. */
export type RateLimitSubject = { userId: string; apiKeyId?: string; subscriptionId?: string } | { ip: string | undefined };

export interface RateLimiter {
  /**
   * Counts the request against its route's group. Returns the `RateLimit-*` headers to send;
   * throws `rate_limited` (429, with `Retry-After` and the same headers) past the limit.
   */
  check(route: RouteDefinition, subject: RateLimitSubject): Promise<Record<string, string>>;
  /** Counts a failed authentication from `ip`; throws `rate_limited` (429, `Retry-After`) past the limit. */
  failedAuthentication(ip: string | undefined): Promise<void>;
}

/**
 * The rate-limit stage's subject: requests are counted per API key, license or user when the
 * caller is known, else per address; before anything is parsed.
 */
export function rateLimitSubject(caller: Caller | undefined, ip: string | undefined): RateLimitSubject {
  return caller
    ? { userId: caller.userId, apiKeyId: caller.via === 'apiKey' ? caller.apiKeyId : undefined, subscriptionId: caller.via === 'license' ? caller.subscriptionId : undefined }
    : { ip };
}

/**
 * The errors the failed-authentication count applies to: a credential that does not verify
 * (access token, API key, license, refresh or ID token). The dispatcher counts them per
 * address with `RateLimiter.failedAuthentication`; past the limit the answer is 429, not 401.
 */
export function isFailedAuthentication(error: unknown): boolean {
  return isTradeplaneError(error) && error.code === 'invalid_token';
}

/**
 * Fixed windows aligned to the epoch (every instance agrees where a window starts), counted in
 * a shared store so limits hold across instances. Headers follow the IETF RateLimit fields:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds to the window's end)
 * and `RateLimit-Policy` (`<limit>;w=<seconds>`).
 */
export function createRateLimiter(deps: { store: RateLimitStore; clock: Clock; rules: RateLimitRules; failedAuth?: RateLimitRule }): RateLimiter {
  const { store, clock, rules } = deps;
  const failedAuth = deps.failedAuth ?? defaultFailedAuthLimit;
  /** The window `now` falls in, aligned to the epoch so every instance agrees where it starts. */
  const windowOf = (rule: RateLimitRule) => {
    const windowMs = rule.windowSeconds * 1000;
    const now = clock.now().getTime();
    const start = now - (now % windowMs);
    return { start, reset: Math.max(1, Math.ceil((start + windowMs - now) / 1000)) };
  };
  return {
    async failedAuthentication(ip) {
      const { start, reset } = windowOf(failedAuth);
      const count = await store.hit(`failed-auth:ip:${ip ?? 'unknown'}`, new Date(start));
      if (count > failedAuth.limit) {
        throw new TradeplaneError('rate_limited', `More than ${failedAuth.limit} failed authentications from this address in ${failedAuth.windowSeconds} s; try again in ${reset} s`, {
          headers: { 'retry-after': String(reset) },
        });
      }
    },
    async check(route, subject) {
      const group = rateLimitGroup(route);
      if (group === 'none') return {};
      const rule = rules[group];
      const { start: windowStart, reset } = windowOf(rule);
      const who = 'userId' in subject ? (subject.apiKeyId ? `key:${subject.apiKeyId}` : subject.subscriptionId ? `license:${subject.subscriptionId}` : `user:${subject.userId}`) : `ip:${subject.ip ?? 'unknown'}`;
      const count = await store.hit(`${group}:${who}`, new Date(windowStart));
      const headers = {
        'ratelimit-limit': String(rule.limit),
        'ratelimit-remaining': String(Math.max(0, rule.limit - count)),
        'ratelimit-reset': String(reset),
        'ratelimit-policy': `${rule.limit};w=${rule.windowSeconds}`,
      };
      if (count > rule.limit) {
        throw new TradeplaneError('rate_limited', `More than ${rule.limit} requests in ${rule.windowSeconds} s; try again in ${reset} s`, { headers: { ...headers, 'retry-after': String(reset) } });
      }
      return headers;
    },
  };
}

/**
 * Counters in this process's memory: right when one process serves the database (SQLite), and
 * far cheaper than a write per request. Several processes need the shared (database) store.
 * Windows older than the current one are dropped as keys come back, and swept every 10,000 hits.
 */
export function memoryRateLimitStore(): RateLimitStore {
  const windows = new Map<string, { start: number; count: number }>();
  let hits = 0;
  return {
    async hit(key, windowStart) {
      const start = windowStart.getTime();
      if (++hits % 10_000 === 0) for (const [k, w] of windows) if (w.start < start) windows.delete(k);
      const current = windows.get(key);
      if (current && current.start === start) return ++current.count;
      windows.set(key, { start, count: 1 });
      return 1;
    },
  };
}
