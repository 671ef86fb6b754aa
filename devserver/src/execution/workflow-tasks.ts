/**
 * The workflow task state machine of one run: scheduled → started → completed / failed / timed out,
 * with the real server's rules for transient tasks (attempt > 1: their scheduled and started events
 * are written only when the task completes), sticky queues (a task for a cached run goes to the
 * worker's own queue with the history since its last task) and forced closes.
 */
import type { temporal } from '@temporalio/proto';
import type { Release, TimerHandle } from '../clock';
import { invalidArgument, notFound } from '../errors';
import type { PollContext } from '../matching';
import { EventType, enums, type Plain, msFromDuration } from '../proto';
import { closesWorkflow, planCommands } from './commands';
import type { Execution } from './execution';
import type { WorkflowTaskToken } from './tokens';
import type { PollWorkflowTaskQueueResponse } from './types';
import {
  pollResponse,
  scheduledAttributes,
  startedAttributes,
  type StickyQueue,
  type TasksSnapshot,
  type WorkflowTaskInfo,
} from './workflow-task-events';

export type { StickyQueue, TasksSnapshot, WorkflowTaskInfo };

type CompleteRequest = Plain<temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest>;
type CompleteResponse = Plain<temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse>;
type FailRequest = Plain<temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest>;

const TIMEOUT_TYPE_START_TO_CLOSE = 1;
const TIMEOUT_TYPE_SCHEDULE_TO_START = 2;
const FailedCause = enums.WorkflowTaskFailedCause;
/** The real server's default for history.discardSpeculativeWorkflowTaskMaximumEventsCount. */
const DISCARD_SPECULATIVE_MAXIMUM_EVENTS = 10;

let dispatchCounter = 0;

export class WorkflowTasks {
  current?: WorkflowTaskInfo;
  /** Attempt the next scheduled task gets; > 1 after consecutive failures. */
  nextAttempt = 1;
  /** startedEventId of the last completed task (the worker's `previousStartedEventId`). */
  lastCompletedStartedEventId = 0;
  sticky?: StickyQueue;
  /** True once any task completed (queries need a workflow that ran its first task). */
  everCompleted = false;

  private release?: Release;
  private timeout?: TimerHandle;

  constructor(private readonly exec: Execution) {}

  get isStarted(): boolean {
    return this.current !== undefined && this.current.startedEventId > 0;
  }

  get isScheduled(): boolean {
    return this.current !== undefined && this.current.startedEventId === 0;
  }

  scheduleIfNeeded(): void {
    if (!this.exec.isRunning || this.current) return;
    this.schedule();
  }

  /**
   * An update arrived and no task is pending: a speculative task carries it, recorded in history
   * only if the worker accepts the update (or anything else happens on that task).
   */
  scheduleForUpdate(): void {
    if (!this.exec.isRunning || this.current || this.exec.awaitingFirstTask) return;
    this.schedule(true);
  }

  private schedule(speculative = false): void {
    const exec = this.exec;
    if (exec.history.hasBuffered) {
      exec.history.flushBuffered();
      this.nextAttempt = 1;
      speculative = false;
    }
    const attempt = this.nextAttempt;
    const transient = attempt > 1 || speculative;
    const sticky = this.sticky;
    const queueName = sticky ? sticky.name : exec.config.taskQueue;
    const timeoutMs = exec.config.workflowTaskTimeoutMs;
    const task: WorkflowTaskInfo = {
      dispatchId: ++dispatchCounter,
      scheduledEventId: exec.history.nextEventId,
      startedEventId: 0,
      attempt,
      transient,
      speculative,
      scheduledTime: exec.now,
      startedTime: 0,
      queueName,
      sticky: !!sticky,
      timeoutMs,
      identity: '',
      requestId: '',
      historySizeBytes: 0,
    };
    if (!transient) {
      const attributes = scheduledAttributes(task, exec.config.taskQueue);
      exec.history.append(
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        'workflowTaskScheduledEventAttributes',
        attributes,
      );
    }
    this.current = task;
    this.release ??= exec.host.clock.lock();
    this.dispatch();
  }

