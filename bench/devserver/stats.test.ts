import { describe, expect, it } from 'vitest';
import { median, percentile } from './stats';

describe('percentile (nearest rank)', () => {
  const samples = [5, 1, 4, 2, 3];

  it('returns observed values: the median of five is the third smallest', () => {
    expect(median(samples)).toBe(3);
    expect(percentile(samples, 1)).toBe(5);
    expect(percentile(samples, 0.2)).toBe(1);
  });

  it('p99 of 2000 samples is the 1980th smallest', () => {
    const many = Array.from({ length: 2000 }, (_, i) => 2000 - i);
    expect(percentile(many, 0.99)).toBe(1980);
    expect(percentile(many, 0.5)).toBe(1000);
  });

  it('does not reorder the caller’s array', () => {
    const copy = [...samples];
    percentile(samples, 0.5);
    expect(samples).toEqual(copy);
  });

  it('refuses empty samples and quantiles outside (0, 1]', () => {
    expect(() => percentile([], 0.5)).toThrow(RangeError);
    expect(() => percentile(samples, 0)).toThrow(RangeError);
    expect(() => percentile(samples, 1.5)).toThrow(RangeError);
  });
});
