/**
 * The events and poll responses of workflow tasks: what the scheduled/started events say, the
 * transient ones a worker sees before they are recorded, and the PollWorkflowTaskQueue answer.
 */
import type { temporal } from '@temporalio/proto';
import { EventType, type HistoryEvent, type Plain, durationFromMs, timestampFromMs } from '../proto';
import type { Execution } from './execution';
import { encodeToken, type WorkflowTaskToken } from './tokens';
import type { PollWorkflowTaskQueueResponse } from './types';

const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_KIND_STICKY = 2;

export interface WorkflowTaskInfo {
  /** Changes whenever the task is (re)queued, so queue entries and timers of older dispatches go stale. */
  dispatchId: number;
  scheduledEventId: number;
  /** 0 until started. */
  startedEventId: number;
  attempt: number;
  /** Its scheduled/started events are not in history yet (attempt > 1, or speculative). */
  transient: boolean;
  /** Scheduled for an update: dropped without a trace if the worker only rejects updates. */
  speculative: boolean;
  scheduledTime: number;
  startedTime: number;
  queueName: string;
  sticky: boolean;
  timeoutMs: number;
  identity: string;
  requestId: string;
  historySizeBytes: number;
}

export interface TasksSnapshot {
  current?: Omit<WorkflowTaskInfo, 'dispatchId'>;
  nextAttempt: number;
  lastCompletedStartedEventId: number;
  sticky?: StickyQueue;
  everCompleted: boolean;
}

export interface StickyQueue {
  name: string;
  scheduleToStartTimeoutMs: number;
}

export function scheduledAttributes(
  task: WorkflowTaskInfo,
  normalQueue: string,
): NonNullable<HistoryEvent['workflowTaskScheduledEventAttributes']> {
  const taskQueue: Plain<temporal.api.taskqueue.v1.ITaskQueue> = task.sticky
    ? { name: task.queueName, kind: TASK_QUEUE_KIND_STICKY, normalName: normalQueue }
    : { name: task.queueName, kind: TASK_QUEUE_KIND_NORMAL };
  return { taskQueue, startToCloseTimeout: durationFromMs(task.timeoutMs), attempt: task.attempt };
}

export function startedAttributes(
  task: WorkflowTaskInfo,
): NonNullable<HistoryEvent['workflowTaskStartedEventAttributes']> {
  return {
    scheduledEventId: task.scheduledEventId,
    identity: task.identity,
    requestId: task.requestId,
    historySizeBytes: task.historySizeBytes,
  };
}

/** The scheduled (and started) events of a task not recorded yet, as the worker must see them. */
function transientEvents(task: WorkflowTaskInfo, normalQueue: string): HistoryEvent[] {
  const events: HistoryEvent[] = [
    {
      eventId: task.scheduledEventId,
      eventTime: timestampFromMs(task.scheduledTime),
      eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      workflowTaskScheduledEventAttributes: scheduledAttributes(task, normalQueue),
    },
  ];
  if (task.startedEventId) {
    events.push({
      eventId: task.startedEventId,
      eventTime: timestampFromMs(task.startedTime),
      eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      workflowTaskStartedEventAttributes: startedAttributes(task),
    });
  }
  return events;
}

/**
 * The poll response for a started task: the full history, or (sticky) only the events since the
 * worker's last task, plus transient events, queries and update messages riding on it.
 */
export function pollResponse(
  exec: Execution,
  task: WorkflowTaskInfo,
  lastCompletedStartedEventId: number,
  incremental: boolean,
): PollWorkflowTaskQueueResponse {
  const normalQueue = exec.config.taskQueue;
  const committed = incremental ? exec.history.events.slice(lastCompletedStartedEventId) : exec.history.events.slice();
  const events = task.transient ? [...committed, ...transientEvents(task, normalQueue)] : committed;
  const token: WorkflowTaskToken = {
    kind: 'wft',
    namespace: exec.key.namespace,
    workflowId: exec.key.workflowId,
    runId: exec.key.runId,
    scheduledEventId: task.scheduledEventId,
    startedEventId: task.startedEventId,
    attempt: task.attempt,
  };
  const queue = exec.host.matching.existingWorkflowQueue(exec.key.namespace, task.queueName);
  return {
    taskToken: encodeToken(token),
    workflowExecution: { workflowId: exec.key.workflowId, runId: exec.key.runId },
    workflowType: { name: exec.config.workflowType },
    previousStartedEventId: lastCompletedStartedEventId || undefined,
    startedEventId: task.startedEventId,
    attempt: task.attempt,
    backlogCountHint: queue?.backlogSize ?? 0,
    history: { events },
    workflowExecutionTaskQueue: { name: normalQueue, kind: TASK_QUEUE_KIND_NORMAL },
    scheduledTime: timestampFromMs(task.scheduledTime),
    startedTime: timestampFromMs(task.startedTime),
    queries: exec.queries.attachToTask(),
    messages: exec.updates.outgoingMessages(task.startedEventId),
  };
}
