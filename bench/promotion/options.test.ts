import { describe, expect, it } from 'vitest';
import { BenchUsageError } from './errors';
import { DEFAULT_OPTIONS, parseOptions } from './options';

describe('promotion benchmark options', () => {
  it('defaults to every engine, 5 rounds', () => {
    expect(parseOptions([])).toEqual({ engines: ['postgresql', 'mysql', 'redis'], rounds: 5 });
    expect(DEFAULT_OPTIONS.rounds).toBe(5);
  });

  it('takes engines and rounds as separate or inline values', () => {
    expect(parseOptions(['--engines', 'redis,postgresql', '--rounds', '3'])).toEqual({
      engines: ['redis', 'postgresql'],
      rounds: 3,
    });
    expect(parseOptions(['--engines=mysql', '--rounds=1'])).toEqual({ engines: ['mysql'], rounds: 1 });
  });

  it('answers --help with no options', () => {
    expect(parseOptions(['--help'])).toBeUndefined();
  });

  it.each([
    [['--rounds', '0'], /--rounds needs a whole number from 1 to 100, got "0"/],
    [['--rounds', '2.5'], /whole number/],
    [['--rounds', '101'], /from 1 to 100/],
    [['--rounds'], /--rounds needs a value/],
    [['--rounds', '--engines', 'redis'], /--rounds needs a value/],
    [['--engines', ''], /--engines needs a value/],
    [['--engines', 'mariadb'], /unknown engine "mariadb" \(MariaDB runs as engine "mysql"\)/],
    [['--engines', 'redis,,mysql'], /unknown engine ""/],
    [['--engines', 'redis,redis'], /redis is listed twice/],
    [['--rounds', '2', '--rounds', '3'], /--rounds given twice/],
    [['--round', '2'], /unknown flag "--round"/],
    [['redis'], /unknown flag "redis"/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(BenchUsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
