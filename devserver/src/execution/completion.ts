/**
 * How a run ends and what follows it: a failed or timed-out run is retried under its retry policy,
 * a cron run is followed by the next one, continue-as-new starts a fresh run of the same chain.
 * The follow-up run's id is written into the close event, as on the real server.
 */
import { cronBackoffMs } from '../schedules/cron';
import {
  EventType,
  enums,
  type Failure,
  type Header,
  type Memo,
  type Payloads,
  type SearchAttributes,
  durationFromMs,
} from '../proto';
import type { Execution } from './execution';
import { isRetryableFailure, nextBackoff } from './retry';
import { Status } from './types';

const RetryState = enums.RetryState;
const Initiator = enums.ContinueAsNewInitiator;

/** Everything that differs between a run and the run that continues it. */
export interface Continuation {
  runId: string;
  initiator: number;
  backoffMs: number;
  attempt: number;
  workflowType?: string;
  taskQueue?: string;
  input?: Payloads;
  runTimeoutMs?: number;
  workflowTaskTimeoutMs?: number;
  header?: Header;
  memo?: Memo;
  searchAttributes?: SearchAttributes;
  lastCompletionResult?: Payloads;
  continuedFailure?: Failure;
  cronSchedule?: string;
  /** Continue-as-new may replace the retry policy. */
  retryPolicy?: Execution['config']['retryPolicy'];
}

function nextCron(exec: Execution): number | undefined {
  const cron = exec.config.cronSchedule;
  if (!cron) return undefined;
  const backoff = cronBackoffMs(cron, exec.now, exec.now);
  if (backoff === undefined) return undefined;
  const expiration = exec.config.executionExpirationTime;
  if (expiration && exec.now + backoff > expiration) return undefined;
  return backoff;
}

function continueAfter(exec: Execution, next: Omit<Continuation, 'runId'>): string {
  const runId = crypto.randomUUID();
  exec.pendingContinuation = { ...next, runId };
  return runId;
}

export function completeRun(exec: Execution, result: Payloads | undefined, workflowTaskCompletedEventId: number): void {
  const cronBackoff = nextCron(exec);
  const newExecutionRunId =
    cronBackoff === undefined
      ? undefined
      : continueAfter(exec, {
          initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
          backoffMs: cronBackoff,
          attempt: 1,
          lastCompletionResult: result,
        });
  exec.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', {
    result,
    workflowTaskCompletedEventId,
    newExecutionRunId,
  });
  exec.finish(Status.COMPLETED, newExecutionRunId);
}

/**
 * Decides whether a failed (or timed-out) run is retried: the retry policy first, then cron.
 * Returns the retry state for the close event and the follow-up run id.
 */
function retryOrCron(exec: Execution, failure: Failure): { retryState: number; newExecutionRunId?: string } {
  const policy = exec.config.retryPolicy;
  let retryState: number = RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET;
  if (policy) {
    if (!isRetryableFailure(failure, policy.nonRetryableErrorTypes ?? [])) {
      retryState = RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    } else {
      const decision = nextBackoff(policy, exec.config.attempt, failure, exec.now, exec.config.executionExpirationTime);
      retryState = decision.state;
      if (decision.state === RetryState.RETRY_STATE_IN_PROGRESS) {
        const newExecutionRunId = continueAfter(exec, {
          initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
          backoffMs: decision.delayMs,
          attempt: exec.config.attempt + 1,
          continuedFailure: failure,
          lastCompletionResult: exec.config.lastCompletionResult,
        });
        return { retryState, newExecutionRunId };
      }
    }
  }
  const cronBackoff = nextCron(exec);
  if (cronBackoff !== undefined) {
    const newExecutionRunId = continueAfter(exec, {
      initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
      backoffMs: cronBackoff,
      attempt: 1,
      continuedFailure: failure,
      lastCompletionResult: exec.config.lastCompletionResult,
    });
    return { retryState, newExecutionRunId };
  }
  return { retryState };
}

export function failRun(exec: Execution, failure: Failure, workflowTaskCompletedEventId: number): void {
  const { retryState, newExecutionRunId } = retryOrCron(exec, failure);
  exec.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'workflowExecutionFailedEventAttributes', {
    failure,
    retryState,
    workflowTaskCompletedEventId,
    newExecutionRunId,
  });
  exec.finish(Status.FAILED, newExecutionRunId);
}

export function timeOutRun(exec: Execution): void {
  const failure: Failure = { message: 'workflow timeout', source: 'Server', timeoutFailureInfo: { timeoutType: 1 } };
  // The execution timeout ends the whole chain; only a run timeout can be retried.
  const chainExpired = exec.config.executionExpirationTime > 0 && exec.now >= exec.config.executionExpirationTime;
  const { retryState, newExecutionRunId } = chainExpired
    ? { retryState: RetryState.RETRY_STATE_TIMEOUT, newExecutionRunId: undefined }
    : retryOrCron(exec, failure);
  exec.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'workflowExecutionTimedOutEventAttributes', {
    retryState,
    newExecutionRunId,
  });
  exec.finish(Status.TIMED_OUT, newExecutionRunId);
}

export function cancelRun(exec: Execution, details: Payloads | undefined, workflowTaskCompletedEventId: number): void {
  exec.history.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'workflowExecutionCanceledEventAttributes', {
    details,
    workflowTaskCompletedEventId,
  });
  exec.finish(Status.CANCELED);
}

export function continueAsNew(
  exec: Execution,
  attrs: Omit<Continuation, 'runId' | 'initiator' | 'attempt'> & { initiator?: number },
  workflowTaskCompletedEventId: number,
): void {
  const config = exec.config;
  const next: Omit<Continuation, 'runId'> = {
    ...attrs,
    initiator: attrs.initiator || Initiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
    attempt: 1,
    workflowType: attrs.workflowType || config.workflowType,
    taskQueue: attrs.taskQueue || config.taskQueue,
    runTimeoutMs: attrs.runTimeoutMs || config.runTimeoutMs,
    workflowTaskTimeoutMs: attrs.workflowTaskTimeoutMs || config.workflowTaskTimeoutMs,
    cronSchedule: attrs.cronSchedule ?? config.cronSchedule,
    retryPolicy: attrs.retryPolicy ?? config.retryPolicy,
  };
  const newExecutionRunId = continueAfter(exec, next);
  exec.history.append(
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    'workflowExecutionContinuedAsNewEventAttributes',
    {
      newExecutionRunId,
      workflowType: { name: next.workflowType },
      taskQueue: { name: next.taskQueue, kind: 1 },
      input: next.input,
      workflowRunTimeout: next.runTimeoutMs ? durationFromMs(next.runTimeoutMs) : undefined,
      workflowTaskTimeout: durationFromMs(next.workflowTaskTimeoutMs ?? 10_000),
      workflowTaskCompletedEventId,
      backoffStartInterval: next.backoffMs ? durationFromMs(next.backoffMs) : undefined,
      initiator: next.initiator,
      failure: next.continuedFailure,
      lastCompletionResult: next.lastCompletionResult,
      header: next.header,
      memo: next.memo,
      searchAttributes: next.searchAttributes,
    },
  );
  exec.finish(Status.CONTINUED_AS_NEW, newExecutionRunId);
}
