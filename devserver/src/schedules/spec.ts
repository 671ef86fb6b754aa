/**
 * Temporal ScheduleSpec → fire times, computed as the Temporal server computes them (its
 * `service/worker/scheduler/spec.go`): the union of calendars and intervals, minus excluded
 * calendars, within start/end time, each nominal time shifted by a deterministic jitter.
 *
 * All times are epoch milliseconds. Fire times fall on whole seconds before jitter.
 */
import type { temporal } from '@temporalio/proto';
import { MAX_CALENDAR_YEAR } from './spec-calendar-parse';
import { canonicalForm, withExplicitRanges } from './spec-canonical';
import { CompiledCalendar } from './spec-calendar';
import { ScheduleSpecError } from './spec-errors';
import { jitterMs } from './spec-jitter';
import { durationToMs, durationToWholeSeconds, timestampToMs } from './spec-proto';
import { civilToEpochSeconds, loadTimeZone, type TimeZone, UnknownTimeZoneError } from './timezone';

export { ScheduleSpecError } from './spec-errors';

type ScheduleSpec = temporal.api.schedule.v1.IScheduleSpec;

export interface ScheduleTime {
  /** The time the spec matches. */
  nominalMs: number;
  /** When the action runs: the nominal time plus jitter. */
  actualMs: number;
}

export interface CompiledScheduleSpec {
  /** The spec as DescribeSchedule shows it (see `canonicalizeScheduleSpec`). */
  readonly canonical: ScheduleSpec;
  /** The next nominal fire time strictly after `afterMs` (epoch ms), honouring start/end time and excludes; undefined when none. */
  nextNominalTime(afterMs: number): number | undefined;
  /** The actual time for a nominal time: nominal + deterministic jitter in [0, jitter), as the server computes it (a hash of the schedule id and nominal time, so restarts give the same jitter). */
  actualTime(nominalMs: number): number;
  /**
   * The server's `GetNextTime`: the next nominal time after `afterMs` and its actual time. The
   * server walks a schedule by feeding each actual time back in as the next `afterMs`.
   */
  nextTime(afterMs: number): ScheduleTime | undefined;
  /**
   * Actual fire times as ListScheduleMatchingTimes returns them: walking from `startMs` as the
   * server does, every actual time after `startMs` and not after `endMs` (both ends as the
   * server treats them: start exclusive, end inclusive), at most `limit` (default 1000, the
   * server's cap).
   */
  matchingTimes(startMs: number, endMs: number, limit?: number): number[];
}

export interface CompileOptions {
  /**
   * The namespace's id. The server seeds jitter with "<namespace id>-<schedule id>"; give it to
   * get the same actual times as a real server would for that namespace. Without it the seed is
   * the schedule id alone.
   */
  namespaceId?: string;
  /**
   * How many excluded candidates the search may skip before giving up and reporting no next time
   * (the server's optional compute limit). Default 1,000,000.
   */
  maxSearchIterations?: number;
}

const DEFAULT_MAX_SEARCH_ITERATIONS = 1_000_000;
const DEFAULT_MATCHING_TIMES_LIMIT = 1000;
/** Nominal times after this (UTC year past the last calendar year) are never used. */
const FIRST_SECOND_PAST_CALENDAR = civilToEpochSeconds(MAX_CALENDAR_YEAR + 1, 1, 1, 0, 0, 0);

function loadZone(spec: ScheduleSpec): TimeZone {
  const name = spec.timezoneName ?? '';
  if (spec.timezoneData && spec.timezoneData.length > 0) {
    // Inline TZif rules are rare (the SDKs send zone names); rejected rather than half-supported.
    throw new ScheduleSpecError(
      'invalid timezoneData: inline TZif zone data is not supported by this server; leave timezoneData empty and ' +
        'set timezoneName to the IANA name of the zone (e.g. "Europe/Berlin")',
    );
  }
  try {
    return loadTimeZone(name);
  } catch (error) {
    if (error instanceof UnknownTimeZoneError) throw new ScheduleSpecError(`invalid timezoneName: ${error.message}`);
    throw error;
  }
}

/** The spec as DescribeSchedule returns it: cron strings and legacy calendars converted to structured calendars, as the server does. */
export function canonicalizeScheduleSpec(spec: ScheduleSpec): ScheduleSpec {
  const canonical = canonicalForm(spec);
  loadZone(canonical);
  return withExplicitRanges(canonical);
}

