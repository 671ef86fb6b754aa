import { describe, expect, it } from 'vitest';
import { epochMillisToNanos, parseRfc3339Nanos } from './datetime';
import { parseDurationNanos } from './duration';
import { goFloat, goQuote } from './go-format';
import { matchesAnyPhrase, textTokens } from './text-match';

describe('parseRfc3339Nanos (Go time.RFC3339Nano)', () => {
  it.each([
    ['1970-01-01T00:00:00Z', 0n],
    ['1970-01-01T00:00:01.5Z', 1_500_000_000n],
    ['1970-01-01T01:00:00+01:00', 0n],
    ['1969-12-31T23:59:59.999999999Z', -1n],
    ['2024-02-29T12:00:00Z', BigInt(Date.parse('2024-02-29T12:00:00Z')) * 1_000_000n],
    ['0001-01-01T00:00:00Z', -62_135_596_800n * 1_000_000_000n],
    ['2024-01-01T1:02:03Z', BigInt(Date.parse('2024-01-01T01:02:03Z')) * 1_000_000n],
    ['1970-01-01T00:00:00,5Z', 500_000_000n],
    ['1970-01-01T00:00:00.1234567891Z', 123_456_789n],
  ])('%s', (text, nanos) => {
    expect(parseRfc3339Nanos(text)).toBe(nanos);
  });

  it.each([
    '2024-01-01',
    '2024-01-01T00:00:00',
    '2024-13-01T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-01-01T00:60:00Z',
    '2024-01-01T00:00:00+1:00',
  ])('rejects %s', (text) => {
    expect(parseRfc3339Nanos(text)).toBeUndefined();
  });

  it('keeps sub-millisecond parts of stored epoch milliseconds', () => {
    expect(epochMillisToNanos(1.25)).toBe(1_250_000n);
    expect(epochMillisToNanos(-1)).toBe(-1_000_000n);
  });
});

describe('parseDurationNanos (ExecutionDuration strings)', () => {
  it.each([
    ['42', 42n],
    ['-42', -42n],
    ['0', 0n],
    ['300ms', 300_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['2h45m', 9_900_000_000_000n],
    ['-1.5h', -5_400_000_000_000n],
    ['1µs', 1_000n],
    ['.5s', 500_000_000n],
    ['1d', 86_400_000_000_000n],
    ['1.5d', 129_600_000_000_000n],
    ['1d12h', 129_600_000_000_000n],
    ['01:02:03', 3_723_000_000_000n],
    ['100:00:00', 360_000_000_000_000n],
  ])('%s', (text, nanos) => {
    expect(parseDurationNanos(text)).toBe(nanos);
  });

  it.each(['', 'h', '1x', '1:60:00', '-1:00:00', '9999999999999999999h', '.s'])('rejects %j', (text) => {
    expect(parseDurationNanos(text)).toBeUndefined();
  });
});

describe('Go formatting used in messages', () => {
  it.each([
    [1.5, '1.5'],
    [1e20, '1e+20'],
    [100000, '100000'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.25, '-2.25'],
  ])('%%v of %d is %s', (value, text) => {
    expect(goFloat(value)).toBe(text);
  });

  it('quotes like %q', () => {
    expect(goQuote('a"b\n')).toBe('"a\\"b\\n"');
    expect(goQuote('\u0001')).toBe('"\\x01"');
  });
});

describe('text tokens (SQLite FTS5 unicode61, remove_diacritics 2)', () => {
  it('folds case and accents and splits on anything but letters and digits', () => {
    expect(textTokens('Crème Brûlée, x2-Y_z')).toEqual(['creme', 'brulee', 'x2', 'y', 'z']);
  });

  it('matches a phrase only as consecutive tokens', () => {
    const tokens = textTokens('a b c');
    expect(matchesAnyPhrase(tokens, [['b', 'c']])).toBe(true);
    expect(matchesAnyPhrase(tokens, [['a', 'c']])).toBe(false);
    expect(matchesAnyPhrase(tokens, [[]])).toBe(false);
  });
});
