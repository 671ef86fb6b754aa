/**
 * IP allowlist parsing and matching. Pure TypeScript without Node built-ins: workflow code and API
 * validators import it, and so does the node firewall process.
 *
 * Addresses are handled as 128-bit integers. IPv4 lives in the IPv4-mapped range `::ffff:0:0/96`, so an
 * IPv4 rule matches both `127.0.0.2` and `::ffff:127.0.0.2` (how a dual-stack socket reports IPv4 peers).
 */
import { InvalidAddressError } from '../engines/errors';

const IPV4_MAPPED_PREFIX = 0xffffn << 32n;
const ALL_ONES_128 = (1n << 128n) - 1n;

interface ParsedAddress {
  family: 4 | 6;
  /** The address in the 128-bit space (IPv4 already mapped). */
  value: bigint;
}

interface Range {
  /** Network address in the 128-bit space (host bits cleared). */
  network: bigint;
  /** Prefix length in the 128-bit space (IPv4 prefixes plus 96). */
  prefix128: number;
}

/**
 * Validates and normalises allowlist entries: bare addresses become /32 or /128, host bits are cleared,
 * IPv6 is written in its canonical compressed form, duplicates are removed (first occurrence kept).
 * Throws InvalidAddressError naming the first malformed entry and why it is malformed.
 */
export function parseAllowlist(entries: string[]): string[] {
  const normalised: string[] = [];
  for (const entry of entries) {
    const cidr = normaliseEntry(entry);
    if (!normalised.includes(cidr)) normalised.push(cidr);
  }
  return normalised;
}

/**
 * True when `address` (as a socket reports it) is inside one of the allowlist's ranges, or when the
 * allowlist is empty (open to everyone). A malformed address is never allowed.
 */
export function isAllowed(address: string, allowlist: string[]): boolean {
  return compileAllowlist(allowlist)(address);
}

/** Parses the allowlist once and returns a matcher; the firewall calls it for every new connection. */
export function compileAllowlist(allowlist: string[]): (address: string) => boolean {
  const ranges = allowlist.map((entry) => parseRange(entry.trim(), entry));
  if (ranges.length === 0) return () => true;
  return (address: string) => {
    const parsed = tryParseAddress(address);
    if (parsed === undefined) return false;
    return ranges.some((range) => (parsed.value & prefixMask(range.prefix128)) === range.network);
  };
}

function normaliseEntry(entry: string): string {
  const text = entry.trim();
  if (text === '') throw new InvalidAddressError(`allowlist entry ${JSON.stringify(entry)} is empty`);
  const range = parseRange(text, entry);
  return formatRange(range, text.includes(':') ? 6 : 4);
}

function parseRange(text: string, entry: string): Range {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddress(addressText, entry);
  const maxPrefix = address.family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(prefixText)) {
      throw new InvalidAddressError(`prefix "/${prefixText}" is not a number in ${JSON.stringify(entry)}`);
    }
    prefix = Number(prefixText);
    if (prefix > maxPrefix) {
      throw new InvalidAddressError(
        `prefix /${prefix} is out of range for IPv${address.family} in ${JSON.stringify(entry)} (0 to ${maxPrefix})`,
      );
    }
  }
  const prefix128 = address.family === 4 ? prefix + 96 : prefix;
  return { network: address.value & prefixMask(prefix128), prefix128 };
}

function prefixMask(prefix128: number): bigint {
  return (ALL_ONES_128 << BigInt(128 - prefix128)) & ALL_ONES_128;
}

function tryParseAddress(text: string): ParsedAddress | undefined {
  try {
    return parseAddress(text, text);
  } catch {
    return undefined;
  }
}

function parseAddress(text: string, entry: string): ParsedAddress {
  if (text.includes(':')) return { family: 6, value: parseIpv6(text, entry) };
  if (/^[0-9.]+$/.test(text)) return { family: 4, value: IPV4_MAPPED_PREFIX | parseIpv4(text, entry) };
  throw new InvalidAddressError(`${JSON.stringify(entry)} is not an IPv4 or IPv6 address`);
}

function parseIpv4(text: string, entry: string): bigint {
  const invalid = (why: string) =>
    new InvalidAddressError(`${JSON.stringify(entry)} is not a valid IPv4 address (${why})`);
  const octets = text.split('.');
  if (octets.length !== 4) throw invalid(`expected 4 dot-separated numbers, found ${octets.length}`);
  let value = 0n;
  for (const octet of octets) {
    if (!/^[0-9]{1,3}$/.test(octet)) throw invalid(`"${octet}" is not a number from 0 to 255`);
    if (octet.length > 1 && octet.startsWith('0')) throw invalid(`"${octet}" has a leading zero`);
    const number = Number(octet);
    if (number > 255) throw invalid(`${number} is greater than 255`);
    value = (value << 8n) | BigInt(number);
  }
  return value;
}

function parseIpv6(text: string, entry: string): bigint {
  const invalid = (why: string) =>
    new InvalidAddressError(`${JSON.stringify(entry)} is not a valid IPv6 address (${why})`);
  if (text.includes('%')) throw invalid('zone identifiers are not allowed');
  const halves = text.split('::');
  if (halves.length > 2) throw invalid('"::" may appear only once');

  const parseGroups = (part: string, allowTrailingIpv4: boolean): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    pieces.forEach((piece, index) => {
      const isLast = index === pieces.length - 1;
      if (isLast && allowTrailingIpv4 && piece.includes('.')) {
        const ipv4 = Number(parseIpv4(piece, entry));
        groups.push(ipv4 >>> 16, ipv4 & 0xffff);
        return;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        throw invalid(piece === '' ? 'empty group' : `"${piece}" is not a group of 1 to 4 hex digits`);
      }
      groups.push(parseInt(piece, 16));
    });
    return groups;
  };

  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0], false);
    const tail = parseGroups(halves[1], true);
    const missing = 8 - head.length - tail.length;
    if (missing < 1) throw invalid('"::" must stand for at least one group');
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = parseGroups(text, true);
    if (groups.length !== 8) throw invalid(`expected 8 groups, found ${groups.length}`);
  }
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function formatRange(range: Range, family: 4 | 6): string {
  if (family === 4) return `${formatIpv4(range.network & 0xffffffffn)}/${range.prefix128 - 96}`;
  return `${formatIpv6(range.network)}/${range.prefix128}`;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952: lowercase, no leading zeros, longest run (2+ groups) of zeros as "::", IPv4-mapped in mixed form. */
function formatIpv6(value: bigint): string {
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));

  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
