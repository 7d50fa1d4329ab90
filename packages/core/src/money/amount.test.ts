import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_MINOR_UNITS, createCurrencyRegistry, type Currency } from './currency.js';
import { formatAmount, parseAmount, parseFormatted } from './amount.js';

const registry = createCurrencyRegistry([
  { code: 'BTC', exponent: 8 },
  { code: 'WEI', exponent: 18 },
]);
const currency = (code: string) => registry.get(code)!;

describe('amounts', () => {
  it.each([
    ['JPY', 0, '1500', 1500n, '1500'],
    ['USD', 2, '100.5', 10050n, '100.50'],
    ['USD', 2, '0.01', 1n, '0.01'],
    ['KWD', 3, '1.234', 1234n, '1.234'],
    ['BTC', 8, '0.00000001', 1n, '0.00000001'],
    ['WEI', 18, '1.000000000000000001', 1_000_000_000_000_000_001n, '1.000000000000000001'],
    // Beyond 2^53: exact, where a float would not be.
    ['USD', 2, '90071992547409.93', 9_007_199_254_740_993n, '90071992547409.93'],
    ['JPY', 0, '9223372036854775807', MAX_MINOR_UNITS, '9223372036854775807'],
  ])('%s (exponent %i): "%s" is %s minor units, written back as "%s"', (code, exponent, text, minor, written) => {
    expect(currency(code).exponent).toBe(exponent);
    expect(parseAmount(text, currency(code))).toEqual({ ok: true, minor });
    expect(formatAmount(minor, currency(code))).toBe(written);
  });

  it.each([
    ['100.505', 'USD', 'too_many_decimals'],
    ['1.5', 'JPY', 'too_many_decimals'],
    ['-1.00', 'USD', 'not_a_decimal'],
    ['0', 'USD', 'not_positive'],
    ['0.00', 'USD', 'not_positive'],
    ['1e3', 'USD', 'not_a_decimal'],
    ['1E-2', 'USD', 'not_a_decimal'],
    [' 1.00', 'USD', 'not_a_decimal'],
    ['01.00', 'USD', 'not_a_decimal'],
    ['1.', 'USD', 'not_a_decimal'],
    ['.5', 'USD', 'not_a_decimal'],
    ['+1', 'USD', 'not_a_decimal'],
    ['1,00', 'USD', 'not_a_decimal'],
    ['NaN', 'USD', 'not_a_decimal'],
    ['Infinity', 'USD', 'not_a_decimal'],
    ['0x10', 'USD', 'not_a_decimal'],
    ['', 'USD', 'not_a_decimal'],
    ['9223372036854775808', 'JPY', 'too_large'],
    ['92233720368547758.08', 'USD', 'too_large'],
    ['10', 'WEI', 'too_large'], // 10 × 10^18 minor units exceeds 2^63 − 1
  ])('refuses "%s" in %s as %s', (text, code, problem) => {
    expect(parseAmount(text, currency(code))).toMatchObject({ ok: false, problem });
  });

  it('round-trips every representable amount at every exponent', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: MAX_MINOR_UNITS }), fc.integer({ min: 0, max: 18 }), (minor, exponent) => {
        const c: Currency = { code: 'TST', exponent };
        const text = formatAmount(minor, c);
        expect(parseAmount(text, c)).toEqual({ ok: true, minor });
      }),
      { numRuns: 2000 },
    );
  });

  it('formats negative balances and zero', () => {
    expect(formatAmount(-5n, currency('USD'))).toBe('-0.05');
    expect(formatAmount(0n, currency('USD'))).toBe('0.00');
    expect(formatAmount(0n, currency('JPY'))).toBe('0');
  });

  it('knows ISO 4217 exponents and refuses bad configuration', () => {
    expect(registry.get('EUR')).toEqual({ code: 'EUR', exponent: 2 });
    expect(registry.get('XXX')).toBeUndefined();
    expect(() => createCurrencyRegistry([{ code: 'BAD', exponent: 19 }])).toThrow(/0 to 18/);
    expect(() => createCurrencyRegistry([{ code: 'b', exponent: 2 }])).toThrow(/upper-case/);
  });
});

describe('parseFormatted', () => {
  it('reads back every formatted amount, signs and zero included', () => {
    for (const c of [currency('USD'), currency('JPY')]) {
      for (const minor of [0n, 1n, -1n, 12345n, -12345n, 9_007_199_254_740_993n]) expect(parseFormatted(formatAmount(minor, c), c)).toBe(minor);
    }
  });
  it('refuses text formatAmount would not write', () => {
    expect(() => parseFormatted('1.5', currency('USD'))).toThrow();
    expect(() => parseFormatted('+1.50', currency('USD'))).toThrow();
    expect(() => parseFormatted('1.50', currency('JPY'))).toThrow();
  });
});
