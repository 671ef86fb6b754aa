/**
 * Legacy workflow cron (`StartWorkflowExecution.cronSchedule`), read and stepped exactly as the
 * server does it with robfig/cron v3's standard parser: 5 fields (minute hour day-of-month month
 * day-of-week), optional `CRON_TZ=`/`TZ=` prefix (UTC otherwise: the server passes UTC times),
 * descriptors `@yearly`/`@annually`/`@monthly`/`@weekly`/`@daily`/`@midnight`/`@hourly` and
 * `@every <Go duration>`. Unlike schedule cron strings, day of month and day of week are OR-ed
 * when both are restricted (classic cron), there is no year or seconds field and no `#` comment.
 */
import { CronScheduleError } from './spec-errors';
import { DurationSyntaxError, parseGoDuration } from './spec-duration';
import {
  loadTimeZone,
  localToEpochSeconds,
  type TimeZone,
  toLocalFields,
  UnknownTimeZoneError,
  UTC_ZONE,
} from './timezone';

export { CronScheduleError } from './spec-errors';

/** One field: the values it allows, and whether it was written as `*`/`?` (which matters for the day OR rule). */
export interface CronField {
  readonly allowed: ReadonlySet<number>;
  readonly star: boolean;
}

export interface CronFieldsSchedule {
  readonly kind: 'fields';
  readonly zone: TimeZone;
  readonly second: CronField;
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  readonly dayOfWeek: CronField;
}

export interface CronEverySchedule {
  readonly kind: 'every';
  /** Whole seconds, at least 1 (robfig rounds down to seconds and raises anything shorter to 1s). */
  readonly delaySeconds: number;
}

export type CronSchedule = CronFieldsSchedule | CronEverySchedule;

