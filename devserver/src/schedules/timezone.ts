/**
 * Time zones for schedule specs and legacy cron, and the two conversions the Temporal server's Go
 * code relies on: an instant's wall-clock fields in a zone (`time.Time.In(loc).Date()/Clock()`)
 * and a wall-clock time back to an instant (`time.Date(..., loc)`), including Go's particular
 * choice of instant for wall-clock times that a DST change skips or repeats.
 *
 * Zone rules come from the ICU data behind `Intl` (no file system access). Looking an offset up
 * through `Intl` costs microseconds, and schedules are advanced thousands of times under time
 * skipping, so each zone learns its transitions one span of about a year at a time and answers
 * later look-ups from that table.
 */

/** A time zone as the scheduler sees it: the UTC offset in force at any instant. */
export interface TimeZone {
  /** The name as given (`UTC` for the empty name). */
  readonly name: string;
  /** Seconds east of UTC in force at `epochSeconds` (an integer). */
  offsetAt(epochSeconds: number): number;
}

/** Wall-clock fields of an instant in a zone. `month` is 1-12, `weekday` 0 (Sunday) to 6. */
export interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** A zone name that neither Go's `time.LoadLocation` nor `Intl` would accept. */
export class UnknownTimeZoneError extends Error {
  constructor(readonly zoneName: string) {
    super(
      `unknown time zone "${zoneName}": use an IANA time zone name such as "America/New_York" or "Europe/Berlin", ` +
        'or leave it empty for UTC',
    );
    this.name = new.target.name;
  }
}

const SECONDS_PER_DAY = 86_400;

export const UTC_ZONE: TimeZone = { name: 'UTC', offsetAt: () => 0 };

const zoneCache = new Map<string, TimeZone>();

/**
 * Loads a zone the way the server's `time.LoadLocation` does: the empty name and `UTC` are UTC,
 * `Local` is this machine's zone, anything else must be a zone name, spelled with the case the
 * tz database uses (Go looks names up as file names, so `america/new_york` is unknown to it).
 */
export function loadTimeZone(name: string): TimeZone {
  if (name === '' || name === 'UTC') return UTC_ZONE;
  const cached = zoneCache.get(name);
  if (cached) return cached;
  const ianaName = name === 'Local' ? new Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  const zone = new IntlTimeZone(name, intlFormatterFor(name, ianaName));
  zoneCache.set(name, zone);
  return zone;
}

function intlFormatterFor(name: string, ianaName: string): Intl.DateTimeFormat {
  // Go reads zone names as paths below the zoneinfo directory; Intl accepts things Go does not
  // (offsets like "+01:00" in newer engines, other letter case), so those are refused up front.
  if (/^[+-]/.test(ianaName) || ianaName.includes('..') || ianaName.startsWith('/')) {
    throw new UnknownTimeZoneError(name);
  }
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: ianaName,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new UnknownTimeZoneError(name);
  }
  const resolved = formatter.resolvedOptions().timeZone;
  if (resolved !== ianaName && resolved.toLowerCase() === ianaName.toLowerCase()) {
    throw new UnknownTimeZoneError(name);
  }
  return formatter;
}

/**
 * Transitions are learnt per span of SPAN_SECONDS by sampling the offset once a day and
 * bisecting between samples that differ. Two transitions less than a day apart that cancel out
 * would be missed; no zone in the tz database has had such a pair.
 */
const SPAN_SECONDS = 384 * SECONDS_PER_DAY;
const SAMPLE_SECONDS = SECONDS_PER_DAY;

interface Span {
  /** Instants (epoch seconds) at which a new offset takes effect, ascending, the first being the span's start. */
  starts: number[];
  offsets: number[];
}

class IntlTimeZone implements TimeZone {
  private readonly spans = new Map<number, Span>();

  constructor(
    readonly name: string,
    private readonly formatter: Intl.DateTimeFormat,
  ) {}

  offsetAt(epochSeconds: number): number {
    const spanIndex = Math.floor(epochSeconds / SPAN_SECONDS);
    let span = this.spans.get(spanIndex);
    if (!span) {
      span = this.learnSpan(spanIndex * SPAN_SECONDS);
      this.spans.set(spanIndex, span);
    }
    const { starts, offsets } = span;
    let i = starts.length - 1;
    while (starts[i] > epochSeconds) i--;
    return offsets[i];
  }

