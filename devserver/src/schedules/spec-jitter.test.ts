import { describe, expect, it } from 'vitest';
import { farmFingerprint32, jitterMs } from './spec-jitter';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('farmFingerprint32', () => {
  // Published FarmHash Fingerprint32 values, one or more for each length class the hash treats differently.
  it.each([
    ['', 0xdc56d17a],
    ['a', 0x3c973d4d],
    ['abcd', 0x98b51e95],
    ['abcde', 0xa3f366ac],
    ['0123456789 ', 0xca179ba9],
    ['0123456789~01', 0x0d92cafb],
    ['0123456789$0123456789!0', 0xfa88d020],
    ['size:  a.out:  bad magic', 0xc6246b8d],
    ["Nepal premier won't resign.", 0x322984d9],
    ['Discard medicine more than two years old.', 0xe273108f],
    ['The major problem is with sendmail.  -Mark Horton', 0xd225e92e],
  ])('%j', (text, expected) => {
    expect(farmFingerprint32(bytes(text))).toBe(expected);
  });

  it('reads bytes above 127 as signed in short inputs', () => {
    expect(farmFingerprint32(bytes('£'))).toBe(farmFingerprint32(new Uint8Array([0xc2, 0xa3])));
    expect(farmFingerprint32(new Uint8Array([0xff]))).not.toBe(farmFingerprint32(new Uint8Array([0x7f])));
  });
});

describe('jitterMs', () => {
  const nominal = Date.parse('2022-03-24T00:00:00Z') / 1000;

  it('is 0 when there is no room for jitter', () => {
    expect(jitterMs('seed', nominal, 0)).toBe(0);
    expect(jitterMs('seed', nominal, -5)).toBe(0);
  });

  it('scales the same hash onto the allowed range', () => {
    // Server test TestSpecJitterSeed: seed "" with 1h gives 35m24.276s.
    expect(jitterMs('', nominal, 3_600_000)).toBe(2_124_276);
    expect(jitterMs('', nominal, 1_800_000)).toBe(1_062_138);
  });

  it('caps the range at 2^32-1 ms (about 49 days) as the server does', () => {
    expect(jitterMs('', nominal, 100 * 86_400_000)).toBe(jitterMs('', nominal, 0xffffffff));
  });
});
