import { describe, expect, it } from 'vitest';
import { BenchUsageError } from './errors';
import { DEFAULT_OPTIONS, parseOptions } from './options';

describe('parseOptions', () => {
  it('defaults to 2000 measured workflows, 200 in flight', () => {
    expect(parseOptions([])).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS).toMatchObject({ workflows: 2000, concurrency: 200 });
  });

  it('takes values as the next argument or after =', () => {
    expect(parseOptions(['--workflows', '500', '--concurrency=50', '--warmup', '0', '--startups=3'])).toEqual({
      workflows: 500,
      concurrency: 50,
      warmup: 0,
      startups: 3,
    });
  });

  it('names the flag and the bad value', () => {
    expect(() => parseOptions(['--workflows', '0'])).toThrow(/--workflows needs a whole number ≥ 1, got "0"/);
    expect(() => parseOptions(['--concurrency', '1.5'])).toThrow(BenchUsageError);
    expect(() => parseOptions(['--warmup'])).toThrow(/got ""/);
    expect(() => parseOptions(['--workers', '2'])).toThrow(/unknown flag "--workers"; usage:/);
  });
});