/** Validates and compiles a spec; throws ScheduleSpecError for anything the server would reject. */
export function compileScheduleSpec(
  spec: ScheduleSpec,
  scheduleId: string,
  options: CompileOptions = {},
): CompiledScheduleSpec {
  const canonical = canonicalForm(spec);
  const zone = loadZone(canonical);
  const seed = options.namespaceId === undefined ? scheduleId : `${options.namespaceId}-${scheduleId}`;
  return new CompiledSpec(canonical, zone, seed, options.maxSearchIterations ?? DEFAULT_MAX_SEARCH_ITERATIONS);
}

interface CompiledInterval {
  everySeconds: number;
  phaseSeconds: number;
}

class CompiledSpec implements CompiledScheduleSpec {
  readonly canonical: ScheduleSpec;
  private readonly calendars: CompiledCalendar[];
  private readonly excludes: CompiledCalendar[];
  private readonly intervals: CompiledInterval[];
  /** Before any start time the search begins one second early, so a start time that matches is used. */
  private readonly earliestAfterMs: number;
  private readonly endMs: number | undefined;
  private readonly jitterMs: number;

  constructor(
    spec: ScheduleSpec,
    zone: TimeZone,
    private readonly seed: string,
    private readonly maxSearchIterations: number,
  ) {
    this.canonical = withExplicitRanges(spec);
    this.calendars = (spec.structuredCalendar ?? []).map((calendar) => new CompiledCalendar(calendar, zone));
    this.excludes = (spec.excludeStructuredCalendar ?? []).map((calendar) => new CompiledCalendar(calendar, zone));
    this.intervals = (spec.interval ?? []).map((interval) => ({
      everySeconds: Math.max(durationToWholeSeconds(interval.interval), 1),
      phaseSeconds: Math.max(durationToWholeSeconds(interval.phase), 0),
    }));
    // Without a start time the server uses the Unix epoch.
    this.earliestAfterMs = timestampToMs(spec.startTime) - 1000;
    this.endMs = spec.endTime ? timestampToMs(spec.endTime) : undefined;
    this.jitterMs = durationToMs(spec.jitter);
  }

  nextNominalTime(afterMs: number): number | undefined {
    let after = Math.floor(Math.max(afterMs, this.earliestAfterMs) / 1000);
    for (let iteration = 0; iteration < this.maxSearchIterations; iteration++) {
      const nominal = this.rawNext(after);
      if (nominal === undefined || this.pastEnd(nominal)) return undefined;
      if (!this.excluded(nominal)) return nominal * 1000;
      after = nominal;
    }
    return undefined;
  }

  actualTime(nominalMs: number): number {
    const nominal = Math.floor(nominalMs / 1000);
    let maxJitterMs = this.jitterMs;
    // Jitter never pushes an action past the following nominal time (excludes not considered).
    const following = this.rawNext(nominal);
    if (following !== undefined) maxJitterMs = Math.min(maxJitterMs, (following - nominal) * 1000);
    return nominal * 1000 + jitterMs(this.seed, nominal, maxJitterMs);
  }

  nextTime(afterMs: number): ScheduleTime | undefined {
    const nominalMs = this.nextNominalTime(afterMs);
    if (nominalMs === undefined) return undefined;
    return { nominalMs, actualMs: this.actualTime(nominalMs) };
  }

  matchingTimes(startMs: number, endMs: number, limit = DEFAULT_MATCHING_TIMES_LIMIT): number[] {
    const times: number[] = [];
    let after = startMs;
    while (times.length < limit) {
      const next = this.nextTime(after);
      if (next === undefined || next.actualMs > endMs) break;
      times.push(next.actualMs);
      after = next.actualMs;
    }
    return times;
  }

  /** The earliest calendar or interval time strictly after the second `after` (epoch seconds), ignoring excludes and bounds. */
  private rawNext(after: number): number | undefined {
    let earliest: number | undefined;
    for (const calendar of this.calendars) {
      const next = calendar.next(after);
      if (next !== undefined && (earliest === undefined || next < earliest)) earliest = next;
    }
    for (const { everySeconds, phaseSeconds } of this.intervals) {
      // Intervals count from the Unix epoch plus phase (Go's integer division truncates toward zero).
      const next = (Math.trunc((after - phaseSeconds) / everySeconds) + 1) * everySeconds + phaseSeconds;
      if (earliest === undefined || next < earliest) earliest = next;
    }
    return earliest;
  }

  private pastEnd(nominal: number): boolean {
    return (this.endMs !== undefined && nominal * 1000 > this.endMs) || nominal >= FIRST_SECOND_PAST_CALENDAR;
  }

  private excluded(nominal: number): boolean {
    return this.excludes.some((exclude) => exclude.matches(nominal));
  }
}
