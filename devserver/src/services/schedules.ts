/**
 * Schedule RPCs of the WorkflowService, with the real server's validation and messages (its
 * frontend `CreateSchedule`, `UpdateSchedule`, `PatchSchedule`, ... handlers). The schedules
 * themselves run in the Scheduler.
 */
import type { temporal } from '@temporalio/proto';
import { invalidArgument } from '../errors';
import { retryPolicyProblem } from '../execution/retry';
import type { Handler } from '../grpc';
import { type Plain, type SearchAttributes, msFromTimestamp, timestampFromMs } from '../proto';
import { type Scheduler } from '../schedules/scheduler';
import { decodeConflictToken, encodeConflictToken, type Schedule } from '../schedules/scheduler-state';
import { listEntry, visibilityRecord } from '../schedules/scheduler-view';
import { canonicalPlainSpec, compilePlainSpec } from '../schedules/scheduler-policies';
import { ScheduleSpecError } from '../schedules/spec';
import type { Store } from '../store';
import { VisibilityQueryError, parseVisibilityQuery } from '../visibility';
import type { ParsedVisibilityQuery, ParseVisibilityQueryOptions } from '../visibility/types';
import { namespaceOf } from './executions';

type Req<T> = Plain<T>;
type NewWorkflowExecutionInfo = Plain<temporal.api.workflow.v1.INewWorkflowExecutionInfo>;

const MAX_ID_LENGTH = 1000;
const NOTES_SIZE_LIMIT = 1000;
const MAX_PAGE_SIZE = 1000;
/** The server checks an action's workflow id with a timestamp like this appended. */
const APPENDED_TIMESTAMP_FOR_VALIDATION = '-2009-11-10T23:00:00Z';
/** The server names each schedule's workflow with this prefix; ids are checked with it. */
const SCHEDULER_WORKFLOW_ID_PREFIX = 'temporal-sys-scheduler:';
const REUSE_ALLOW_DUPLICATE = 1;

