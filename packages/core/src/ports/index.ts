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
 * Random words cut from a pool refilled 4 KiB at a time: one `randomBytes` call per ~300 ids
 * instead of one per id (ids are minted several times per request and per ledger entry).
 */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
function random32(): number {
  if (randomOffset + 4 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  const word = randomPool.readUInt32BE(randomOffset);
  randomOffset += 4;
  return word;
}

const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0');

/**
 * UUIDv7 (RFC 9562): 48-bit unix ms timestamp, version 7, 74 random bits. Within one ms the
 * random part is incremented so ids from one generator are strictly increasing.
 *
 * The 74 bits are kept as three numbers — `a` (12 bits, after the version nibble), `b` (30) and
 * `c` (32) — rather than one bigint: minting an id is on every request's path. `random` (unsigned
 * 32-bit words) is replaceable for tests.
 */
export function uuidV7Ids(clock: Clock = systemClock, random: () => number = random32): Ids {
  let lastMs = -1;
  let a = 0;
  let b = 0;
  let c = 0;
  /** The id up to `c`, rebuilt only when the time, `a` or `b` change. */
  let head = '';
  const rebuild = () => {
    const time = hex(lastMs, 12);
    // The last 64 bits: the variant bits 10, then b (30 bits), then c (32 bits).
    const variantAndB = hex((0x80000000 | b) >>> 0, 8);
    head = `${time.slice(0, 8)}-${time.slice(8)}-7${hex(a, 3)}-${variantAndB.slice(0, 4)}-${variantAndB.slice(4)}`;
  };
  return {
    next() {
      const ms = clock.now().getTime();
      if (ms === lastMs) {
        // Increment with carry; the cleared top bit of `a` leaves 2^73 steps of headroom.
        c = (c + 1) >>> 0;
        if (c === 0) {
          b = (b + 1) & 0x3fffffff;
          if (b === 0) a++;
          rebuild();
        }
      } else {
        a = (random() >>> 20) & 0x7ff; // 12 bits, the top one cleared for headroom
        b = random() & 0x3fffffff;
        c = random() >>> 0;
        lastMs = ms;
        rebuild();
      }
      return head + hex(c, 8);
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
