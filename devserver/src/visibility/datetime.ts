/**
 * Datetime values in queries, as the server reads them: Go's time.Parse(time.RFC3339Nano, …), i.e.
 * `2006-01-02T15:04:05[.fraction](Z|±hh:mm)` with an upper-case T and Z and a required zone, or an integer
 * of Unix nanoseconds. Instants are compared as bigint nanoseconds since the epoch.
 */

// A '.' fraction may have any number of digits (Go's fast path); a ',' fraction at most nine (its slow path).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+)|,(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const NANOS_PER_SECOND = 1_000_000_000n;
const NANOS_PER_MILLISECOND = 1_000_000;
const SECONDS_PER_DAY = 86_400;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInMonth = (year: number, month: number) =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/** Days from 1970-01-01 to a proleptic Gregorian date. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Unix nanoseconds for an RFC 3339 timestamp the server accepts, or undefined. */
export function parseRfc3339Nanos(text: string): bigint | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [, , , , , , , dotFraction, commaFraction, sign, offsetHours, offsetMinutes] = match;
  const fraction = dotFraction ?? commaFraction;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  // Go accepts zone offsets up to 24:60 and truncates fractions to nanoseconds.
  if (sign && (Number(offsetHours) > 24 || Number(offsetMinutes) > 60)) return undefined;
  const offsetSeconds = sign ? (sign === '-' ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60) : 0;
  const seconds =
    daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offsetSeconds;
  const nanos = fraction ? BigInt(fraction.slice(0, 9).padEnd(9, '0')) : 0n;
  return BigInt(seconds) * NANOS_PER_SECOND + nanos;
}

/** Unix nanoseconds for a stored epoch-milliseconds value (fractions of a millisecond kept). */
export function epochMillisToNanos(millis: number): bigint {
  const whole = Math.floor(millis);
  return BigInt(whole) * BigInt(NANOS_PER_MILLISECOND) + BigInt(Math.round((millis - whole) * NANOS_PER_MILLISECOND));
}
