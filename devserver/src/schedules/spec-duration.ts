/**
 * Duration strings as the server reads them after `@every`: Go's `time.ParseDuration` (legacy
 * cron, through robfig/cron) and Temporal's variant that also accepts `d` for 24 hours (schedule
 * cron strings). Results are exact nanoseconds.
 */

/** A duration string Go would refuse; the message says what is wrong with it. */
export class DurationSyntaxError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid duration "${input}": ${reason}`);
    this.name = new.target.name;
  }
}

const NANOS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  '\u00b5s': 1_000n, // micro sign
  '\u03bcs': 1_000n, // Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_INT64 = (1n << 63n) - 1n;

/** Go's `time.ParseDuration`: e.g. "1h30m", "2.5s", "-90m"; returns nanoseconds. */
export function parseGoDuration(input: string): bigint {
  let rest = input;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw new DurationSyntaxError(input, 'expected a number followed by a unit (ns, us, ms, s, m, h)');
  let total = 0n;
  while (rest !== '') {
    const match = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const wholeDigits = match?.[1] ?? '';
    const fractionDigits = match?.[2] ?? '';
    if (wholeDigits === '' && fractionDigits === '') {
      throw new DurationSyntaxError(input, 'expected a number followed by a unit (ns, us, ms, s, m, h)');
    }
    rest = rest.slice(match?.[0].length ?? 0);
    const unitMatch = /^[^\d.]*/.exec(rest);
    const unitName = unitMatch?.[0] ?? '';
    if (unitName === '') throw new DurationSyntaxError(input, 'missing unit (ns, us, ms, s, m, h)');
    const unit = NANOS_PER_UNIT[unitName];
    if (unit === undefined)
      throw new DurationSyntaxError(input, `unknown unit "${unitName}" (use ns, us, ms, s, m, h)`);
    rest = rest.slice(unitName.length);
    let value = BigInt(wholeDigits === '' ? '0' : wholeDigits) * unit;
    if (fractionDigits !== '') {
      // Go scales the fraction in floating point; so does this, with the same truncation.
      const fraction = Number(fractionDigits);
      const scale = 10 ** fractionDigits.length;
      value += BigInt(Math.trunc(fraction * (Number(unit) / scale)));
    }
    total += value;
    if (total > MAX_INT64) throw new DurationSyntaxError(input, 'too large');
  }
  return negative ? -total : total;
}

/** Temporal's `timestamp.ParseDuration`: Go's syntax plus `d` meaning exactly 24 hours (e.g. "5d", "1.5d"). */
export function parseTemporalDuration(input: string): bigint {
  const withoutDays = input.replace(
    /(\d+(\.\d*)?|(\.\d+))d/g,
    (days) => `${(24 * Number(days.slice(0, -1))).toFixed(6)}h`,
  );
  try {
    return parseGoDuration(withoutDays);
  } catch (error) {
    if (error instanceof DurationSyntaxError) throw new DurationSyntaxError(input, error.message.replace(/^.*?: /, ''));
    throw error;
  }
}
