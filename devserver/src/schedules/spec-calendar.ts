/**
 * A StructuredCalendarSpec compiled for matching and for finding the next matching second. The
 * search walks fields from the outside in (year, month, day, hour, minute, second), so a daily
 * schedule costs a few hundred cheap steps, not one per minute. Its handling of DST follows the
 * server's exactly: a wall-clock time skipped by a spring-forward change does not fire, and in a
 * repeated hour both occurrences can fire (see `next`).
 */
import type { temporal } from '@temporalio/proto';
import { MAX_CALENDAR_YEAR } from './spec-calendar-parse';
import { daysInMonth, localToEpochSeconds, type TimeZone, toLocalFields } from './timezone';

type Range = temporal.api.schedule.v1.IRange;

type Matcher = (value: number) => boolean;

/**
 * Calls `visit` for every value the ranges cover (end before start means just start; step 0
 * means 1), up to `limit`: exclude calendars are not validated, so their ranges may be huge.
 */
function forEachInRanges(ranges: Range[] | null | undefined, limit: number, visit: (value: number) => void): void {
  for (const range of ranges ?? []) {
    const start = range?.start ?? 0;
    const step = Math.max(range?.step ?? 0, 0) || 1;
    const end = Math.min(Math.max(range?.end ?? 0, start), limit);
    for (let value = start; value <= end; value += step) visit(value);
  }
}

/** For the small fields (all below 64). No ranges means nothing matches, as on the server. */
function smallFieldMatcher(ranges: Range[] | null | undefined): Matcher {
  const allowed = new Uint8Array(64);
  forEachInRanges(ranges, 63, (value) => {
    if (value >= 0 && value < 64) allowed[value] = 1;
  });
  return (value) => allowed[value] === 1;
}

/** No year ranges means every year. */
function yearMatcher(ranges: Range[] | null | undefined): Matcher {
  if (!ranges || ranges.length === 0) return () => true;
  const allowed = new Set<number>();
  forEachInRanges(ranges, MAX_CALENDAR_YEAR, (value) => allowed.add(value));
  return (value) => allowed.has(value);
}

const HOUR = 3600;

export class CompiledCalendar {
  private readonly year: Matcher;
  private readonly month: Matcher;
  private readonly dayOfMonth: Matcher;
  private readonly dayOfWeek: Matcher;
  private readonly hour: Matcher;
  private readonly minute: Matcher;
  private readonly second: Matcher;

  constructor(
    spec: temporal.api.schedule.v1.IStructuredCalendarSpec,
    private readonly zone: TimeZone,
  ) {
    this.year = yearMatcher(spec.year);
    this.month = smallFieldMatcher(spec.month);
    this.dayOfMonth = smallFieldMatcher(spec.dayOfMonth);
    this.dayOfWeek = smallFieldMatcher(spec.dayOfWeek);
    this.hour = smallFieldMatcher(spec.hour);
    this.minute = smallFieldMatcher(spec.minute);
    this.second = smallFieldMatcher(spec.second);
  }

  /** Whether the second containing `epochSeconds` matches, read in this calendar's zone. */
  matches(epochSeconds: number): boolean {
    const t = toLocalFields(this.zone, Math.floor(epochSeconds));
    return (
      this.year(t.year) &&
      this.month(t.month) &&
      this.dayOfMonth(t.day) &&
      this.dayOfWeek(t.weekday) &&
      this.hour(t.hour) &&
      this.minute(t.minute) &&
      this.second(t.second)
    );
  }

  /**
   * The first matching second strictly after the second containing `afterEpochSeconds`, or
   * undefined when none comes before the end of MAX_CALENDAR_YEAR.
   *
   * Wall-clock fields are advanced and turned back into instants as Go's `time.Date` does. Two
   * DST rules come from the server: a wall-clock time that does not exist (the result lands in
   * another hour) is skipped; and when advancing into the next hour jumps two real hours, the
   * search stays in the same wall-clock hour with one hour added, which visits the second
   * occurrence of a repeated hour.
   */
  next(afterEpochSeconds: number): number | undefined {
    const zone = this.zone;
    const after = Math.floor(afterEpochSeconds);
    const start = toLocalFields(zone, after);
    let { year: y, month: mo, day: d, hour: h, minute: m, second: s } = start;
    // Already inside the second occurrence of a repeated hour?
    let dstShift = toLocalFields(zone, after - HOUR).hour === h ? HOUR : 0;
    s++;

    outer: while (true) {
      if (s >= 60) {
        m++;
        s = 0;
      }
      if (m >= 60) {
        const hourStart = localToEpochSeconds(zone, y, mo, d, h, 0, 0);
        h++;
        m = 0;
        const nextHourStart = localToEpochSeconds(zone, y, mo, d, h, 0, 0);
        if (dstShift === 0 && nextHourStart - hourStart > HOUR) {
          h--;
          dstShift = HOUR;
        } else {
          dstShift = 0;
        }
      }
      if (h >= 24) {
        d++;
        h = 0;
      }
      if (d > daysInMonth(mo, y)) {
        mo++;
        d = 1;
      }
      if (mo > 12) {
        y++;
        mo = 1;
      }
      if (y > MAX_CALENDAR_YEAR) return undefined;

      if (!this.year(y)) {
        y++;
        mo = d = 1;
        h = m = s = 0;
        dstShift = 0;
        continue outer;
      }
      while (!this.month(mo)) {
        mo++;
        d = 1;
        h = m = s = 0;
        dstShift = 0;
        if (mo > 12) continue outer;
      }
      while (!this.dayOfMonth(d) || !this.dayOfWeek(this.weekdayOf(y, mo, d, h, m, s))) {
        d++;
        h = m = s = 0;
        dstShift = 0;
        if (d > daysInMonth(mo, y)) continue outer;
      }
      while (!this.hour(h)) {
        h++;
        m = s = 0;
        dstShift = 0;
        if (h >= 24) continue outer;
      }
      while (!this.minute(m)) {
        m++;
        s = 0;
        if (m >= 60) continue outer;
      }
      while (!this.second(s)) {
        s++;
        if (s >= 60) continue outer;
      }
      const candidate = localToEpochSeconds(zone, y, mo, d, h, m, s);
      if (toLocalFields(zone, candidate).hour !== h) {
        // Skipped by a spring-forward change: try the next hour.
        h++;
        m = s = 0;
        continue outer;
      }
      return candidate + dstShift;
    }
  }

  /** The weekday the server checks: that of the instant `time.Date` gives for these fields. */
  private weekdayOf(y: number, mo: number, d: number, h: number, m: number, s: number): number {
    return toLocalFields(this.zone, localToEpochSeconds(this.zone, y, mo, d, h, m, s)).weekday;
  }
}
