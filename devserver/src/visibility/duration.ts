/**
 * ExecutionDuration values written as strings, in the server's order of attempts
 * (query.ParseExecutionDurationStr): an integer of nanoseconds, a Go duration with an extra `d` unit
 * ('300ms', '-1.5h', '2h45m', '1d'), or 'hh:mm:ss'. Results are bigint nanoseconds.
 */

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const DAYS = /(\d+(\.\d*)?|(\.\d+))d/g;
const HH_MM_SS = /^\s*([+-]?\d+):\s*([+-]?\d+):\s*([+-]?\d+)/;

const inInt64 = (value: bigint) => value >= INT64_MIN && value <= INT64_MAX;

export function parseDurationNanos(text: string): bigint | undefined {
  if (/^[+-]?\d+$/.test(text) && inInt64(BigInt(text))) return BigInt(text);
  return parseGoDuration(text.replace(DAYS, (days) => `${(24 * parseFloat(days)).toFixed(6)}h`)) ?? parseHhMmSs(text);
}

/** Go's time.ParseDuration: a sign, then one or more `<number><unit>`; '0' alone needs no unit. */
function parseGoDuration(text: string): bigint | undefined {
  let rest = text;
  const negative = rest.startsWith('-');
  if (negative || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const term = /^(\d*)(?:\.(\d*))?([^\d.]*)/.exec(rest);
    if (!term) return undefined;
    const [whole, integer, fraction = '', unitName] = term;
    if (integer === '' && fraction === '') return undefined;
    const unit = UNIT_NANOS[unitName];
    if (unit === undefined) return undefined;
    let nanos = BigInt(integer || '0') * unit;
    if (fraction !== '') {
      // Go scales the fraction in floating point and truncates.
      nanos += BigInt(Math.trunc(Number(`0.${fraction}`) * Number(unit)));
    }
    total += nanos;
    if (total > 1n << 63n) return undefined;
    rest = rest.slice(whole.length);
  }
  const signed = negative ? -total : total;
  return inInt64(signed) ? signed : undefined;
}

function parseHhMmSs(text: string): bigint | undefined {
  const match = HH_MM_SS.exec(text);
  if (!match) return undefined;
  const [hours, minutes, seconds] = match.slice(1).map((part) => BigInt(part));
  if (![hours, minutes, seconds].every(inInt64)) return undefined;
  if (hours < 0n || minutes < 0n || minutes > 59n || seconds < 0n || seconds > 59n) return undefined;
  return (hours * 3600n + minutes * 60n + seconds) * 1_000_000_000n;
}