  /** Puts the current (scheduled) task on its queue, with a schedule-to-start timeout on sticky queues. */
  private dispatch(): void {
    const task = this.current!;
    const { dispatchId } = task;
    this.timeout?.cancel();
    if (task.sticky && this.sticky) {
      this.timeout = this.exec.host.clock.scheduleAfter(
        this.sticky.scheduleToStartTimeoutMs,
        'sticky schedule-to-start timeout',
        () => this.onStickyScheduleToStartTimeout(dispatchId),
      );
    }
    const ns = this.exec.key.namespace;
    this.exec.host.matching.workflowQueue(ns, task.queueName).add({ start: (poll) => this.start(dispatchId, poll) });
  }

  /** Hands the task to a poller; undefined when this queue entry is stale. */
  start(
    dispatchId: number,
    poll: PollContext,
    forceIncrementalHistory = false,
  ): PollWorkflowTaskQueueResponse | undefined {
    const exec = this.exec;
    const task = this.current;
    if (!exec.isRunning || !task || task.dispatchId !== dispatchId || task.startedEventId !== 0) return undefined;
    this.timeout?.cancel();
    if (task.transient && task.scheduledEventId !== exec.history.nextEventId) {
      // New events arrived since this transient/speculative task was scheduled; it must be recorded normally.
      task.transient = false;
      task.speculative = false;
      task.attempt = 1;
      this.nextAttempt = 1;
      task.scheduledEventId = exec.history.append(
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        'workflowTaskScheduledEventAttributes',
        scheduledAttributes(task, exec.config.taskQueue),
      ).eventId!;
    }
    task.startedTime = exec.now;
    task.identity = poll.identity;
    task.requestId = crypto.randomUUID();
    task.historySizeBytes = exec.history.approximateSizeBytes;
    if (task.transient) {
      task.startedEventId = task.scheduledEventId + 1;
    } else {
      task.startedEventId = exec.history.append(
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        'workflowTaskStartedEventAttributes',
        startedAttributes(task),
      ).eventId!;
    }
    this.timeout = exec.host.clock.scheduleAfter(task.timeoutMs, 'workflow task start-to-close timeout', () =>
      this.onStartToCloseTimeout(dispatchId),
    );
    exec.host.changed(exec.key);
    return pollResponse(exec, task, this.lastCompletedStartedEventId, task.sticky || forceIncrementalHistory);
  }

  /** Looks up the started task a worker's token refers to. */
  private taskFor(token: WorkflowTaskToken): WorkflowTaskInfo {
    const task = this.current;
    if (
      !this.exec.isRunning ||
      !task ||
      task.startedEventId === 0 ||
      task.scheduledEventId !== token.scheduledEventId ||
      task.startedEventId !== token.startedEventId ||
      task.attempt !== token.attempt
    ) {
      throw notFound('Workflow task not found.');
    }
    return task;
  }

  /** Writes the scheduled/started events a transient task kept back, once it is being recorded. */
  private materialize(task: WorkflowTaskInfo): void {
    if (!task.transient) return;
    const history = this.exec.history;
    history.append(
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      'workflowTaskScheduledEventAttributes',
      scheduledAttributes(task, this.exec.config.taskQueue),
      { time: task.scheduledTime },
    );
    history.append(
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      'workflowTaskStartedEventAttributes',
      startedAttributes(task),
      {
        time: task.startedTime,
      },
    );
    task.transient = false;
  }

