import { describe, expect, it } from 'vitest';
import { median, summarize } from './stats';

describe('promotion benchmark statistics', () => {
  it('takes the middle sample of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([7])).toBe(7);
  });

  it('averages the two middle samples of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('summarizes median, min and max without reordering the input', () => {
    const samples = [300, 120, 950, 410, 280];
    expect(summarize(samples)).toEqual({ median: 300, min: 120, max: 950 });
    expect(samples).toEqual([300, 120, 950, 410, 280]);
  });

  it('refuses no samples', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => summarize([])).toThrow(RangeError);
  });
});
