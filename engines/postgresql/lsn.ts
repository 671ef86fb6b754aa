/**
 * PostgreSQL write-ahead-log positions (LSNs), written `X/Y` with two hexadecimal halves of a
 * 64-bit byte offset. The driver hands them out as its opaque ReplicationPosition.
 */

import { InfraError } from '../errors';

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** WAL page size (XLOG_BLCKSZ) of the standard builds. */
const WAL_PAGE_BYTES = 8192n;
/** The long page header at the start of a WAL segment (SizeOfXLogLongPHD); short ones are smaller. */
const WAL_LONG_PAGE_HEADER_BYTES = 40n;

export class InvalidLsnError extends InfraError {
  readonly retryable = false;
  constructor(text: string) {
    super(`${JSON.stringify(text)} is not a PostgreSQL WAL position (expected hex "X/Y", e.g. "0/3000148")`);
  }
}

export function parseLsn(text: string): bigint {
  const match = LSN_PATTERN.exec(text.trim());
  if (!match) throw new InvalidLsnError(text);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Bytes from `from` to `to` (negative when `to` is behind). */
export function lsnDiff(to: string, from: string): number {
  return Number(parseLsn(to) - parseLsn(from));
}

/**
 * Whether a replica that has replayed up to `replayed` holds everything up to `wanted`.
 *
 * `wanted` comes from the primary's insert position, which points past the next page header when
 * the last record ended exactly on a page boundary, while replay stops at the record's end (the
 * boundary itself). No record fits inside a page header, so a replay position on a page boundary
 * within one header of `wanted` has everything `wanted` covers.
 */
export function lsnReached(replayed: string, wanted: string): boolean {
  const have = parseLsn(replayed);
  const want = parseLsn(wanted);
  if (have >= want) return true;
  return have % WAL_PAGE_BYTES === 0n && want - have <= WAL_LONG_PAGE_HEADER_BYTES;
}
