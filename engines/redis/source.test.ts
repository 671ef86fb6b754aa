import { describe, expect, it } from 'vitest';
import { dumpPayloadFormat, parseDatabase, rdbFormatOf } from './source';

describe('source helpers', () => {
  it('reads the RDB format from the tail of a DUMP payload', () => {
    // "\x00\x03abc" then format 10 (little-endian) and an 8-byte checksum.
    const payload = Buffer.concat([Buffer.from([0x00, 0x03, 0x61, 0x62, 0x63, 0x0a, 0x00]), Buffer.alloc(8, 0xee)]);
    expect(dumpPayloadFormat(payload)).toBe(10);
    expect(dumpPayloadFormat(Buffer.alloc(4))).toBeUndefined();
  });

  it('knows which RDB format each Redis release loads', () => {
    expect(rdbFormatOf('7.0.15')).toBe(10);
    expect(rdbFormatOf('7.2.4')).toBe(11);
    expect(rdbFormatOf('6.2.14')).toBe(9);
    expect(rdbFormatOf('8.0.0')).toBe(12);
    expect(rdbFormatOf('2.4.0')).toBeUndefined();
  });

  it('accepts database indexes 0 to 15 only', () => {
    expect(parseDatabase(undefined)).toBe(0);
    expect(parseDatabase('')).toBe(0);
    expect(parseDatabase(' 9 ')).toBe(9);
    expect(parseDatabase('16')).toBeUndefined();
    expect(parseDatabase('-1')).toBeUndefined();
    expect(parseDatabase('db1')).toBeUndefined();
  });
});