  complete(token: WorkflowTaskToken, request: CompleteRequest): CompleteResponse {
    const exec = this.exec;
    const task = this.taskFor(token);
    const commands = request.commands ?? [];
    const identity = request.identity ?? '';
    exec.updates.receive(request.messages ?? []);
    const plan = planCommands(exec, commands);
    if (plan.problem) {
      this.failTask(task, plan.problem.cause, { message: plan.problem.message }, identity);
      exec.host.changed(exec.key);
      throw invalidArgument(plan.problem.message);
    }
    if (exec.history.hasBuffered && commands.some(closesWorkflow)) {
      // New events arrived while the worker decided to close the workflow: it must see them first.
      this.failTask(task, FailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, undefined, identity);
      exec.host.changed(exec.key);
      return {};
    }
    this.timeout?.cancel();
    this.updateSticky(request);
    if (this.canDiscard(task, request)) {
      // Only update rejections on a speculative task: history stays as if it never happened.
      exec.updates.rejectUnprocessed();
      this.current = undefined;
      if (exec.updates.hasOutgoing) this.schedule(true);
      this.releaseIfIdle();
      exec.host.changed(exec.key);
      return { resetHistoryEventId: this.lastCompletedStartedEventId };
    }
    this.materialize(task);
    const completed = exec.history.append(
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      'workflowTaskCompletedEventAttributes',
      {
        scheduledEventId: task.scheduledEventId,
        startedEventId: task.startedEventId,
        identity,
        binaryChecksum: request.binaryChecksum,
        workerVersion: request.workerVersionStamp,
        sdkMetadata: request.sdkMetadata,
        meteringMetadata: request.meteringMetadata,
      },
    ).eventId!;
    this.lastCompletedStartedEventId = task.startedEventId;
    this.everCompleted = true;
    this.current = undefined;
    this.nextAttempt = 1;

    let needsNewTask = false;
    for (const action of plan.actions) {
      if (action(completed, identity) === true) needsNewTask = true;
    }
    if (exec.isRunning) {
      exec.updates.applyRemaining();
      exec.updates.rejectUnprocessed();
    }
    exec.queries.answerFromTask(request.queryResults ?? {});

    let response: CompleteResponse = {};
    if (exec.isRunning) {
      const normalTaskNeeded = needsNewTask || exec.history.hasBuffered || !!request.forceCreateNewWorkflowTask;
      if (normalTaskNeeded || exec.updates.hasOutgoing) {
        this.schedule(!normalTaskNeeded);
        const next = this.current as WorkflowTaskInfo | undefined;
        if (request.returnNewWorkflowTask && next) {
          const started = this.start(next.dispatchId, { identity, request: {} }, true);
          if (started) response = { workflowTask: started };
        }
      } else {
        exec.queries.unblockBuffered();
      }
    }
    this.releaseIfIdle();
    exec.host.changed(exec.key);
    return response;
  }

  private updateSticky(request: CompleteRequest): void {
    const stickyName = request.stickyAttributes?.workerTaskQueue?.name;
    this.sticky = stickyName
      ? {
          name: stickyName,
          scheduleToStartTimeoutMs: msFromDuration(request.stickyAttributes?.scheduleToStartTimeout) ?? 5_000,
        }
      : undefined;
  }

  /**
   * The real server's rule for dropping a speculative task (skipWorkflowTaskCompletedEvent): only
   * update rejections, and no events since the last completed task — or a few, when the worker
   * says it can receive the same events twice.
   */
  private canDiscard(task: WorkflowTaskInfo, request: CompleteRequest): boolean {
    const eventsAllowed = request.capabilities?.discardSpeculativeWorkflowTaskWithEvents
      ? DISCARD_SPECULATIVE_MAXIMUM_EVENTS
      : 0;
    return (
      task.speculative &&
      (request.commands ?? []).length === 0 &&
      !request.forceCreateNewWorkflowTask &&
      !this.exec.history.hasBuffered &&
      this.exec.history.nextEventId <= this.lastCompletedStartedEventId + 2 + eventsAllowed &&
      this.exec.updates.onlyRejections()
    );
  }

  fail(token: WorkflowTaskToken, request: FailRequest): void {
    const task = this.taskFor(token);
    this.failTask(task, request.cause ?? 0, request.failure, request.identity ?? '');
    this.exec.host.changed(this.exec.key);
  }

