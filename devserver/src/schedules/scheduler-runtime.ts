/**
 * One schedule at run time: the loop of the real server's scheduler workflow
 * (service/worker/scheduler/workflow.go), driven by clock timers and run-closed notifications
 * instead of a workflow's timers and activities. Each wake-up takes the scheduled times that fell
 * due, applies an update or patch, takes backfilled times, starts what the overlap policies allow,
 * and sleeps until the next time.
 */
import type { TimerHandle } from '../clock';
import { Status } from '../execution/types';
import type { RunOutcome, SchedulerHost } from './host';
import type { CompiledScheduleSpec } from './spec';
import { planBufferedStarts } from './scheduler-buffer';
import { type ScheduleUpdate, applyPatch, applyUpdate, recordRunClosed, retentionExpiryOf } from './scheduler-changes';
import { buildStartRequest } from './scheduler-start';
import {
  type BufferedStart,
  OverlapPolicy,
  type RecordedAction,
  type RunRef,
  type SchedulePatch,
  type ScheduleRecord,
} from './scheduler-state';
import { SCHEDULER_LIMITS, catchupWindowMs, compilePlainSpec, resolveOverlapPolicy } from './scheduler-policies';

interface Signals {
  patch?: SchedulePatch;
  update?: ScheduleUpdate;
}

export class ScheduleRuntime {
  private compiled?: CompiledScheduleSpec;
  private invalidSpecError?: string;
  private wake?: { atMs: number; timer: TimerHandle };
  private readonly queue: (() => void)[] = [];
  private working = false;
  private disposed = false;

  constructor(
    private readonly host: SchedulerHost,
    readonly record: ScheduleRecord,
    /** Called when the schedule has been idle past its retention and removes itself. */
    private readonly onExpired: (runtime: ScheduleRuntime) => void,
  ) {
    this.compile();
  }

  get spec(): CompiledScheduleSpec | undefined {
    return this.compiled;
  }

  get invalidScheduleError(): string | undefined {
    return this.invalidSpecError;
  }

  /** First wake-up of a new schedule, with the create request's initial patch. */
  start(initialPatch: SchedulePatch | undefined): void {
    this.perform(() => this.iterate({ patch: initialPatch }));
  }

  /**
   * After a restart: follows the runs that were open (closed ones report at once) and wakes at once,
   * so that times missed while the server was down are taken or counted against the catch-up window.
   */
  resume(): void {
    this.perform(() => {
      for (const run of this.record.runningWorkflows) this.watch(run, true);
      const tracked = new Set(this.record.runningWorkflows.map(runKey));
      for (const action of this.record.recentActions) {
        if (action.status === Status.RUNNING && !tracked.has(runKey(action))) this.watch(action, false);
      }
      this.iterate({});
    });
  }

  patch(patch: SchedulePatch): void {
    this.perform(() => this.iterate({ patch }));
  }

  update(update: ScheduleUpdate): void {
    this.perform(() => this.iterate({ update }));
  }

  dispose(): void {
    this.disposed = true;
    this.wake?.timer.cancel();
    this.wake = undefined;
  }

  /**
   * Runs `work` now, or after the work in progress when called from inside it (a run that closes
   * because the schedule terminated it, a watch that reports at once), so state is never changed
   * under a loop that is walking it.
   */
  private perform(work: () => void): void {
    this.queue.push(work);
    if (this.working) return;
    this.working = true;
    let failure: unknown;
    try {
      while (this.queue.length > 0 && !this.disposed) {
        try {
          this.queue.shift()!();
        } catch (err) {
          // The rest of the queue (e.g. a run that closed) must still be taken into account.
          failure ??= err;
          this.host.log('schedule failed to process a change', {
            scheduleId: this.record.scheduleId,
            error: err instanceof Error ? err.stack : String(err),
          });
        }
        this.host.changed(this.record.namespace, this.record.scheduleId);
      }
    } finally {
      this.queue.length = 0;
      this.working = false;
    }
    if (failure !== undefined) throw failure;
  }

  private compile(): void {
    try {
      // The spec was validated when it was accepted; this only fails if e.g. a time zone vanished.
      this.compiled = compilePlainSpec(
        this.record.schedule.spec ?? {},
        this.record.scheduleId,
        this.record.namespaceId,
      );
      this.invalidSpecError = undefined;
    } catch (err) {
      this.compiled = undefined;
      this.invalidSpecError = err instanceof Error ? err.message : String(err);
      this.host.log('schedule spec cannot be compiled', {
        scheduleId: this.record.scheduleId,
        error: this.invalidSpecError,
      });
    }
  }

