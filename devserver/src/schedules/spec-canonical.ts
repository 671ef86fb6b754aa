/**
 * Canonical form of a ScheduleSpec, as the server stores it at CreateSchedule/UpdateSchedule and
 * returns it from DescribeSchedule: cron strings and legacy calendars become structured calendars
 * (or intervals, for `@every`), a cron string's time zone moves to `timezoneName`, every structured
 * calendar and interval is validated, and ranges get explicit ends and steps.
 */
import type { temporal } from '@temporalio/proto';
import { CalendarFieldError, calendarToStructured, MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR } from './spec-calendar-parse';
import { parseScheduleCronString } from './spec-cron-string';
import { ScheduleSpecError } from './spec-errors';
import { durationInvalidReason, durationToNanos, formatDuration } from './spec-proto';

type ScheduleSpec = temporal.api.schedule.v1.IScheduleSpec;
type StructuredCalendarSpec = temporal.api.schedule.v1.IStructuredCalendarSpec;
type IntervalSpec = temporal.api.schedule.v1.IIntervalSpec;
type Range = temporal.api.schedule.v1.IRange;

const MAX_COMMENT_BYTES = 200;

function parseCalendars(
  calendars: temporal.api.schedule.v1.ICalendarSpec[] | null | undefined,
  field: string,
): StructuredCalendarSpec[] {
  return (calendars ?? []).map((calendar, index) => {
    try {
      return calendarToStructured(calendar);
    } catch (error) {
      if (error instanceof CalendarFieldError) {
        throw new ScheduleSpecError(`invalid ${field}[${index}]: ${error.detail}`);
      }
      throw error;
    }
  });
}

const STRUCTURED_FIELDS: { key: keyof StructuredCalendarSpec; label: string; min: number; max: number }[] = [
  { key: 'second', label: 'second', min: 0, max: 59 },
  { key: 'minute', label: 'minute', min: 0, max: 59 },
  { key: 'hour', label: 'hour', min: 0, max: 23 },
  { key: 'dayOfMonth', label: 'dayOfMonth', min: 1, max: 31 },
  { key: 'month', label: 'month', min: 1, max: 12 },
  { key: 'year', label: 'year', min: MIN_CALENDAR_YEAR, max: MAX_CALENDAR_YEAR },
  { key: 'dayOfWeek', label: 'dayOfWeek', min: 0, max: 6 },
];

/** The server's checks on a structured calendar: starts within the field, ends (when set) not before the start nor past the maximum, steps not negative. */
function validateStructuredCalendar(calendar: StructuredCalendarSpec, where: string): void {
  for (const { key, label, min, max } of STRUCTURED_FIELDS) {
    const ranges = (calendar[key] ?? []) as Range[];
    ranges.forEach((range, index) => {
      const start = range?.start ?? 0;
      const end = range?.end ?? 0;
      const step = range?.step ?? 0;
      const at = `${where}.${label}[${index}]`;
      if (start < min || start > max) {
        throw new ScheduleSpecError(`invalid ${at}: start ${start} is not in range ${min}-${max}`);
      }
      if (end !== 0 && (end < start || end > max)) {
        throw new ScheduleSpecError(
          `invalid ${at}: end ${end} is before start ${start} or not in range ${min}-${max} (0 means "same as start")`,
        );
      }
      if (step < 0) throw new ScheduleSpecError(`invalid ${at}: step ${step} is negative (0 means 1)`);
    });
  }
  if (Buffer.byteLength(calendar.comment ?? '', 'utf8') > MAX_COMMENT_BYTES) {
    throw new ScheduleSpecError(`invalid ${where}.comment: longer than ${MAX_COMMENT_BYTES} bytes`);
  }
}

const ONE_SECOND_NANOS = 1_000_000_000n;

function validateInterval(interval: IntervalSpec | null | undefined, where: string): void {
  if (!interval) throw new ScheduleSpecError(`invalid ${where}: it is empty; set interval (at least 1s)`);
  for (const [name, value] of [
    ['interval', interval.interval],
    ['phase', interval.phase],
  ] as const) {
    const reason = durationInvalidReason(value);
    if (reason) throw new ScheduleSpecError(`invalid ${where}: ${name} is not a valid duration: ${reason}`);
  }
  const every = durationToNanos(interval.interval);
  const phase = durationToNanos(interval.phase);
  if (every < ONE_SECOND_NANOS) {
    throw new ScheduleSpecError(
      `invalid ${where}: interval ${formatDuration(interval.interval)} is too small; it must be at least 1s`,
    );
  }
  if (phase < 0n) {
    throw new ScheduleSpecError(`invalid ${where}: phase ${formatDuration(interval.phase)} is negative`);
  }
  if (phase >= every) {
    throw new ScheduleSpecError(
      `invalid ${where}: phase ${formatDuration(interval.phase)} must be less than interval ${formatDuration(interval.interval)}`,
    );
  }
}

