import { describe, expect, it } from 'vitest';
import { allowanceRatio, table } from './report';

describe('promotion benchmark report', () => {
  it('compares the median downtime with the seeds’ 2-minute allowance', () => {
    expect(allowanceRatio(600)).toBe('downtime median 0.60 s = 200× under 120 s');
    expect(allowanceRatio(40_000)).toBe('downtime median 40.00 s = 3.0× under 120 s');
    expect(allowanceRatio(240_000)).toBe('downtime median 240.00 s = 2.0× over 120 s');
  });

  it('aligns table columns to their widest cell', () => {
    expect(table(['a', 'bb'], [['xxx', 'y']])).toBe('a    bb\nxxx  y');
  });
});
