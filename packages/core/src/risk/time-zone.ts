import { TradeplaneError } from '../errors.js';

/**
 * Calendar-day boundaries in an IANA time zone, from Intl alone (no tz database of our own).
 * Risk limits such as "max daily loss" reset at local midnight in the user's zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True if `timeZone` is an IANA zone this runtime knows (e.g. `Europe/London`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function requireTimeZone(timeZone: string): string {
  if (!isTimeZone(timeZone)) {
    throw new TradeplaneError('validation_failed', `Unknown time zone "${timeZone}"`, {
      fields: [{ in: 'body', path: 'timeZone', code: 'invalid_time_zone', message: 'must be an IANA time zone such as Europe/London' }],
    });
  }
  return timeZone;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at `instant`, in ms (local = UTC + offset). */
function offsetAt(instant: number, timeZone: string): number {
  const t = localTime(instant, timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The first instant of local calendar day (y, m, d): midnight, or the first time after it if a DST jump skips midnight. */
function startOfLocalDay(year: number, month: number, day: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes settle the offset even when it differs between UTC midnight and local midnight.
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  const t = localTime(guess, timeZone);
  const sameDay = t.year === year && t.month === month && t.day === day;
  if (!sameDay) {
    // Local midnight does not exist (clocks jumped past it): the day starts at the jump, which
    // lies within an hour or two after the guess. Step forward to the first instant on the day.
    let probe = Math.floor(guess / 60_000) * 60_000;
    for (let i = 0; i < 4 * 60; i++) {
      probe += 60_000;
      const p = localTime(probe, timeZone);
      if (p.year === year && p.month === month && p.day === day) return new Date(probe - p.second * 1000);
    }
  }
  return new Date(guess);
}

/** The start of the local calendar day containing `instant`. */
export function startOfDay(instant: Date, timeZone: string): Date {
  const t = localTime(instant.getTime(), timeZone);
  return startOfLocalDay(t.year, t.month, t.day, timeZone);
}

/** The start of the next local calendar day after the one containing `instant`. */
export function nextMidnight(instant: Date, timeZone: string): Date {
  const t = localTime(instant.getTime(), timeZone);
  const next = new Date(Date.UTC(t.year, t.month - 1, t.day + 1));
  return startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
}
