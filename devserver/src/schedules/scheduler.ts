/**
 * The devserver's Temporal Schedules, run natively rather than as system workflows: creating,
 * describing, updating, patching and deleting schedules, and their state for the journal. Each
 * schedule's behaviour lives in ScheduleRuntime; this class keeps them by namespace and id.
 *
 * Requests reaching here are validated (see services/schedules.ts), with the spec in canonical form.
 */
import { status } from '@grpc/grpc-js';
import { ServiceError, failedPrecondition, notFound } from '../errors';
import type { Memo, SearchAttributes } from '../proto';
import type { SchedulerHost } from './host';
import { withResolvedPolicies } from './scheduler-policies';
import type { ScheduleUpdate } from './scheduler-changes';
import { ScheduleRuntime } from './scheduler-runtime';
import {
  type Schedule,
  type SchedulePatch,
  type ScheduleRecord,
  type ScheduleSnapshot,
  fromSnapshot,
  toSnapshot,
} from './scheduler-state';
import { type DescribeScheduleResponse, describeSchedule } from './scheduler-view';

export interface CreateScheduleInput {
  namespace: string;
  scheduleId: string;
  schedule: Schedule;
  initialPatch?: SchedulePatch;
  memo?: Memo;
  searchAttributes?: SearchAttributes;
  requestId?: string;
}

export interface UpdateScheduleInput extends ScheduleUpdate {
  /** The counter of the caller's conflict token; undefined updates unconditionally. */
  conflictToken?: number;
  requestId?: string;
}

/** How many Update/Patch request ids a schedule remembers to apply a retried call once. */
const REMEMBERED_REQUEST_IDS = 50;

export const scheduleNotFound = () => notFound('schedule not found');

export class Scheduler {
  private readonly schedules = new Map<string, ScheduleRuntime>();

  constructor(private readonly host: SchedulerHost) {}

  /** Returns the new schedule's conflict token counter. */
  create(input: CreateScheduleInput): number {
    const key = scheduleKey(input.namespace, input.scheduleId);
    const existing = this.schedules.get(key);
    if (existing) {
      // A retried create (same request id) succeeds again, as on the server.
      if (input.requestId && existing.record.recentRequestIds.includes(input.requestId)) {
        return existing.record.conflictToken;
      }
      throw new ServiceError(status.ALREADY_EXISTS, `schedule "${input.scheduleId}" is already registered`);
    }
    const now = this.host.now();
    const record: ScheduleRecord = {
      namespace: input.namespace,
      namespaceId: this.host.namespaceId(input.namespace),
      scheduleId: input.scheduleId,
      schedule: withResolvedPolicies(input.schedule),
      memo: input.memo,
      searchAttributes: input.searchAttributes,
      createTimeMs: now,
      conflictToken: 1,
      lastProcessedMs: now,
      counters: { actionCount: 0, missedCatchupWindow: 0, overlapSkipped: 0, bufferDropped: 0 },
      runningWorkflows: [],
      recentActions: [],
      bufferedStarts: [],
      ongoingBackfills: [],
      recentRequestIds: input.requestId ? [input.requestId] : [],
    };
    const runtime = this.add(record);
    this.host.log('schedule created', { namespace: input.namespace, scheduleId: input.scheduleId });
    runtime.start(input.initialPatch);
    return record.conflictToken;
  }

  describe(namespace: string, scheduleId: string): DescribeScheduleResponse {
    return describeSchedule(this.get(namespace, scheduleId));
  }

  update(namespace: string, scheduleId: string, input: UpdateScheduleInput): void {
    const runtime = this.get(namespace, scheduleId);
    if (alreadyApplied(runtime, input.requestId)) return;
    if (input.conflictToken !== undefined && input.conflictToken !== runtime.record.conflictToken) {
      throw failedPrecondition('mismatched conflict token');
    }
    rememberRequest(runtime, input.requestId);
    runtime.update({ schedule: input.schedule, searchAttributes: input.searchAttributes, memo: input.memo });
  }

