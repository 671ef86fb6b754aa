/**
 * One workflow run: its history and the state the server keeps beside it (the "mutable state").
 * Workflow tasks, activities, timers and queries each live in their own module and act on this.
 */
import type { TimerHandle } from '../clock';
import { workflowCompleted } from '../errors';
import {
  EventType,
  type Failure,
  type Header,
  type HistoryEvent,
  type Payload,
  type Payloads,
  durationFromMs,
} from '../proto';
import { type Continuation, timeOutRun } from './completion';
import { Activities } from './activities';
import type { ActivityInfo } from './activities';
import type { ChildInfo } from './children';
import { type AttributesKey, type BufferedEvent, type EventAttributes, History } from './history';
import type { UserTimer } from './timers';
import type { TasksSnapshot } from './workflow-tasks';
import { Queries } from './queries';
import { Children } from './children';
import { ExternalRequests } from './external';
import { UserTimers } from './timers';
import { Updates } from './updates';
import {
  type ExecutionHost,
  type ExecutionKey,
  type ExecutionStatus,
  type MutableMetadata,
  type RunConfig,
  Status,
} from './types';
import { WorkflowTasks } from './workflow-tasks';

export interface ExternalEvent {
  eventType: number;
  key: AttributesKey;
  attributes: Record<string, unknown>;
  /** Its startedEventId is the event written just before it (an activity's ActivityTaskStarted). */
  startedFromPrevious?: boolean;
}

/** Everything about a run besides its configuration and history, as the journal stores it. */
export interface RunSnapshot {
  status: ExecutionStatus;
  close?: CloseInfo;
  startTime: number;
  executionTime: number;
  cancelRequested: boolean;
  signalRequestIds: string[];
  startRequestIds: string[];
  metadata: MutableMetadata;
  tasks: TasksSnapshot;
  activities: ActivityInfo[];
  timers: UserTimer[];
  children: ChildInfo[];
  buffered: BufferedEvent[];
}

export interface CloseInfo {
  status: ExecutionStatus;
  time: number;
  /** The run this one continued into (continue-as-new, retry, cron), if any. */
  newRunId?: string;
}

export class Execution {
  readonly history: History;
  readonly tasks: WorkflowTasks;
  readonly activities: Activities;
  readonly timers: UserTimers;
  readonly queries: Queries;
  readonly updates: Updates;
  readonly children: Children;
  readonly external: ExternalRequests;

  status: ExecutionStatus = Status.RUNNING;
  close?: CloseInfo;
  startTime = 0;
  /** When the first workflow task may run (start time + start delay / backoff). */
  executionTime = 0;
  /** Signal request ids already applied, so a retried SignalWorkflowExecution is not applied twice. */
  readonly signalRequestIds = new Set<string>();
  /** Request ids that started or attached to this run (StartWorkflowExecution idempotency). */
  readonly startRequestIds = new Set<string>();
  cancelRequested = false;
  /** Set by the command or timeout that closes this run when another run follows it. */
  pendingContinuation?: Continuation;
  /** Updates admitted but not accepted when this run continued as new; the next run takes them. */
  carriedUpdates: ReturnType<Updates['takeUnaccepted']> = [];

  private runTimeout?: TimerHandle;
  private firstTaskBackoff?: TimerHandle;

  constructor(
    readonly host: ExecutionHost,
    readonly key: ExecutionKey,
    readonly config: RunConfig,
    readonly metadata: MutableMetadata,
  ) {
    this.history = new History(
      () => host.clock.now(),
      () => host.changed(key),
    );
    this.tasks = new WorkflowTasks(this);
    this.activities = new Activities(this);
    this.timers = new UserTimers(this);
    this.queries = new Queries(this);
    this.updates = new Updates(this);
    this.children = new Children(this);
    this.external = new ExternalRequests(this);
  }

  get now(): number {
    return this.host.clock.now();
  }

  get isRunning(): boolean {
    return this.status === Status.RUNNING;
  }

  get namespaceId(): string {
    return this.host.namespaceId(this.key.namespace);
  }

