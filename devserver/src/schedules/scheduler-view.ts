/**
 * What DescribeSchedule and ListSchedules show of a schedule, built from its state as the real
 * server builds it (its describe query, `getListInfo` and the frontend's clean-ups).
 */
import type { temporal } from '@temporalio/proto';
import { type Plain, type SearchAttributes, type Timestamp, timestampFromMs } from '../proto';
import { decodeSearchAttribute } from '../search-attributes';
import type { SearchAttributeType, VisibilityRecord } from '../visibility/types';
import type { ScheduleRuntime } from './scheduler-runtime';
import { SCHEDULER_LIMITS } from './scheduler-policies';
import { type RecordedAction, type ScheduleRecord, encodeConflictToken } from './scheduler-state';

type ScheduleSpec = Plain<temporal.api.schedule.v1.IScheduleSpec>;
type Range = Plain<temporal.api.schedule.v1.IRange>;
type StructuredCalendar = Plain<temporal.api.schedule.v1.IStructuredCalendarSpec>;
export type DescribeScheduleResponse = Plain<temporal.api.workflowservice.v1.IDescribeScheduleResponse>;
export type ScheduleListEntry = Plain<temporal.api.schedule.v1.IScheduleListEntry>;

/**
 * The next `count` action times (actual, jittered), from where the schedule has got to. Times
 * before the last update are left out, and no more than the remaining actions of a limited
 * schedule. Paused schedules still show them, as on the server.
 */
export function futureActionTimes(runtime: ScheduleRuntime, count: number): number[] {
  const spec = runtime.spec;
  const record = runtime.record;
  if (!spec) return [];
  const state = record.schedule.state ?? {};
  const limit = state.limitedActions ? Math.min(state.remainingActions ?? 0, count) : count;
  const updateTimeMs = record.updateTimeMs ?? 0;
  const times: number[] = [];
  let after = record.lastProcessedMs;
  while (times.length < limit) {
    const next = spec.nextTime(after);
    if (!next) break;
    after = next.actualMs;
    if (updateTimeMs > after) continue;
    times.push(after);
  }
  return times;
}

function actionResult(action: RecordedAction): Plain<temporal.api.schedule.v1.IScheduleActionResult> {
  return {
    scheduleTime: timestampFromMs(action.scheduleMs),
    actualTime: timestampFromMs(action.actualMs),
    startWorkflowResult: { workflowId: action.workflowId, runId: action.runId },
    startWorkflowStatus: action.status,
  };
}

const timestamps = (times: number[]): Timestamp[] => times.map(timestampFromMs);

/** Ranges with end below start shown as single values, and step 0 as 1 (the server's CleanSpec). */
function cleanRanges(ranges: Range[] | undefined): Range[] | undefined {
  return ranges?.map((range) => {
    const start = range.start ?? 0;
    const end = range.end ?? 0;
    return { ...range, start, end: end < start ? start : end, step: range.step || 1 };
  });
}

function cleanCalendar(calendar: StructuredCalendar): StructuredCalendar {
  return {
    ...calendar,
    second: cleanRanges(calendar.second),
    minute: cleanRanges(calendar.minute),
    hour: cleanRanges(calendar.hour),
    dayOfMonth: cleanRanges(calendar.dayOfMonth),
    month: cleanRanges(calendar.month),
    year: cleanRanges(calendar.year),
    dayOfWeek: cleanRanges(calendar.dayOfWeek),
  };
}

export function cleanSpec(spec: ScheduleSpec | undefined): ScheduleSpec {
  return {
    ...(spec ?? {}),
    structuredCalendar: spec?.structuredCalendar?.map(cleanCalendar),
    excludeStructuredCalendar: spec?.excludeStructuredCalendar?.map(cleanCalendar),
  };
}

/** Search attributes as the server shows a schedule's: undefined when there are none. */
function shownSearchAttributes(searchAttributes: SearchAttributes | undefined): SearchAttributes | undefined {
  const fields = searchAttributes?.indexedFields ?? {};
  return Object.keys(fields).length > 0 ? { indexedFields: fields } : undefined;
}

function shownMemo(record: ScheduleRecord): ScheduleRecord['memo'] {
  return Object.keys(record.memo?.fields ?? {}).length > 0 ? record.memo : undefined;
}

export function describeSchedule(runtime: ScheduleRuntime): DescribeScheduleResponse {
  const record = runtime.record;
  const { counters } = record;
  return {
    schedule: { ...record.schedule, spec: cleanSpec(record.schedule.spec) },
    info: {
      actionCount: counters.actionCount,
      missedCatchupWindow: counters.missedCatchupWindow,
      overlapSkipped: counters.overlapSkipped,
      bufferDropped: counters.bufferDropped,
      bufferSize: record.bufferedStarts.length,
      runningWorkflows: record.runningWorkflows.map(({ workflowId, runId }) => ({ workflowId, runId })),
      recentActions: record.recentActions.map(actionResult),
      futureActionTimes: timestamps(futureActionTimes(runtime, SCHEDULER_LIMITS.futureActionCount)),
      createTime: timestampFromMs(record.createTimeMs),
      updateTime: record.updateTimeMs === undefined ? undefined : timestampFromMs(record.updateTimeMs),
      invalidScheduleError: runtime.invalidScheduleError,
    },
    memo: shownMemo(record),
    searchAttributes: shownSearchAttributes(record.searchAttributes),
    conflictToken: encodeConflictToken(record.conflictToken),
  };
}

export function listEntry(runtime: ScheduleRuntime): ScheduleListEntry {
  const record = runtime.record;
  const limit = SCHEDULER_LIMITS.specFieldLengthLimitForList;
  const spec = cleanSpec(record.schedule.spec);
  return {
    scheduleId: record.scheduleId,
    memo: shownMemo(record),
    searchAttributes: shownSearchAttributes(record.searchAttributes),
    info: {
      spec: {
        ...spec,
        // Inline zone data is large and not useful in a list; long specs are cut.
        timezoneData: undefined,
        structuredCalendar: spec.structuredCalendar?.slice(0, limit),
        excludeStructuredCalendar: spec.excludeStructuredCalendar?.slice(0, limit),
        interval: spec.interval?.slice(0, limit),
      },
      workflowType: record.schedule.action?.startWorkflow?.workflowType,
      notes: record.schedule.state?.notes,
      paused: record.schedule.state?.paused ?? false,
      recentActions: record.recentActions.slice(-SCHEDULER_LIMITS.recentActionCountForList).map(actionResult),
      futureActionTimes: timestamps(futureActionTimes(runtime, SCHEDULER_LIMITS.futureActionCountForList)),
    },
  };
}

/**
 * The schedule as ListSchedules queries see it: its id (queried as `ScheduleId`), whether it is
 * paused (`TemporalSchedulePaused`) and its custom search attributes.
 */
export function visibilityRecord(
  runtime: ScheduleRuntime,
  customAttributes: Readonly<Record<string, SearchAttributeType>>,
): VisibilityRecord {
  const record = runtime.record;
  const values: Record<string, VisibilityRecord[string]> = {
    WorkflowId: record.scheduleId,
    ExecutionStatus: 'Running',
    StartTime: record.createTimeMs,
    TemporalSchedulePaused: record.schedule.state?.paused ?? false,
  };
  for (const [name, payload] of Object.entries(record.searchAttributes?.indexedFields ?? {})) {
    const type = customAttributes[name];
    if (!type) continue;
    try {
      const value = decodeSearchAttribute(payload, type);
      if (value !== undefined) values[name] = value;
    } catch {
      // Validated when set; an attribute whose type changed since then is left out.
    }
  }
  return values;
}
