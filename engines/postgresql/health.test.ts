import { describe, expect, it } from 'vitest';
import { lagSeconds } from './health';

describe('lag in seconds', () => {
  it('is zero when nothing is left to replay, however old the last transaction', () => {
    expect(lagSeconds(0, null, 3600)).toBe(0);
  });

  it("prefers the primary's measure, then the age of the last replayed transaction", () => {
    expect(lagSeconds(8192, 1.5, 3600)).toBe(1.5);
    expect(lagSeconds(8192, null, 12)).toBe(12);
    expect(lagSeconds(8192, null, null)).toBeNull();
  });
});
