import { describe, expect, it } from 'vitest';
import { formatLsn, InvalidLsnError, lsnDiff, lsnReached, parseLsn } from './lsn';

describe('LSN arithmetic', () => {
  it('parses and formats both halves of the position', () => {
    expect(parseLsn('0/3000148')).toBe(0x3000148n);
    expect(parseLsn('1A/FF')).toBe((0x1an << 32n) | 0xffn);
    expect(formatLsn(parseLsn('1a/ff'))).toBe('1A/FF');
  });

  it('rejects text that is not an LSN', () => {
    expect(() => parseLsn('3000148')).toThrow(InvalidLsnError);
    expect(() => parseLsn('0/xyz')).toThrow(/expected hex/);
  });

  it('measures bytes between positions across the 32-bit boundary', () => {
    expect(lsnDiff('1/0', '0/FFFFFF00')).toBe(256);
    expect(lsnDiff('0/100', '0/200')).toBe(-256);
  });

  it('treats replay at or past the wanted position as reached', () => {
    expect(lsnReached('0/3000148', '0/3000148')).toBe(true);
    expect(lsnReached('0/3000150', '0/3000148')).toBe(true);
    expect(lsnReached('0/3000140', '0/3000148')).toBe(false);
  });

  it('accepts replay on a page boundary when only a page header separates it from the wanted position', () => {
    expect(lsnReached('0/3002000', '0/3002018')).toBe(true);
    expect(lsnReached('0/3002000', '0/3002030')).toBe(false);
    expect(lsnReached('0/3001FF8', '0/3002018')).toBe(false);
  });
});