function hasTimezoneData(spec: ScheduleSpec): boolean {
  return spec.timezoneData !== null && spec.timezoneData !== undefined && spec.timezoneData.length > 0;
}

/**
 * Canonical form, validated. Does not check that the time zone exists (compiling does). Ranges
 * keep the server's compact form (end 0 = start, step 0 = 1); `withExplicitRanges` expands them.
 */
export function canonicalForm(spec: ScheduleSpec): ScheduleSpec {
  const structuredCalendar = [...(spec.structuredCalendar ?? []), ...parseCalendars(spec.calendar, 'calendar')];
  const excludeStructuredCalendar = [
    ...(spec.excludeStructuredCalendar ?? []),
    ...parseCalendars(spec.excludeCalendar, 'excludeCalendar'),
  ];
  const interval = [...(spec.interval ?? [])];

  // Every cron string must carry the same time zone (or all none); a cron time zone must agree
  // with timezoneName when both are set, and cannot be combined with timezoneData.
  let cronTimezone: string | undefined;
  let cronTimezoneSource = '';
  let timezoneName = spec.timezoneName ?? '';
  for (const cronString of spec.cronString ?? []) {
    const parsed = parseScheduleCronString(cronString);
    if (cronTimezone !== undefined && parsed.timezoneName !== cronTimezone) {
      throw new ScheduleSpecError(
        `conflicting time zones in cron strings: ${JSON.stringify(cronTimezoneSource)} and ${JSON.stringify(cronString)} ` +
          'must all have the same CRON_TZ (or none); use timezoneName to set one zone for the whole spec',
      );
    }
    cronTimezone = parsed.timezoneName;
    cronTimezoneSource = cronString;
    if (parsed.calendar) structuredCalendar.push(parsed.calendar);
    if (parsed.interval) interval.push(parsed.interval);
  }
  if (cronTimezone) {
    if ((timezoneName !== '' && timezoneName !== cronTimezone) || hasTimezoneData(spec)) {
      throw new ScheduleSpecError(
        `conflicting time zones: cron string ${JSON.stringify(cronTimezoneSource)} says "${cronTimezone}" but the spec's ` +
          `time zone is ${hasTimezoneData(spec) ? 'given as timezoneData' : `"${timezoneName}"`}; drop one of them`,
      );
    }
    timezoneName = cronTimezone;
  }

  structuredCalendar.forEach((calendar, index) => validateStructuredCalendar(calendar, `structuredCalendar[${index}]`));
  interval.forEach((each, index) => validateInterval(each, `interval[${index}]`));

  const canonical: ScheduleSpec = {
    structuredCalendar,
    cronString: [],
    calendar: [],
    interval,
    excludeCalendar: [],
    excludeStructuredCalendar,
    timezoneName,
  };
  if (spec.startTime) canonical.startTime = spec.startTime;
  if (spec.endTime) canonical.endTime = spec.endTime;
  if (spec.jitter) canonical.jitter = spec.jitter;
  if (hasTimezoneData(spec)) canonical.timezoneData = spec.timezoneData;
  return canonical;
}

function explicitRanges(ranges: Range[] | null | undefined): Range[] {
  return (ranges ?? []).map((range) => {
    const start = range.start ?? 0;
    const end = range.end ?? 0;
    const step = range.step ?? 0;
    return { start, end: end < start ? start : end, step: step === 0 ? 1 : step };
  });
}

function explicitCalendar(calendar: StructuredCalendarSpec): StructuredCalendarSpec {
  return {
    second: explicitRanges(calendar.second),
    minute: explicitRanges(calendar.minute),
    hour: explicitRanges(calendar.hour),
    dayOfMonth: explicitRanges(calendar.dayOfMonth),
    month: explicitRanges(calendar.month),
    year: explicitRanges(calendar.year),
    dayOfWeek: explicitRanges(calendar.dayOfWeek),
    comment: calendar.comment ?? '',
  };
}

/** What DescribeSchedule shows: ends at least the start, steps at least 1 (the server's `CleanSpec`). */
export function withExplicitRanges(spec: ScheduleSpec): ScheduleSpec {
  return {
    ...spec,
    structuredCalendar: (spec.structuredCalendar ?? []).map(explicitCalendar),
    excludeStructuredCalendar: (spec.excludeStructuredCalendar ?? []).map(explicitCalendar),
  };
}