  /**
   * Records a failed attempt (unless transient) and schedules the next one: on the normal queue with
   * attempt 1 after a sticky failure, otherwise with attempt + 1 (transient).
   */
  private failTask(
    task: WorkflowTaskInfo,
    cause: number,
    failure: Plain<temporal.api.failure.v1.IFailure> | undefined,
    identity: string,
  ): void {
    this.timeout?.cancel();
    this.exec.updates.onTaskLost();
    if (task.speculative) this.materialize(task);
    if (!task.transient) {
      this.exec.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
        scheduledEventId: task.scheduledEventId,
        startedEventId: task.startedEventId,
        cause,
        failure,
        identity,
      });
    }
    this.afterFailure(task, true);
  }

  private afterFailure(task: WorkflowTaskInfo, incrementAttempt: boolean): void {
    const wasSticky = this.sticky !== undefined;
    if (wasSticky) this.sticky = undefined;
    this.nextAttempt = incrementAttempt && !wasSticky ? task.attempt + 1 : 1;
    this.current = undefined;
    if (this.exec.isRunning) this.schedule();
    this.releaseIfIdle();
  }

  private onStartToCloseTimeout(dispatchId: number): void {
    const task = this.current;
    if (!this.exec.isRunning || !task || task.dispatchId !== dispatchId || task.startedEventId === 0) return;
    this.exec.updates.onTaskLost();
    if (task.speculative) this.materialize(task);
    if (!task.transient) {
      this.exec.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 'workflowTaskTimedOutEventAttributes', {
        scheduledEventId: task.scheduledEventId,
        startedEventId: task.startedEventId,
        timeoutType: TIMEOUT_TYPE_START_TO_CLOSE,
      });
    }
    this.afterFailure(task, true);
    this.exec.host.changed(this.exec.key);
  }

  private onStickyScheduleToStartTimeout(dispatchId: number): void {
    const task = this.current;
    if (!this.exec.isRunning || !task || task.dispatchId !== dispatchId || task.startedEventId !== 0) return;
    if (!task.transient) {
      this.exec.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 'workflowTaskTimedOutEventAttributes', {
        scheduledEventId: task.scheduledEventId,
        timeoutType: TIMEOUT_TYPE_SCHEDULE_TO_START,
      });
    }
    this.sticky = undefined;
    this.nextAttempt = task.attempt;
    this.current = undefined;
    this.schedule();
    this.exec.host.changed(this.exec.key);
  }

  /** Stops using the worker's sticky queue (ResetStickyTaskQueue, ShutdownWorker); a waiting task moves to the normal queue. */
  resetSticky(): void {
    if (!this.sticky) return;
    this.sticky = undefined;
    const task = this.current;
    if (task && task.startedEventId === 0 && task.sticky) {
      task.sticky = false;
      task.queueName = this.exec.config.taskQueue;
      task.dispatchId = ++dispatchCounter;
      this.dispatch();
    }
  }

  /** The run is being closed from outside (terminate, timeout): a started task is failed first. */
  failStartedForForcedClose(): void {
    const task = this.current;
    if (!task || task.startedEventId === 0) return;
    this.timeout?.cancel();
    if (task.speculative) this.materialize(task);
    if (!task.transient) {
      this.exec.history.append(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
        scheduledEventId: task.scheduledEventId,
        startedEventId: task.startedEventId,
        cause: FailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
      });
    }
    this.current = undefined;
    this.exec.history.flushBuffered();
  }

  snapshot(): TasksSnapshot {
    const current = this.current ? { ...this.current, dispatchId: undefined } : undefined;
    return {
      current,
      nextAttempt: this.nextAttempt,
      lastCompletedStartedEventId: this.lastCompletedStartedEventId,
      sticky: this.sticky,
      everCompleted: this.everCompleted,
    };
  }

  /** Rebuilds the task state after a restart: a scheduled task is queued again, a started one keeps its timeout. */
  restore(snapshot: TasksSnapshot): void {
    this.nextAttempt = snapshot.nextAttempt;
    this.lastCompletedStartedEventId = snapshot.lastCompletedStartedEventId;
    // Sticky queues live in the workers that polled the previous server: after a restart nobody may
    // poll them, and every task or query sent there would wait out its schedule-to-start timeout.
    // The next completed task names the sticky queue of whichever worker is alive.
    this.sticky = undefined;
    this.everCompleted = snapshot.everCompleted;
    if (!snapshot.current || !this.exec.isRunning) return;
    const task: WorkflowTaskInfo = { ...snapshot.current, dispatchId: ++dispatchCounter };
    if (task.sticky && task.startedEventId === 0) {
      task.sticky = false;
      task.queueName = this.exec.config.taskQueue;
    }
    this.current = task;
    this.release = this.exec.host.clock.lock();
    if (task.startedEventId === 0) {
      this.dispatch();
      return;
    }
    const { dispatchId } = task;
    this.timeout = this.exec.host.clock.scheduleAt(
      task.startedTime + task.timeoutMs,
      'workflow task start-to-close timeout',
      () => this.onStartToCloseTimeout(dispatchId),
    );
  }

  private releaseIfIdle(): void {
    if (this.current) return;
    this.release?.();
    this.release = undefined;
  }

  dispose(): void {
    this.timeout?.cancel();
    this.current = undefined;
    this.releaseIfIdle();
  }
}
