import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleLogger, manualClock, uuidV7Ids } from './index.js';

afterEach(() => vi.restoreAllMocks());

describe('uuidV7Ids', () => {
  it('makes RFC 9562 version-7 ids that sort by creation, even within one millisecond', () => {
    const clock = manualClock(new Date('2026-05-01T00:00:00.000Z'));
    const ids = uuidV7Ids(clock);
    const made: string[] = [];
    for (let i = 0; i < 1000; i++) {
      made.push(ids.next());
      if (i % 100 === 0) clock.advance(1);
    }
    for (const id of made) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    // The first 48 bits are the unix time in ms.
    expect(parseInt(made[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.parse('2026-05-01T00:00:00.000Z'));
  });
});

describe('consoleLogger', () => {
  it('logs an error with its message and stack rather than {}', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    consoleLogger.error({ err: new Error('disk full') }, 'request failed');
    const line = String(spy.mock.calls[0]?.[0]);
    expect(line).toContain('request failed');
    expect(line).toContain('disk full');
    expect(line).toContain('"stack"');
  });
});

describe('uuidV7Ids within one millisecond', () => {
  it('keeps increasing across a million ids, through the carries of its random counter', () => {
    const ids = uuidV7Ids(manualClock(new Date('2026-05-01T00:00:00.000Z')));
    let previous = ids.next();
    for (let i = 0; i < 1_000_000; i++) {
      const id = ids.next();
      if (!(id > previous) || !/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) {
        throw new Error(`id ${i}: ${id} after ${previous}`);
      }
      previous = id;
    }
  });

  it('carries from the low random word into the higher ones', () => {
    // Random words all ones: the first id sits just below both carries.
    const ids = uuidV7Ids(manualClock(new Date('2026-05-01T00:00:00.000Z')), () => 0xffffffff);
    const [first, second, third] = [ids.next(), ids.next(), ids.next()];
    expect(first.slice(14)).toBe('77ff-bfff-ffffffffffff');
    expect(second.slice(14)).toBe('7800-8000-000000000000');
    expect(third > second && second > first).toBe(true);
  });
});
