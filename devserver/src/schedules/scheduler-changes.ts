/**
 * How an UpdateSchedule, a PatchSchedule and the close of a started run change a schedule's
 * state, as the real server's scheduler applies them (`processUpdate`, `processPatch`,
 * `processWatcherResult`). Starting anything is the runtime's business; these only change state.
 */
import { Status } from '../execution/types';
import type { Memo, Payloads, SearchAttributes } from '../proto';
import type { RunOutcome } from './host';
import { SCHEDULER_LIMITS, msOf, withResolvedPolicies } from './scheduler-policies';
import type { BufferedStart, RunRef, Schedule, SchedulePatch, ScheduleRecord } from './scheduler-state';

/** An UpdateSchedule request, validated. */
export interface ScheduleUpdate {
  schedule: Schedule;
  /** Replaces the schedule's custom search attributes when given (an empty map clears them). */
  searchAttributes?: SearchAttributes;
  /** Replaces the schedule's memo when given. */
  memo?: Memo;
}

/** Replaces the schedule (spec, action, policies and state); its info and counters stay. */
export function applyUpdate(record: ScheduleRecord, update: ScheduleUpdate, now: number): void {
  record.schedule = withResolvedPolicies(update.schedule);
  if (update.searchAttributes !== undefined) record.searchAttributes = update.searchAttributes;
  if (update.memo !== undefined) record.memo = update.memo;
  record.updateTimeMs = now;
  record.conflictToken++;
}

/**
 * Applies a patch's pause/unpause and queues its backfills; returns the start a trigger asks for
 * (manual: it runs even when paused), which the caller buffers.
 */
export function applyPatch(record: ScheduleRecord, patch: SchedulePatch, now: number): BufferedStart | undefined {
  for (const backfill of patch.backfillRequest ?? []) {
    if (record.ongoingBackfills.length >= SCHEDULER_LIMITS.maxBufferSize) {
      record.counters.bufferDropped++;
      continue;
    }
    record.ongoingBackfills.push({
      // The start time is inclusive: the walk looks for times after a point just before it.
      startMs: msOf(backfill.startTime) - 1,
      endMs: msOf(backfill.endTime),
      overlapPolicy: backfill.overlapPolicy ?? 0,
    });
  }
  const state = (record.schedule.state ??= {});
  if (patch.pause) {
    state.paused = true;
    state.notes = patch.pause;
    record.conflictToken++;
  }
  if (patch.unpause) {
    state.paused = false;
    state.notes = patch.unpause;
    record.conflictToken++;
  }
  const trigger = patch.triggerImmediately;
  if (!trigger) return undefined;
  const at = msOf(trigger.scheduledTime) || now;
  return { nominalMs: at, actualMs: at, overlapPolicy: trigger.overlapPolicy ?? 0, manual: true };
}

/**
 * Records how a run the schedule started ended: its status in the recent actions and, for runs
 * the schedule tracks (all but ALLOW_ALL ones), the running list, pause-on-failure and the
 * result/failure handed to the next run.
 */
export function recordRunClosed(record: ScheduleRecord, run: RunRef, tracked: boolean, outcome: RunOutcome): void {
  const action = record.recentActions.find((a) => a.workflowId === run.workflowId && a.runId === run.runId);
  if (action) action.status = outcome.status;
  if (!tracked) return;
  const index = record.runningWorkflows.findIndex((r) => r.workflowId === run.workflowId && r.runId === run.runId);
  if (index >= 0) record.runningWorkflows.splice(index, 1);

  const state = (record.schedule.state ??= {});
  const failed = outcome.status === Status.FAILED || outcome.status === Status.TIMED_OUT;
  if (record.schedule.policies?.pauseOnFailure && failed && !state.paused) {
    state.paused = true;
    state.notes =
      outcome.status === Status.FAILED
        ? `paused due to workflow failure: ${run.workflowId}: ${outcome.failure?.message ?? ''}`
        : `paused due to workflow timeout: ${run.workflowId}`;
    record.conflictToken++;
  }
  if (outcome.result) {
    record.lastCompletionResult = outcome.result as Payloads;
    record.continuedFailure = undefined;
  } else if (outcome.failure) {
    // The last result stays: the next run sees both.
    record.continuedFailure = outcome.failure;
  }
}

/** When an idle schedule goes away: the last creation, update or action plus the retention period. */
export function retentionExpiryOf(record: ScheduleRecord): number {
  const lastAction = record.recentActions.at(-1)?.actualMs ?? 0;
  return Math.max(lastAction, record.createTimeMs, record.updateTimeMs ?? 0) + SCHEDULER_LIMITS.retentionMs;
}
