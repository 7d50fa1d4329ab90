/**
 * Ports: what the core needs from the outside world. The engine package implements the
 * storage port for SQLite and PostgreSQL; clock and ids are injected so tests are deterministic.
 */
import { randomBytes } from 'node:crypto';

export type * from "./storage.js";

/** Where "now" comes from. Inject a fixed or manual clock in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(date: Date): void;
  advance(ms: number): void;
}

export function manualClock(start: Date = new Date('2026-01-01T00:00:00.000Z')): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (date) => {
      current = date.getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** Generates ids for new rows. Ids are UUIDv7-style: sortable by creation time. */
export interface Ids {
  next(): string;
}

/**
 * 10 random bytes as hex, cut from a pool refilled 4 KiB at a time: one `randomBytes` call per
 * ~400 ids instead of one per id (ids are minted several times per request and per ledger entry).
 */
const RANDOM_POOL_BYTES = 4000;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
function randomHex(): string {
  if (randomOffset + 10 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + 10);
  randomOffset += 10;
  return hex;
}

/**
 * UUIDv7 (RFC 9562): 48-bit unix ms timestamp, version 7, 74 random bits. Within one ms the
 * random part is incremented so ids from one generator are strictly increasing.
 */
export function uuidV7Ids(clock: Clock = systemClock): Ids {
  let lastMs = -1;
  let lastRand = 0n;
  const RAND_BITS = 74n;
  const RAND_MAX = (1n << RAND_BITS) - 1n;
  return {
    next() {
      const ms = clock.now().getTime();
      let rand: bigint;
      if (ms === lastMs && lastRand < RAND_MAX) {
        rand = lastRand + 1n;
      } else {
        rand = BigInt('0x' + randomHex()) & RAND_MAX;
        // Leave headroom for increments inside the same millisecond.
        rand &= ~(1n << 73n);
      }
      lastMs = ms;
      lastRand = rand;
      const randA = (rand >> 62n) & 0xfffn; // 12 bits
      const randB = rand & ((1n << 62n) - 1n); // 62 bits
      const hex =
        BigInt(ms).toString(16).padStart(12, '0') +
        (0x7000n | randA).toString(16).padStart(4, '0') +
        ((0b10n << 62n) | randB).toString(16).padStart(16, '0');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}

/** Deterministic ids for tests: `prefix-000001`, `prefix-000002`, … (sortable). */
export function sequentialIds(prefix = 'id'): Ids {
  let n = 0;
  return { next: () => `${prefix}-${String(++n).padStart(6, '0')}` };
}

/** Where the core writes operational messages. Compatible with `console` and pino. */
export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const consoleLogger: Logger = {
  info: (obj, msg) => console.info(format(obj, msg)),
  warn: (obj, msg) => console.warn(format(obj, msg)),
  error: (obj, msg) => console.error(format(obj, msg)),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** One answered HTTP request, as the dispatcher saw it. */
export interface RequestObservation {
  requestId: string;
  /** The contract's route id (`wallet.get`); null when no route matched. */
  routeId: string | null;
  method: string;
  status: number;
  durationMs: number;
  /** The authenticated user, when there was one. */
  userId: string | null;
  ip: string | undefined;
}

/**
 * What operations watch (the engine feeds Prometheus metrics from it). Every method is optional
 * and is called after the fact: a committed ledger entry, a finished request. An observer must
 * not throw.
 */
export interface Observer {
  request?(observation: RequestObservation): void;
  login?(outcome: 'success' | 'failure' | 'blocked'): void;
  ledgerEntry?(kind: string): void;
  protectionEvent?(reason: string, source: 'risk' | 'ea'): void;
  /** A real-time client joined (+1) or left (−1) a channel (`ticks:*` channels count as `ticks`). */
  streamClients?(channel: string, delta: 1 | -1): void;
}

function format(obj: object | string, msg?: string): string {
  if (typeof obj === 'string') return `[tradeplane] ${obj}`;
  return `[tradeplane] ${msg ?? ''} ${JSON.stringify(obj, errorsAsObjects)}`.trim();
}

/** JSON.stringify drops an Error's own fields; logs need its name, message, stack and cause. */
function errorsAsObjects(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, ...(value.cause !== undefined ? { cause: value.cause } : {}) };
  }
  return typeof value === 'bigint' ? value.toString() : value;
}