interface Bounds {
  label: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTE: Bounds = { label: 'minute', min: 0, max: 59 };
const HOUR: Bounds = { label: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: Bounds = { label: 'day of month', min: 1, max: 31 };
const MONTH: Bounds = {
  label: 'month',
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DAY_OF_WEEK: Bounds = {
  label: 'day of week',
  min: 0,
  max: 6,
  names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
};

function range(min: number, max: number, step = 1): Set<number> {
  const values = new Set<number>();
  for (let value = min; value <= max; value += step) values.add(value);
  return values;
}

const only = (value: number): CronField => ({ allowed: new Set([value]), star: false });
const every = (bounds: Bounds): CronField => ({ allowed: range(bounds.min, bounds.max), star: true });

const DESCRIPTORS: Record<string, Omit<CronFieldsSchedule, 'kind' | 'zone'>> = {
  '@yearly': {
    second: only(0),
    minute: only(0),
    hour: only(0),
    dayOfMonth: only(1),
    month: only(1),
    dayOfWeek: every(DAY_OF_WEEK),
  },
  '@monthly': {
    second: only(0),
    minute: only(0),
    hour: only(0),
    dayOfMonth: only(1),
    month: every(MONTH),
    dayOfWeek: every(DAY_OF_WEEK),
  },
  '@weekly': {
    second: only(0),
    minute: only(0),
    hour: only(0),
    dayOfMonth: every(DAY_OF_MONTH),
    month: every(MONTH),
    dayOfWeek: only(0),
  },
  '@daily': {
    second: only(0),
    minute: only(0),
    hour: only(0),
    dayOfMonth: every(DAY_OF_MONTH),
    month: every(MONTH),
    dayOfWeek: every(DAY_OF_WEEK),
  },
  '@hourly': {
    second: only(0),
    minute: only(0),
    hour: every(HOUR),
    dayOfMonth: every(DAY_OF_MONTH),
    month: every(MONTH),
    dayOfWeek: every(DAY_OF_WEEK),
  },
};
DESCRIPTORS['@annually'] = DESCRIPTORS['@yearly'];
DESCRIPTORS['@midnight'] = DESCRIPTORS['@daily'];

/** Parses a legacy workflow cron schedule; throws CronScheduleError naming the problem. */
export function parseCronString(cron: string): CronSchedule {
  const fail = (detail: string): never => {
    throw new CronScheduleError(`invalid cron schedule ${JSON.stringify(cron)}: ${detail}`);
  };
  if (cron.length === 0) fail('it is empty');
  let spec = cron;
  let zone = UTC_ZONE;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    if (space < 0) fail('it has a time zone but no fields after it');
    const zoneName = spec.slice(spec.indexOf('=') + 1, space);
    try {
      zone = loadTimeZone(zoneName);
    } catch (error) {
      if (error instanceof UnknownTimeZoneError) fail(error.message);
      throw error;
    }
    spec = spec.slice(space).trim();
  }
  if (spec.startsWith('@')) return parseDescriptor(spec, zone, fail);
  const fields = spec.split(/\s+/).filter((field) => field !== '');
  if (fields.length !== 5) {
    fail(`expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`);
  }
  const parse = (text: string, bounds: Bounds): CronField => {
    try {
      return parseField(text, bounds);
    } catch (error) {
      if (error instanceof CronFieldError) return fail(error.message);
      throw error;
    }
  };
  return {
    kind: 'fields',
    zone,
    second: only(0),
    minute: parse(fields[0], MINUTE),
    hour: parse(fields[1], HOUR),
    dayOfMonth: parse(fields[2], DAY_OF_MONTH),
    month: parse(fields[3], MONTH),
    dayOfWeek: parse(fields[4], DAY_OF_WEEK),
  };
}

function parseDescriptor(spec: string, zone: TimeZone, fail: (detail: string) => never): CronSchedule {
  const fields = DESCRIPTORS[spec];
  if (fields) return { kind: 'fields', zone, ...fields };
  const everyPrefix = '@every ';
  if (spec.startsWith(everyPrefix)) {
    let nanos: bigint;
    try {
      nanos = parseGoDuration(spec.slice(everyPrefix.length));
    } catch (error) {
      if (error instanceof DurationSyntaxError) return fail(error.message);
      throw error;
    }
    const seconds = Number(nanos / 1_000_000_000n);
    return { kind: 'every', delaySeconds: Math.max(seconds, 1) };
  }
  return fail(
    `unknown descriptor "${spec}" (use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>)`,
  );
}

class CronFieldError extends Error {}

function parseNumberOrName(text: string, bounds: Bounds, item: string): number {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[+-]?\d+$/.test(text)) {
    throw new CronFieldError(`${bounds.label} "${item}": "${text}" is not a number${bounds.names ? ' or a name' : ''}`);
  }
  const value = Number(text);
  if (value < 0) throw new CronFieldError(`${bounds.label} "${item}": negative numbers are not allowed`);
  return value;
}

/** A comma-separated list of `*`, `?`, `n`, `n-m`, each with an optional `/step`. */
function parseField(text: string, bounds: Bounds): CronField {
  const allowed = new Set<number>();
  let star = false;
  for (const item of text.split(',').filter((part) => part !== '')) {
    const [rangeText, stepText, ...extraSlashes] = item.split('/');
    if (extraSlashes.length > 0) throw new CronFieldError(`${bounds.label} "${item}" has more than one "/"`);
    const ends = rangeText.split('-');
    let start: number;
    let end: number;
    let itemStar = false;
    if (ends[0] === '*' || ends[0] === '?') {
      start = bounds.min;
      end = bounds.max;
      itemStar = true;
    } else {
      start = parseNumberOrName(ends[0], bounds, item);
      if (ends.length > 2) throw new CronFieldError(`${bounds.label} "${item}" has more than one "-"`);
      end = ends.length === 2 ? parseNumberOrName(ends[1], bounds, item) : start;
    }
    let step = 1;
    if (stepText !== undefined) {
      step = parseNumberOrName(stepText, { ...bounds, names: undefined }, item);
      // "n/step" runs from n to the maximum.
      if (ends.length === 1) end = bounds.max;
      // "*/2" is a restriction, not a star, for the day-of-month/day-of-week rule.
      if (step > 1) itemStar = false;
    }
    const accepted = `${bounds.min}-${bounds.max}`;
    if (start < bounds.min) throw new CronFieldError(`${bounds.label} value ${start} out of range ${accepted}`);
    if (end > bounds.max) throw new CronFieldError(`${bounds.label} value ${end} out of range ${accepted}`);
    if (start > end) throw new CronFieldError(`${bounds.label} range "${item}" ends before it starts`);
    if (step === 0) throw new CronFieldError(`${bounds.label} step in "${item}" must be a positive number`);
    for (const value of range(start, end, step)) allowed.add(value);
    star ||= itemStar;
  }
  return { allowed, star };
}

/** robfig/cron gives up when nothing matches within five years of the start. */
const SEARCH_YEARS = 5;

/** The day rule of classic cron: when both day fields are restricted, either may match. */
function dayMatches(schedule: CronFieldsSchedule, day: number, weekday: number): boolean {
  const dayOfMonthMatch = schedule.dayOfMonth.allowed.has(day);
  const dayOfWeekMatch = schedule.dayOfWeek.allowed.has(weekday);
  if (schedule.dayOfMonth.star || schedule.dayOfWeek.star) return dayOfMonthMatch && dayOfWeekMatch;
  return dayOfMonthMatch || dayOfWeekMatch;
}

/**
 * The first time after `afterMs` (epoch ms) the schedule fires, as robfig/cron's `Next` computes
 * it, or undefined when there is none within five years. Steps are those of robfig/cron,
 * including its handling of DST (it adds real hours and minutes, and nudges a day start that DST
 * moved off midnight back onto it).
 */
export function nextCronTime(schedule: CronSchedule, afterMs: number): number | undefined {
  // Start at the next whole second.
  let t = Math.floor(afterMs / 1000) + 1;
  if (schedule.kind === 'every') return (t - 1 + schedule.delaySeconds) * 1000;
  const zone = schedule.zone;
  const local = (): ReturnType<typeof toLocalFields> => toLocalFields(zone, t);
  let added = false;
  const yearLimit = local().year + SEARCH_YEARS;

  wrap: while (true) {
    if (local().year > yearLimit) return undefined;

    while (!schedule.month.allowed.has(local().month)) {
      if (!added) {
        added = true;
        const { year, month } = local();
        t = localToEpochSeconds(zone, year, month, 1, 0, 0, 0);
      }
      const { year, month, day, hour, minute, second } = local();
      t = localToEpochSeconds(zone, year, month + 1, day, hour, minute, second);
      if (local().month === 1) continue wrap;
    }

    while (!dayMatches(schedule, local().day, local().weekday)) {
      if (!added) {
        added = true;
        const { year, month, day } = local();
        t = localToEpochSeconds(zone, year, month, day, 0, 0, 0);
      }
      const { year, month, day, hour, minute, second } = local();
      t = localToEpochSeconds(zone, year, month, day + 1, hour, minute, second);
      // DST may have moved the day's start off midnight: 23:00 goes forward, 01:00 back.
      const hourNow = local().hour;
      if (hourNow !== 0) t += (hourNow > 12 ? 24 - hourNow : -hourNow) * 3600;
      if (local().day === 1) continue wrap;
    }

    while (!schedule.hour.allowed.has(local().hour)) {
      if (!added) {
        added = true;
        const { year, month, day, hour } = local();
        t = localToEpochSeconds(zone, year, month, day, hour, 0, 0);
      }
      t += 3600;
      if (local().hour === 0) continue wrap;
    }

    while (!schedule.minute.allowed.has(local().minute)) {
      if (!added) {
        added = true;
        t = Math.floor(t / 60) * 60;
      }
      t += 60;
      if (local().minute === 0) continue wrap;
    }

    while (!schedule.second.allowed.has(local().second)) {
      // t is already a whole second, so robfig's truncation to the second changes nothing.
      added = true;
      t += 1;
      if (local().second === 0) continue wrap;
    }
    return t * 1000;
  }
}

/** The server's check at StartWorkflowExecution: the schedule parses and fires at least once within five years of `nowMs`. */
export function validateCronSchedule(cron: string, nowMs: number): CronSchedule {
  const schedule = parseCronString(cron);
  if (nextCronTime(schedule, nowMs) === undefined) {
    throw new CronScheduleError(
      `invalid cron schedule ${JSON.stringify(cron)}: it never fires (no matching time within five years)`,
    );
  }
  return schedule;
}

/**
 * Steps of the catch-up walk before jumping close to `now`. The server walks every fire time
 * between the run's scheduled start and now; for a long run of a frequent schedule that is a long
 * walk, so past this many steps the walk restarts a day before now. In UTC (and any zone without
 * DST changes in that last day) the result is the same; across a DST change it is what robfig's
 * `Next` gives from that day, which can only differ where robfig's own DST handling is irregular.
 */
const CATCH_UP_STEPS_BEFORE_JUMP = 1000;
const JUMP_MARGIN_MS = 86_400_000;

/**
 * Milliseconds (whole seconds, rounded up) to wait from `nowMs` until the next cron time, as the
 * server computes the backoff for a legacy cron workflow: the next fire time after `startMs`
 * (the run's scheduled time, default `nowMs`) that is not before `nowMs`. Returns undefined when
 * the schedule never fires again (the server then starts no further run). Throws
 * CronScheduleError when the string does not parse.
 */
export function cronBackoffMs(cron: string, nowMs: number, startMs: number = nowMs): number | undefined {
  const schedule = parseCronString(cron);
  let next: number | undefined;
  if (nowMs < startMs) {
    next = startMs;
  } else if (schedule.kind === 'every') {
    // Successive times are the first one plus whole delays; take the first not before now.
    const first = nextCronTime(schedule, startMs) as number;
    const delayMs = schedule.delaySeconds * 1000;
    next = first < nowMs ? first + Math.ceil((nowMs - first) / delayMs) * delayMs : first;
  } else {
    next = nextCronTime(schedule, startMs);
    for (let steps = 0; next !== undefined && next < nowMs; steps++) {
      if (steps === CATCH_UP_STEPS_BEFORE_JUMP) {
        next = nextCronTime(schedule, Math.max(startMs, nowMs - JUMP_MARGIN_MS));
        continue;
      }
      next = nextCronTime(schedule, next);
    }
  }
  if (next === undefined) return undefined;
  return Math.ceil((next - nowMs) / 1000) * 1000;
}