export function scheduleHandlers(store: Store, scheduler: Scheduler): Record<string, Handler> {
  /** The spec as the schedule keeps it, or INVALID_ARGUMENT "Invalid schedule spec: ..." (a TypeError in the TS client). */
  const canonicalSchedule = (namespace: string, scheduleId: string, schedule: Schedule | undefined): Schedule => {
    try {
      const compiled = compilePlainSpec(schedule?.spec ?? {}, scheduleId, store.namespaceId(namespace));
      return { ...schedule, spec: canonicalPlainSpec(compiled) };
    } catch (err) {
      if (err instanceof ScheduleSpecError) throw invalidArgument(`Invalid schedule spec: ${err.message}`);
      throw err;
    }
  };

  const checkSearchAttributes = (namespace: string, searchAttributes: SearchAttributes | undefined) => {
    const problem = store.searchAttributesProblem(namespace, searchAttributes);
    if (problem) throw invalidArgument(problem);
  };

  const checkSchedule = (namespace: string, scheduleId: string, schedule: Schedule | undefined): Schedule => {
    const canonical = canonicalSchedule(namespace, scheduleId, schedule);
    const startWorkflow = canonical.action?.startWorkflow;
    if (!startWorkflow) {
      throw invalidArgument('Schedule action is not set on request: set action.startWorkflow.');
    }
    checkStartWorkflow(startWorkflow);
    checkSearchAttributes(namespace, startWorkflow.searchAttributes);
    return canonical;
  };

  const parseQuery = (namespace: string, query: string | undefined, options: ParseVisibilityQueryOptions = {}) => {
    try {
      return parseVisibilityQuery(query ?? '', customAttributes(store, namespace), { ...options, forSchedules: true });
    } catch (err) {
      if (err instanceof VisibilityQueryError) throw invalidArgument(err.message);
      throw err;
    }
  };

  const matching = (namespace: string, parsed: ParsedVisibilityQuery) => {
    const custom = customAttributes(store, namespace);
    return scheduler
      .schedulesIn(namespace)
      .filter((runtime) => parsed.matches(visibilityRecord(runtime, custom)))
      .sort(
        (a, b) =>
          b.record.createTimeMs - a.record.createTimeMs || compareStrings(a.record.scheduleId, b.record.scheduleId),
      );
  };

  return {
    CreateSchedule: (request: Req<temporal.api.workflowservice.v1.ICreateScheduleRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      const scheduleId = request.scheduleId ?? '';
      if (!scheduleId) throw invalidArgument('ScheduleId is not set on request.');
      if ((SCHEDULER_WORKFLOW_ID_PREFIX + scheduleId).length > MAX_ID_LENGTH) {
        throw invalidArgument('WorkflowId length exceeds limit.');
      }
      if (!request.requestId) throw invalidArgument('RequestId is not set on request.');
      checkRequestId(request.requestId);
      const schedule = checkSchedule(namespace, scheduleId, request.schedule);
      checkSearchAttributes(namespace, request.searchAttributes);
      if (request.initialPatch) checkPatch(request.initialPatch);
      const token = scheduler.create({
        namespace,
        scheduleId,
        schedule,
        initialPatch: request.initialPatch,
        memo: request.memo,
        searchAttributes: request.searchAttributes,
        requestId: request.requestId,
      });
      return { conflictToken: encodeConflictToken(token) };
    },

    DescribeSchedule: (request: Req<temporal.api.workflowservice.v1.IDescribeScheduleRequest>) =>
      scheduler.describe(namespaceOf(store, request.namespace), request.scheduleId ?? ''),

    UpdateSchedule: (request: Req<temporal.api.workflowservice.v1.IUpdateScheduleRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      const scheduleId = request.scheduleId ?? '';
      checkRequestId(request.requestId);
      const schedule = checkSchedule(namespace, scheduleId, request.schedule);
      checkSearchAttributes(namespace, request.searchAttributes);
      scheduler.update(namespace, scheduleId, {
        schedule,
        searchAttributes: request.searchAttributes,
        memo: request.memo,
        conflictToken: decodeConflictToken(request.conflictToken),
        requestId: request.requestId,
      });
      return {};
    },

    PatchSchedule: (request: Req<temporal.api.workflowservice.v1.IPatchScheduleRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      const patch = request.patch;
      if (!patch) throw invalidArgument('Patch is not set on request.');
      checkRequestId(request.requestId);
      checkPatch(patch);
      if (patch.triggerImmediately && !patch.triggerImmediately.scheduledTime) {
        patch.triggerImmediately.scheduledTime = timestampFromMs(store.clock.now());
      }
      scheduler.patch(namespace, request.scheduleId ?? '', patch, request.requestId);
      return {};
    },

    DeleteSchedule: (request: Req<temporal.api.workflowservice.v1.IDeleteScheduleRequest>) => {
      scheduler.delete(namespaceOf(store, request.namespace), request.scheduleId ?? '');
      return {};
    },

    ListSchedules: (request: Req<temporal.api.workflowservice.v1.IListSchedulesRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      const requested = request.maximumPageSize ?? 0;
      const pageSize = requested > 0 && requested <= MAX_PAGE_SIZE ? requested : MAX_PAGE_SIZE;
      const all = matching(namespace, parseQuery(namespace, request.query));
      const after = decodePageToken(request.nextPageToken);
      const from = after
        ? all.findIndex(
            (r) =>
              r.record.createTimeMs < after.createTimeMs ||
              (r.record.createTimeMs === after.createTimeMs &&
                compareStrings(r.record.scheduleId, after.scheduleId) > 0),
          )
        : 0;
      const page = from < 0 ? [] : all.slice(from, from + pageSize);
      const last = page.at(-1);
      const more = from >= 0 && from + pageSize < all.length && last !== undefined;
      return {
        schedules: page.map(listEntry),
        nextPageToken: more ? encodePageToken(last.record.createTimeMs, last.record.scheduleId) : undefined,
      };
    },

    CountSchedules: (request: Req<temporal.api.workflowservice.v1.ICountSchedulesRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      const parsed = parseQuery(namespace, request.query, { allowGroupBy: true });
      const matched = matching(namespace, parsed);
      if (parsed.groupBy.length === 0) return { count: matched.length };
      const custom = customAttributes(store, namespace);
      const groups = new Map<string, { values: unknown[]; count: number }>();
      for (const runtime of matched) {
        const record = visibilityRecord(runtime, custom);
        const values = parsed.groupBy.map((name) => record[name] ?? null);
        const key = JSON.stringify(values);
        const group = groups.get(key) ?? { values, count: 0 };
        group.count++;
        groups.set(key, group);
      }
      return {
        count: matched.length,
        groups: [...groups.values()].map(({ values, count }) => ({
          groupValues: values.map((value) => ({
            metadata: { encoding: Buffer.from('json/plain') },
            data: Buffer.from(JSON.stringify(value)),
          })),
          count,
        })),
      };
    },

    ListScheduleMatchingTimes: (request: Req<temporal.api.workflowservice.v1.IListScheduleMatchingTimesRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      const startMs = msFromTimestamp(request.startTime);
      const endMs = msFromTimestamp(request.endTime);
      if (startMs === undefined || endMs === undefined) {
        throw invalidArgument('missing or invalid query: set both startTime and endTime');
      }
      const times = scheduler.matchingTimes(namespace, request.scheduleId ?? '', startMs, endMs);
      return { startTime: times.map(timestampFromMs) };
    },
  };
}