  private iterate(signals: Signals): void {
    const record = this.record;
    const now = this.host.now();
    const until = Math.max(now, record.lastProcessedMs);
    let { next, processedUntil } = this.processTimeRange(record.lastProcessedMs, until, 0, false);
    record.lastProcessedMs = processedUntil;
    if (signals.patch) {
      const triggered = applyPatch(record, signals.patch, now);
      if (triggered) this.addStart(triggered);
    }
    if (signals.update) {
      applyUpdate(record, signals.update, now);
      this.compile();
      ({ next, processedUntil } = this.processTimeRange(record.lastProcessedMs, until, 0, false));
      record.lastProcessedMs = Math.max(record.lastProcessedMs, processedUntil);
    }
    this.processBackfills();
    while (this.processBuffer()) {
      // Each pass consumes starts; it returns true while one may have been left for another pass.
    }
    const expiry = this.retentionExpiry(next);
    if (expiry !== undefined && expiry <= now) {
      this.host.log('schedule idle past its retention, removing it', { scheduleId: record.scheduleId });
      this.dispose();
      this.onExpired(this);
      return;
    }
    this.sleep(next, now);
  }

  /**
   * Buffers the scheduled times in (start, end]. Returns the next time after the range and how far
   * the range was taken (the last time buffered or counted as missed).
   */
  private processTimeRange(
    startMs: number,
    endMs: number,
    overlapPolicy: number,
    manual: boolean,
    limit?: { remaining: number },
  ): { next: number | undefined; processedUntil: number } {
    const spec = this.compiled;
    if (!spec) return { next: undefined, processedUntil: endMs };
    if (!this.mayTakeAction(manual, false)) {
      // Paused or out of actions: the range passes without actions and without counting misses.
      return { next: spec.nextTime(endMs)?.actualMs, processedUntil: endMs };
    }
    const updateTimeMs = this.record.updateTimeMs ?? 0;
    const catchupWindowMs = this.catchupWindowMs();
    let processedUntil = startMs;
    let next = spec.nextTime(startMs);
    for (; next && next.actualMs <= endMs; next = spec.nextTime(next.actualMs)) {
      // Times before the last update belong to the old spec.
      if (!manual && updateTimeMs > next.actualMs) continue;
      processedUntil = next.actualMs;
      if (!manual && endMs - next.actualMs > catchupWindowMs) {
        this.record.counters.missedCatchupWindow++;
        continue;
      }
      this.addStart({ nominalMs: next.nominalMs, actualMs: next.actualMs, overlapPolicy, manual });
      if (limit && --limit.remaining <= 0) break;
    }
    return { next: next?.actualMs, processedUntil };
  }

  private addStart(start: BufferedStart): void {
    if (this.record.bufferedStarts.length >= SCHEDULER_LIMITS.maxBufferSize) {
      this.host.log('schedule buffer full, dropping a start', { scheduleId: this.record.scheduleId });
      this.record.counters.bufferDropped++;
      return;
    }
    this.record.bufferedStarts.push(start);
  }

  private processBackfills(): void {
    const limit = { remaining: SCHEDULER_LIMITS.backfillsPerIteration };
    const backfills = this.record.ongoingBackfills;
    while (
      backfills.length > 0 &&
      limit.remaining > 0 &&
      // Backfills may use only half of the buffer.
      this.record.bufferedStarts.length < SCHEDULER_LIMITS.maxBufferSize / 2
    ) {
      const backfill = backfills[0];
      const { next } = this.processTimeRange(backfill.startMs, backfill.endMs, backfill.overlapPolicy, true, limit);
      if (next === undefined || next > backfill.endMs) backfills.shift();
      else backfill.startMs = next;
    }
  }

  /** Starts what the overlap policies allow now; true when another pass may start more. */
  private processBuffer(): boolean {
    const record = this.record;
    const action = record.schedule.action?.startWorkflow;
    if (!action || record.bufferedStarts.length === 0) {
      record.bufferedStarts = [];
      return false;
    }
    const plan = planBufferedStarts(record.bufferedStarts, record.runningWorkflows.length > 0, (policy) =>
      this.resolveOverlapPolicy(policy),
    );
    record.bufferedStarts = plan.remaining;
    record.counters.overlapSkipped += plan.overlapSkipped;
    let tryAgain = false;
    const starts = plan.nonOverlapping ? [...plan.overlapping, plan.nonOverlapping] : plan.overlapping;
    for (const start of starts) {
      if (!this.mayTakeAction(start.manual, true)) {
        tryAgain = true;
        continue;
      }
      const release = this.host.lockClock();
      let result: RecordedAction;
      try {
        const request = buildStartRequest(action, start, {
          namespace: record.namespace,
          scheduleId: record.scheduleId,
          lastCompletionResult: record.lastCompletionResult,
          continuedFailure: record.continuedFailure,
        });
        const runId = this.host.startWorkflow(request);
        const actualMs = this.host.now();
        result = {
          scheduleMs: start.actualMs,
          actualMs,
          workflowId: request.workflowId!,
          runId,
          status: Status.RUNNING,
        };
      } catch (err) {
        this.host.log('schedule could not start its workflow', {
          scheduleId: record.scheduleId,
          error: err instanceof Error ? err.message : String(err),
        });
        tryAgain = true;
        continue;
      } finally {
        release();
      }
      this.recordAction(result, start === plan.nonOverlapping);
    }
    if (plan.needTerminate) {
      for (const run of [...record.runningWorkflows]) this.endRun(run, 'terminate');
    } else if (plan.needCancel) {
      for (const run of [...record.runningWorkflows]) this.endRun(run, 'cancel');
    }
    return tryAgain;
  }

