import { describe, expect, it } from 'vitest';

import { InvalidAddressError } from '../engines/errors';
import { compileAllowlist, isAllowed, parseAllowlist } from './allowlist';

function rejection(entry: string): string {
  try {
    parseAllowlist(['10.0.0.1', entry]);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAddressError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(entry)} was accepted`);
}

describe('parseAllowlist', () => {
  it('turns bare addresses into host ranges', () => {
    expect(parseAllowlist(['127.0.0.2', '::1', '2001:db8::7'])).toEqual(['127.0.0.2/32', '::1/128', '2001:db8::7/128']);
  });

  it('clears host bits', () => {
    expect(parseAllowlist(['203.0.113.7/24', '10.1.2.3/8', '2001:db8::ff/64', '192.168.1.129/25'])).toEqual([
      '203.0.113.0/24',
      '10.0.0.0/8',
      '2001:db8::/64',
      '192.168.1.128/25',
    ]);
  });

  it('accepts the edge prefixes /0, /32 and /128', () => {
    expect(parseAllowlist(['1.2.3.4/0', '1.2.3.4/32', '::1/0', '::1/128'])).toEqual([
      '0.0.0.0/0',
      '1.2.3.4/32',
      '::/0',
      '::1/128',
    ]);
  });

  it('writes IPv6 in canonical compressed form', () => {
    expect(
      parseAllowlist([
        '2001:0DB8:0000:0000:0000:0000:0000:0001',
        '2001:db8:0:0:1:0:0:1',
        '2001:db8:0:1:1:1:1:1',
        '0:0:0:0:0:0:0:0',
        'fe80::1:0:0:0:1',
        '1::',
        '::ffff:127.0.0.2',
        '::ffff:7f00:2',
        '64:ff9b::192.0.2.33',
      ]),
    ).toEqual([
      '2001:db8::1/128',
      '2001:db8::1:0:0:1/128',
      '2001:db8:0:1:1:1:1:1/128',
      '::/128',
      'fe80:0:0:1::1/128',
      '1::/128',
      '::ffff:127.0.0.2/128',
      '64:ff9b::c000:221/128',
    ]);
  });

  it('removes duplicates after normalisation, keeping the first', () => {
    expect(parseAllowlist(['10.0.0.7/24', '10.0.0.0/24', ' 10.0.0.1/24 ', '::1', '0::1', '::0:1/128'])).toEqual([
      '10.0.0.0/24',
      '::1/128',
    ]);
  });

  it('accepts an empty list (open to everyone)', () => {
    expect(parseAllowlist([])).toEqual([]);
  });

  it.each([
    ['10.0.0.300', '"10.0.0.300" is not a valid IPv4 address (300 is greater than 255)'],
    ['10.0.0', '"10.0.0" is not a valid IPv4 address (expected 4 dot-separated numbers, found 3)'],
    ['10.0.0.1.5', '"10.0.0.1.5" is not a valid IPv4 address (expected 4 dot-separated numbers, found 5)'],
    ['10..0.1', '"10..0.1" is not a valid IPv4 address ("" is not a number from 0 to 255)'],
    ['010.0.0.1', '"010.0.0.1" is not a valid IPv4 address ("010" has a leading zero)'],
    ['10.0.0.0/33', 'prefix /33 is out of range for IPv4 in "10.0.0.0/33" (0 to 32)'],
    ['::/129', 'prefix /129 is out of range for IPv6 in "::/129" (0 to 128)'],
    ['10.0.0.0/', 'prefix "/" is not a number in "10.0.0.0/"'],
    ['10.0.0.0/-1', 'prefix "/-1" is not a number in "10.0.0.0/-1"'],
    ['10.0.0.0/8/8', 'prefix "/8/8" is not a number in "10.0.0.0/8/8"'],
    ['localhost', '"localhost" is not an IPv4 or IPv6 address'],
    ['', 'allowlist entry "" is empty'],
    ['1:2:3:4:5:6:7', '"1:2:3:4:5:6:7" is not a valid IPv6 address (expected 8 groups, found 7)'],
    ['1:2:3:4:5:6:7:8:9', '"1:2:3:4:5:6:7:8:9" is not a valid IPv6 address (expected 8 groups, found 9)'],
    ['1::2::3', '"1::2::3" is not a valid IPv6 address ("::" may appear only once)'],
    ['1:2:3:4::5:6:7:8', '"1:2:3:4::5:6:7:8" is not a valid IPv6 address ("::" must stand for at least one group)'],
    ['2001:db8::g', '"2001:db8::g" is not a valid IPv6 address ("g" is not a group of 1 to 4 hex digits)'],
    ['2001:db8::12345', '"2001:db8::12345" is not a valid IPv6 address ("12345" is not a group of 1 to 4 hex digits)'],
    [':1:2:3:4:5:6:7', '":1:2:3:4:5:6:7" is not a valid IPv6 address (empty group)'],
    ['fe80::1%eth0', '"fe80::1%eth0" is not a valid IPv6 address (zone identifiers are not allowed)'],
    ['::ffff:1.2.3.256', '"::ffff:1.2.3.256" is not a valid IPv4 address (256 is greater than 255)'],
    ['1.2.3.4::', '"1.2.3.4::" is not a valid IPv6 address ("1.2.3.4" is not a group of 1 to 4 hex digits)'],
  ])('rejects %j naming the entry and why', (entry, message) => {
    expect(rejection(entry)).toBe(message);
  });
});

describe('isAllowed', () => {
  it('allows everyone when the list is empty', () => {
    expect(isAllowed('127.0.0.2', [])).toBe(true);
    expect(isAllowed('::1', [])).toBe(true);
  });

  it('matches addresses inside a range and nothing outside it', () => {
    const list = parseAllowlist(['203.0.113.0/24']);
    expect(isAllowed('203.0.113.0', list)).toBe(true);
    expect(isAllowed('203.0.113.255', list)).toBe(true);
    expect(isAllowed('203.0.114.0', list)).toBe(false);
    expect(isAllowed('203.0.112.255', list)).toBe(false);
  });

  it('matches single hosts exactly', () => {
    const list = parseAllowlist(['127.0.0.3']);
    expect(isAllowed('127.0.0.3', list)).toBe(true);
    expect(isAllowed('127.0.0.2', list)).toBe(false);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 rules', () => {
    const list = parseAllowlist(['127.0.0.0/30']);
    expect(isAllowed('::ffff:127.0.0.2', list)).toBe(true);
    expect(isAllowed('::ffff:127.0.0.9', list)).toBe(false);
  });

  it('keeps IPv4 and IPv6 apart except through the mapped range', () => {
    expect(isAllowed('::1', parseAllowlist(['0.0.0.0/0']))).toBe(false);
    expect(isAllowed('127.0.0.1', parseAllowlist(['::1/128']))).toBe(false);
    expect(isAllowed('::1', parseAllowlist(['::1/128']))).toBe(true);
    expect(isAllowed('10.1.2.3', parseAllowlist(['::/0']))).toBe(true);
  });

  it('handles /0 and /128 edges', () => {
    expect(isAllowed('8.8.8.8', parseAllowlist(['0.0.0.0/0']))).toBe(true);
    expect(isAllowed('2001:db8::1', parseAllowlist(['2001:db8::1/128']))).toBe(true);
    expect(isAllowed('2001:db8::2', parseAllowlist(['2001:db8::1/128']))).toBe(false);
  });

  it('never allows a malformed address when the list is not empty', () => {
    const list = parseAllowlist(['0.0.0.0/0', '::/0']);
    expect(isAllowed('', list)).toBe(false);
    expect(isAllowed('not-an-address', list)).toBe(false);
    expect(isAllowed('1.2.3.999', list)).toBe(false);
  });

  it('compiles once and matches many addresses', () => {
    const allowed = compileAllowlist(['10.0.0.0/8', '2001:db8::/32']);
    expect(['10.9.9.9', '2001:db8:1::1', '11.0.0.1', '2001:db9::1'].map(allowed)).toEqual([true, true, false, false]);
  });
});
