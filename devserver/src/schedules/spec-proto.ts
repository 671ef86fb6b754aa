/**
 * Reading the protobuf well-known types a ScheduleSpec carries. int64 fields arrive
 * as `number`, `Long` or (from some JSON paths) decimal strings; all are accepted.
 */
import type Long from 'long';
import type { google } from '@temporalio/proto';

type Int64 = number | Long | string | null | undefined;

/** An int64 proto field as a JS number (exact up to 2^53, which covers every time a schedule can use). */
export function int64ToNumber(value: Int64): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

/** `{ seconds, nanos }` as protobuf Duration or Timestamp properties. */
export type SecondsAndNanos = google.protobuf.IDuration | google.protobuf.ITimestamp | null | undefined;

/** Whole nanoseconds would overflow a double; schedules only need milliseconds, truncated toward zero as Go's `Duration.Milliseconds()` does. */
export function durationToMs(duration: SecondsAndNanos): number {
  if (!duration) return 0;
  return int64ToNumber(duration.seconds) * 1000 + Math.trunc((duration.nanos ?? 0) / 1e6);
}

/** Seconds of a duration, truncated toward zero (Go's `d / time.Second`). */
export function durationToWholeSeconds(duration: SecondsAndNanos): number {
  if (!duration) return 0;
  const seconds = int64ToNumber(duration.seconds);
  const nanos = duration.nanos ?? 0;
  // A valid Duration has nanos with the sign of seconds; a mixed one still sums correctly.
  const total = seconds + nanos / 1e9;
  return Math.trunc(total);
}

/** A Duration as exact nanoseconds, for comparisons (Go's `timestamp.DurationValue`, without its saturation). */
export function durationToNanos(duration: SecondsAndNanos): bigint {
  if (!duration) return 0n;
  return BigInt(int64ToNumber(duration.seconds)) * 1_000_000_000n + BigInt(duration.nanos ?? 0);
}

/** Epoch milliseconds of a Timestamp, rounded down to the millisecond. */
export function timestampToMs(timestamp: SecondsAndNanos): number {
  if (!timestamp) return 0;
  return int64ToNumber(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

/** Same check as protobuf-go's `durationpb.CheckValid`; returns a reason or undefined. */
export function durationInvalidReason(duration: SecondsAndNanos): string | undefined {
  if (!duration) return undefined;
  const seconds = int64ToNumber(duration.seconds);
  const nanos = duration.nanos ?? 0;
  const maxSeconds = 315_576_000_000;
  if (seconds < -maxSeconds || seconds > maxSeconds) return `seconds ${seconds} out of range ±${maxSeconds}`;
  if (nanos <= -1e9 || nanos >= 1e9) return `nanos ${nanos} out of range ±999999999`;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return 'seconds and nanos have different signs';
  return undefined;
}

/** A Duration for error messages, in seconds (e.g. `5400s`, `0.5s`). */
export function formatDuration(duration: SecondsAndNanos): string {
  const nanos = durationToNanos(duration);
  const whole = nanos / 1_000_000_000n;
  const fraction = nanos % 1_000_000_000n;
  if (fraction === 0n) return `${whole}s`;
  const sign = nanos < 0n ? '-' : '';
  const absolute = nanos < 0n ? -nanos : nanos;
  const digits = (absolute % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${sign}${absolute / 1_000_000_000n}.${digits}s`;
}