  private endRun(run: RunRef, how: 'cancel' | 'terminate'): void {
    const { namespace } = this.record;
    try {
      if (how === 'terminate') {
        this.host.terminateRun(namespace, run.workflowId, run.runId, 'terminated by schedule overlap policy');
      } else {
        this.host.cancelRun(namespace, run.workflowId, run.runId, 'cancelled by schedule overlap policy');
      }
    } catch (err) {
      // Tried again the next time the schedule wants to start something.
      this.host.log(`schedule could not ${how} a running workflow`, {
        scheduleId: this.record.scheduleId,
        workflowId: run.workflowId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private recordAction(result: RecordedAction, nonOverlapping: boolean): void {
    const record = this.record;
    record.counters.actionCount++;
    record.recentActions.push(result);
    if (record.recentActions.length > SCHEDULER_LIMITS.recentActionCount) {
      record.recentActions.splice(0, record.recentActions.length - SCHEDULER_LIMITS.recentActionCount);
    }
    // ALLOW_ALL runs overlap by design: they neither block later starts nor feed the result chain.
    const run = { workflowId: result.workflowId, runId: result.runId };
    if (nonOverlapping) record.runningWorkflows.push(run);
    this.watch(run, nonOverlapping);
  }

  private watch(run: RunRef, tracked: boolean): void {
    this.host.watchRun(this.record.namespace, run.workflowId, run.runId, (outcome) => {
      if (!this.disposed) this.perform(() => this.runClosed(run, tracked, outcome));
    });
  }

  private runClosed(run: RunRef, tracked: boolean, outcome: RunOutcome): void {
    recordRunClosed(this.record, run, tracked, outcome);
    // A closed tracked run may let a buffered start go (the server's watcher wakes its loop).
    if (tracked) this.iterate({});
  }

  private mayTakeAction(manual: boolean, consume: boolean): boolean {
    if (manual) return true;
    const state = (this.record.schedule.state ??= {});
    if (state.paused) return false;
    if (!state.limitedActions) return true;
    if ((state.remainingActions ?? 0) > 0) {
      if (consume) {
        state.remainingActions = (state.remainingActions ?? 0) - 1;
        this.record.conflictToken++;
      }
      return true;
    }
    return false;
  }

  private sleep(next: number | undefined, now: number): void {
    let wakeAt = next;
    if (this.hasMoreAllowAllBackfills()) wakeAt = now + SCHEDULER_LIMITS.backfillBatchDelayMs;
    // Paused or out of actions: only an update or patch wakes the schedule.
    else if (!this.mayTakeAction(false, false)) wakeAt = undefined;
    const expiry = this.retentionExpiry(wakeAt);
    if (expiry !== undefined) wakeAt = expiry;

    if (this.wake && this.wake.atMs === wakeAt) return;
    this.wake?.timer.cancel();
    this.wake = undefined;
    if (wakeAt === undefined) return;
    const timer = this.host.scheduleAt(wakeAt, `schedule ${this.record.scheduleId}`, () => {
      this.wake = undefined;
      if (!this.disposed) this.perform(() => this.iterate({}));
    });
    this.wake = { atMs: wakeAt, timer };
  }

  private hasMoreAllowAllBackfills(): boolean {
    const first = this.record.ongoingBackfills[0];
    return (
      first !== undefined &&
      this.resolveOverlapPolicy(first.overlapPolicy) === OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL
    );
  }

  /** When an idle schedule (nothing more to do) goes away; undefined while it has work ahead. */
  private retentionExpiry(next: number | undefined): number | undefined {
    if (this.record.schedule.state?.paused) return undefined;
    if (next !== undefined && this.mayTakeAction(false, false)) return undefined;
    if (this.hasMoreAllowAllBackfills()) return undefined;
    return retentionExpiryOf(this.record);
  }

  private resolveOverlapPolicy(policy: number): number {
    return resolveOverlapPolicy(this.record.schedule, policy);
  }

  private catchupWindowMs(): number {
    return catchupWindowMs(this.record.schedule);
  }
}

function runKey(run: RunRef): string {
  return `${run.workflowId}\u0000${run.runId}`;
}