  /** Writes WorkflowExecutionStarted and schedules the first workflow task (now or after the backoff). */
  begin(initialSignal?: { name: string; input?: Payloads; header?: Header; identity: string }): void {
    const c = this.config;
    this.startTime = this.now;
    this.executionTime = this.startTime + c.firstWorkflowTaskBackoffMs;
    this.startRequestIds.add(c.requestId);
    this.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 'workflowExecutionStartedEventAttributes', {
      workflowType: { name: c.workflowType },
      taskQueue: { name: c.taskQueue, kind: 1 },
      input: c.input,
      workflowExecutionTimeout: c.executionTimeoutMs ? durationFromMs(c.executionTimeoutMs) : undefined,
      workflowRunTimeout: c.runTimeoutMs ? durationFromMs(c.runTimeoutMs) : undefined,
      workflowTaskTimeout: durationFromMs(c.workflowTaskTimeoutMs),
      continuedExecutionRunId: c.continuedExecutionRunId,
      initiator: c.initiator,
      continuedFailure: c.continuedFailure,
      lastCompletionResult: c.lastCompletionResult,
      originalExecutionRunId: c.originalExecutionRunId,
      identity: c.identity,
      firstExecutionRunId: c.firstExecutionRunId,
      retryPolicy: c.retryPolicy,
      attempt: c.attempt,
      workflowExecutionExpirationTime: c.executionExpirationTime
        ? { seconds: Math.floor(c.executionExpirationTime / 1000), nanos: (c.executionExpirationTime % 1000) * 1e6 }
        : undefined,
      cronSchedule: c.cronSchedule,
      firstWorkflowTaskBackoff: c.firstWorkflowTaskBackoffMs ? durationFromMs(c.firstWorkflowTaskBackoffMs) : undefined,
      memo: this.metadata.memo,
      searchAttributes: this.metadata.searchAttributes,
      header: c.header,
      parentWorkflowNamespace: c.parent?.namespace,
      parentWorkflowNamespaceId: c.parent?.namespaceId,
      parentWorkflowExecution: c.parent ? { workflowId: c.parent.workflowId, runId: c.parent.runId } : undefined,
      parentInitiatedEventId: c.parent?.initiatedEventId,
      rootWorkflowExecution: c.root ?? { workflowId: this.key.workflowId, runId: this.key.runId },
      priority: c.priority,
      completionCallbacks: c.completionCallbacks,
    });
    if (initialSignal) {
      this.history.append(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        'workflowExecutionSignaledEventAttributes',
        {
          signalName: initialSignal.name,
          input: initialSignal.input,
          identity: initialSignal.identity,
          header: initialSignal.header,
        },
      );
    }
    this.armRunTimeout();
    if (c.firstWorkflowTaskBackoffMs > 0) this.armFirstTaskBackoff();
    else this.tasks.scheduleIfNeeded();
  }

  private armFirstTaskBackoff(): void {
    this.firstTaskBackoff = this.host.clock.scheduleAt(this.executionTime, 'first workflow task backoff', () => {
      this.firstTaskBackoff = undefined;
      if (this.isRunning) this.tasks.scheduleIfNeeded();
      this.host.changed(this.key);
    });
  }

  /** True while the first workflow task waits for its start delay or backoff. */
  get awaitingFirstTask(): boolean {
    return this.firstTaskBackoff !== undefined;
  }

  /**
   * Records events from outside the workflow (signal, activity result, ...): buffered while a
   * workflow task runs, then a workflow task is scheduled so the workflow sees them.
   */
  addExternalEvents(events: ExternalEvent[]): void {
    for (const e of events) {
      if (this.tasks.isStarted) {
        this.history.buffer(e.eventType, e.key, e.attributes as never, { startedFromPrevious: e.startedFromPrevious });
      } else {
        const attributes = e.startedFromPrevious
          ? { ...e.attributes, startedEventId: this.history.nextEventId - 1 }
          : e.attributes;
        this.history.append(e.eventType, e.key, attributes as never);
      }
    }
    if (!this.tasks.isStarted && !this.awaitingFirstTask) this.tasks.scheduleIfNeeded();
  }

  addExternalEvent<K extends AttributesKey>(eventType: number, key: K, attributes: EventAttributes<K>): void {
    this.addExternalEvents([{ eventType, key, attributes: attributes as Record<string, unknown> }]);
  }

  signal(signalName: string, input: Payloads | undefined, identity: string, header?: Header, requestId?: string): void {
    this.assertRunning();
    if (requestId) {
      if (this.signalRequestIds.has(requestId)) return;
      this.signalRequestIds.add(requestId);
    }
    this.addExternalEvent(
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      'workflowExecutionSignaledEventAttributes',
      {
        signalName,
        input,
        identity,
        header,
      },
    );
    this.host.changed(this.key);
  }

  requestCancel(
    reason: string,
    identity: string,
    external?: { initiatedEventId: number; workflowId: string; runId: string },
  ): void {
    this.assertRunning();
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.addExternalEvent(
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
      'workflowExecutionCancelRequestedEventAttributes',
      {
        cause: reason,
        identity,
        externalInitiatedEventId: external?.initiatedEventId,
        externalWorkflowExecution: external ? { workflowId: external.workflowId, runId: external.runId } : undefined,
      },
    );
    this.host.changed(this.key);
  }

  terminate(reason: string, details: Payloads | undefined, identity: string): void {
    this.assertRunning();
    this.tasks.failStartedForForcedClose();
    this.history.append(
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
      'workflowExecutionTerminatedEventAttributes',
      {
        reason,
        details,
        identity,
      },
    );
    this.finish(Status.TERMINATED);
  }

  snapshot(): RunSnapshot {
    return {
      status: this.status,
      close: this.close,
      startTime: this.startTime,
      executionTime: this.executionTime,
      cancelRequested: this.cancelRequested,
      signalRequestIds: [...this.signalRequestIds],
      startRequestIds: [...this.startRequestIds],
      metadata: this.metadata,
      tasks: this.tasks.snapshot(),
      activities: this.activities.snapshot(),
      timers: this.timers.snapshot(),
      children: this.children.snapshot(),
      buffered: [...this.history.bufferedEvents],
    };
  }

  /** Rebuilds a run read back from the journal, re-arming its timers and re-queueing its tasks. */
  static restore(
    host: ExecutionHost,
    key: ExecutionKey,
    config: RunConfig,
    events: HistoryEvent[],
    snapshot: RunSnapshot,
  ): Execution {
    const exec = new Execution(host, key, config, snapshot.metadata);
    exec.history.restore(events, snapshot.buffered);
    exec.status = snapshot.status;
    exec.close = snapshot.close;
    exec.startTime = snapshot.startTime;
    exec.executionTime = snapshot.executionTime;
    exec.cancelRequested = snapshot.cancelRequested;
    for (const id of snapshot.signalRequestIds) exec.signalRequestIds.add(id);
    for (const id of snapshot.startRequestIds) exec.startRequestIds.add(id);
    if (!exec.isRunning) return exec;
    exec.armRunTimeout();
    const taskEverScheduled = events.some((e) => e.workflowTaskScheduledEventAttributes) || snapshot.tasks.current;
    if (!taskEverScheduled) exec.armFirstTaskBackoff();
    exec.tasks.restore(snapshot.tasks);
    exec.activities.restore(snapshot.activities);
    exec.timers.restore(snapshot.timers);
    exec.children.restore(snapshot.children);
    exec.updates.restoreFromHistory();
    exec.external.resumeFromHistory();
    return exec;
  }

  /** Merges upserted search attributes; an empty payload removes the attribute. */
  upsertSearchAttributes(fields: Record<string, Payload>): void {
    this.metadata.searchAttributes = {
      indexedFields: mergeFields(this.metadata.searchAttributes?.indexedFields, fields),
    };
  }

  upsertMemo(fields: Record<string, Payload>): void {
    this.metadata.memo = { fields: mergeFields(this.metadata.memo?.fields, fields) };
  }

  /** Marks the run closed after its close event was written, and releases everything it held. */
  finish(status: ExecutionStatus, newRunId?: string): void {
    this.status = status;
    this.close = { status, time: this.now, newRunId };
    this.history.discardBuffered();
    this.runTimeout?.cancel();
    this.firstTaskBackoff?.cancel();
    this.firstTaskBackoff = undefined;
    this.tasks.dispose();
    this.activities.dispose();
    this.timers.dispose();
    this.queries.onClosed();
    if (status === Status.CONTINUED_AS_NEW) this.carriedUpdates = this.updates.takeUnaccepted();
    this.updates.onClosed();
    this.children.applyParentClosePolicies();
    this.host.closed(this.key);
    this.host.changed(this.key);
    this.history.notify();
  }

  assertRunning(): void {
    if (!this.isRunning) throw workflowCompleted();
  }

  private armRunTimeout(): void {
    const c = this.config;
    const deadlines = [
      c.runTimeoutMs ? this.startTime + c.runTimeoutMs : Infinity,
      c.executionExpirationTime || Infinity,
    ];
    const deadline = Math.min(...deadlines);
    if (deadline === Infinity) return;
    this.runTimeout = this.host.clock.scheduleAt(deadline, 'workflow run timeout', () => {
      if (!this.isRunning) return;
      this.tasks.failStartedForForcedClose();
      timeOutRun(this);
    });
  }

  /** The failure a parent or client sees for this run's outcome, from its close event. */
  closeEvent(): HistoryEvent | undefined {
    return this.close ? this.history.lastEvent : undefined;
  }

  lastFailure(): Failure | undefined {
    return this.closeEvent()?.workflowExecutionFailedEventAttributes?.failure;
  }
}

function mergeFields(
  current: Record<string, Payload> | undefined,
  updates: Record<string, Payload>,
): Record<string, Payload> {
  const merged = { ...(current ?? {}) };
  for (const [name, payload] of Object.entries(updates)) {
    const empty = !payload.data || payload.data.length === 0 || Buffer.from(payload.data).toString() === 'null';
    if (empty) delete merged[name];
    else merged[name] = payload;
  }
  return merged;
}
