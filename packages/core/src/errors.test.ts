import { describe, expect, it } from 'vitest';
import { TradeplaneError, errorCatalog, isTradeplaneError, toProblem } from './errors.js';

describe('errors', () => {
  it('maps every code to a problem body with its status and a URN type', () => {
    for (const [code, entry] of Object.entries(errorCatalog)) {
      const { status, body } = toProblem(new TradeplaneError(code as keyof typeof errorCatalog), 'req-1');
      expect(status).toBe(entry.status);
      expect(body).toMatchObject({ status: entry.status, title: entry.title, code, type: `urn:tradeplane:problem:${code}`, request_id: 'req-1' });
    }
  });

  it('recognises errors thrown by another copy of the package (ESM next to CJS)', () => {
    // What a TradeplaneError from a second copy looks like: same brand, different class.
    const foreign = Object.assign(new Error('too big'), { [Symbol.for('tradeplane.error')]: true, code: 'payload_too_large', detail: 'too big' });
    expect(foreign instanceof TradeplaneError).toBe(false);
    expect(isTradeplaneError(foreign)).toBe(true);
    expect(toProblem(foreign).status).toBe(413);
    expect(isTradeplaneError(Object.assign(new Error('x'), { code: 'payload_too_large' }))).toBe(false);
  });

  it('hides anything unexpected behind a bare 500', () => {
    const { status, body } = toProblem(new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2'));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|hunter2/);
  });
});