  private learnSpan(spanStart: number): Span {
    const starts = [spanStart];
    const offsets = [this.askIntl(spanStart)];
    const spanEnd = spanStart + SPAN_SECONDS;
    let sampleAt = spanStart;
    let sampleOffset = offsets[0];
    while (sampleAt < spanEnd) {
      const nextAt = Math.min(sampleAt + SAMPLE_SECONDS, spanEnd);
      const nextOffset = this.askIntl(nextAt);
      // Walk every change between the two samples (there may be more than one).
      let from = sampleAt;
      let fromOffset = sampleOffset;
      while (fromOffset !== nextOffset) {
        const changeAt = this.firstChangeAfter(from, fromOffset, nextAt);
        fromOffset = this.askIntl(changeAt);
        starts.push(changeAt);
        offsets.push(fromOffset);
        from = changeAt;
      }
      sampleAt = nextAt;
      sampleOffset = nextOffset;
    }
    return { starts, offsets };
  }

  /** The first second in (from, to] whose offset differs from `fromOffset`, given that `to`'s does. */
  private firstChangeAfter(from: number, fromOffset: number, to: number): number {
    let lo = from;
    let hi = to;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.askIntl(mid) === fromOffset) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  private askIntl(epochSeconds: number): number {
    const fields: Record<string, string> = {};
    for (const part of this.formatter.formatToParts(epochSeconds * 1000)) fields[part.type] = part.value;
    const yearOfEra = Number(fields.year);
    const year = fields.era === 'BC' ? 1 - yearOfEra : yearOfEra;
    const wallSeconds = civilToEpochSeconds(
      year,
      Number(fields.month),
      Number(fields.day),
      Number(fields.hour),
      Number(fields.minute),
      Number(fields.second),
    );
    return wallSeconds - epochSeconds;
  }
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, any day count). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Seconds since the epoch of a wall-clock time read as UTC. Like Go's `time.Date`, any field may
 * overflow or underflow (month 13 is January of the next year, hour 24 is midnight of the next day).
 */
export function civilToEpochSeconds(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const monthIndex = month - 1;
  const normalizedYear = year + Math.floor(monthIndex / 12);
  const normalizedMonth = monthIndex - Math.floor(monthIndex / 12) * 12 + 1;
  const days = daysFromCivil(normalizedYear, normalizedMonth, 1) + day - 1;
  return days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
}

/** Wall-clock fields of seconds-since-epoch read as UTC. */
function civilFromEpochSeconds(wallSeconds: number): LocalFields {
  const days = Math.floor(wallSeconds / SECONDS_PER_DAY);
  const secondOfDay = wallSeconds - days * SECONDS_PER_DAY;
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year,
    month,
    day,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
    second: secondOfDay % 60,
    // 1970-01-01 was a Thursday.
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}

/** Wall-clock fields of an instant (integer epoch seconds) in `zone`, as Go's `t.In(zone)` gives them. */
export function toLocalFields(zone: TimeZone, epochSeconds: number): LocalFields {
  return civilFromEpochSeconds(epochSeconds + zone.offsetAt(epochSeconds));
}

/**
 * The instant Go's `time.Date(year, month, day, hour, minute, second, 0, zone)` returns, as epoch
 * seconds. Fields may overflow as in Go. For a wall-clock time that occurs twice, Go takes the
 * offset in force at the wall-clock time read as UTC, and keeps it if the resulting instant still
 * has that offset; otherwise (and for a wall-clock time that never occurs) it uses the offset in
 * force at that first guess. So in a zone west of UTC a repeated time resolves to its first
 * occurrence, east of UTC to its second, and a skipped time lands an offset-change away.
 */
export function localToEpochSeconds(
  zone: TimeZone,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const wallSeconds = civilToEpochSeconds(year, month, day, hour, minute, second);
  const firstGuess = wallSeconds - zone.offsetAt(wallSeconds);
  return wallSeconds - zone.offsetAt(firstGuess);
}

/** Days in a month (1-12) of the proleptic Gregorian calendar. */
export function daysInMonth(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