  patch(namespace: string, scheduleId: string, patch: SchedulePatch, requestId?: string): void {
    const runtime = this.get(namespace, scheduleId);
    if (alreadyApplied(runtime, requestId)) return;
    rememberRequest(runtime, requestId);
    runtime.patch(patch);
  }

  /** Removes the schedule; workflows it started keep running. */
  delete(namespace: string, scheduleId: string): void {
    const runtime = this.get(namespace, scheduleId);
    this.remove(runtime);
    this.host.log('schedule deleted', { namespace, scheduleId });
  }

  /** The scheduled (actual) times in (startMs, endMs], at most 1000. */
  matchingTimes(namespace: string, scheduleId: string, startMs: number, endMs: number): number[] {
    const runtime = this.get(namespace, scheduleId);
    if (!runtime.spec) throw failedPrecondition(`invalid schedule: ${runtime.invalidScheduleError ?? ''}`);
    return runtime.spec.matchingTimes(startMs, endMs);
  }

  /** The namespace's schedules, for ListSchedules and CountSchedules. */
  schedulesIn(namespace: string): ScheduleRuntime[] {
    return [...this.schedules.values()].filter((runtime) => runtime.record.namespace === namespace);
  }

  get(namespace: string, scheduleId: string): ScheduleRuntime {
    const runtime = this.schedules.get(scheduleKey(namespace, scheduleId));
    if (!runtime) throw scheduleNotFound();
    return runtime;
  }

  /** The schedule's whole state as JSON-serialisable data; undefined once it is deleted. */
  snapshot(namespace: string, scheduleId: string): ScheduleSnapshot | undefined {
    const runtime = this.schedules.get(scheduleKey(namespace, scheduleId));
    return runtime ? toSnapshot(runtime.record) : undefined;
  }

  snapshots(): ScheduleSnapshot[] {
    return [...this.schedules.values()].map((runtime) => toSnapshot(runtime.record));
  }

  /**
   * Brings back a schedule from its snapshot (after a restart). It resumes on the next clock turn,
   * once everything else has been restored: runs it started are watched again and the times missed
   * meanwhile are taken or counted as missed (catch-up window).
   */
  restore(snapshot: ScheduleSnapshot): void {
    const record = fromSnapshot(snapshot);
    const existing = this.schedules.get(scheduleKey(record.namespace, record.scheduleId));
    if (existing) this.remove(existing);
    const runtime = this.add(record);
    this.host.scheduleAt(this.host.now(), `schedule ${record.scheduleId} resume`, () => {
      if (this.schedules.get(scheduleKey(record.namespace, record.scheduleId)) === runtime) runtime.resume();
    });
  }

  private add(record: ScheduleRecord): ScheduleRuntime {
    const runtime = new ScheduleRuntime(this.host, record, (expired) => this.remove(expired));
    this.schedules.set(scheduleKey(record.namespace, record.scheduleId), runtime);
    return runtime;
  }

  private remove(runtime: ScheduleRuntime): void {
    const { namespace, scheduleId } = runtime.record;
    runtime.dispose();
    this.schedules.delete(scheduleKey(namespace, scheduleId));
    this.host.changed(namespace, scheduleId);
  }
}

/** A retried Update or Patch (same request id) is acknowledged without being applied again. */
function alreadyApplied(runtime: ScheduleRuntime, requestId: string | undefined): boolean {
  return requestId !== undefined && requestId !== '' && runtime.record.recentRequestIds.includes(requestId);
}

function rememberRequest(runtime: ScheduleRuntime, requestId: string | undefined): void {
  if (!requestId) return;
  const ids = runtime.record.recentRequestIds;
  ids.push(requestId);
  if (ids.length > REMEMBERED_REQUEST_IDS) ids.splice(0, ids.length - REMEMBERED_REQUEST_IDS);
}

function scheduleKey(namespace: string, scheduleId: string): string {
  return `${namespace}\u0000${scheduleId}`;
}