function customAttributes(store: Store, namespace: string) {
  return Object.fromEntries(store.namespaces.get(namespace).customSearchAttributes);
}

function checkRequestId(requestId: string | undefined): void {
  if (requestId && requestId.length > MAX_ID_LENGTH) throw invalidArgument('RequestId length exceeds limit.');
}

/** The server's checks of a schedule's start-workflow action (`validateStartWorkflowArgsForSchedule`). */
function checkStartWorkflow(action: NewWorkflowExecutionInfo): void {
  if ((action.workflowId ?? '').length + APPENDED_TIMESTAMP_FOR_VALIDATION.length > MAX_ID_LENGTH) {
    throw invalidArgument('WorkflowId length exceeds limit.');
  }
  const workflowType = action.workflowType?.name ?? '';
  if (!workflowType) throw invalidArgument('WorkflowType is not set on request.');
  if (workflowType.length > MAX_ID_LENGTH) throw invalidArgument('WorkflowType length exceeds limit.');
  if (!action.taskQueue) throw invalidArgument('taskQueue is not set');
  if (!action.taskQueue.name) throw invalidArgument('missing task queue name');
  for (const [name, duration] of [
    ['WorkflowExecutionTimeoutSeconds', action.workflowExecutionTimeout],
    ['WorkflowRunTimeoutSeconds', action.workflowRunTimeout],
    ['WorkflowTaskTimeoutSeconds', action.workflowTaskTimeout],
  ] as const) {
    if ((duration?.seconds ?? 0) < 0 || (duration?.nanos ?? 0) < 0)
      throw invalidArgument(`An invalid ${name} is set on request.`);
  }
  const retryProblem = retryPolicyProblem(action.retryPolicy);
  if (retryProblem) throw invalidArgument(retryProblem);
  if (action.cronSchedule) throw invalidArgument('Scheduled workflow must not contain CronSchedule');
  const reuse = action.workflowIdReusePolicy ?? 0;
  if (reuse !== 0 && reuse !== REUSE_ALLOW_DUPLICATE) {
    throw invalidArgument('Scheduled workflow must not contain WorkflowIDReusePolicy');
  }
}

function checkPatch(patch: Plain<temporal.api.schedule.v1.ISchedulePatch>): void {
  if ((patch.pause ?? '').length > NOTES_SIZE_LIMIT || (patch.unpause ?? '').length > NOTES_SIZE_LIMIT) {
    throw invalidArgument('Schedule notes exceeds limit.');
  }
  for (const backfill of patch.backfillRequest ?? []) {
    // Without both ends the walk would start at the year 1; the SDKs always send both.
    if (!backfill.startTime || !backfill.endTime) {
      throw invalidArgument('Backfill request must have both startTime and endTime.');
    }
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodePageToken(createTimeMs: number, scheduleId: string): Uint8Array {
  return Buffer.from(JSON.stringify({ createTimeMs, scheduleId }));
}

function decodePageToken(bytes: Uint8Array | undefined): { createTimeMs: number; scheduleId: string } | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const token = JSON.parse(Buffer.from(bytes).toString()) as { createTimeMs: unknown; scheduleId: unknown };
    if (typeof token.createTimeMs === 'number' && typeof token.scheduleId === 'string') {
      return { createTimeMs: token.createTimeMs, scheduleId: token.scheduleId };
    }
  } catch {
    // reported below
  }
  throw invalidArgument('Invalid NextPageToken for ListSchedules: pass the token of the previous page unchanged.');
}
