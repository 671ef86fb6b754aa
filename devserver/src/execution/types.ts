import type { temporal } from '@temporalio/proto';
import type { Clock } from '../clock';
import type { Matching } from '../matching';
import type { Header, Memo, Payloads, Plain, RetryPolicy, SearchAttributes } from '../proto';
import type { ChildInfo } from './children';
import type { Execution } from './execution';

export type PollWorkflowTaskQueueResponse = Plain<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse>;
export type PollActivityTaskQueueResponse = Plain<temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse>;

export const Status = {
  RUNNING: 1,
  COMPLETED: 2,
  FAILED: 3,
  CANCELED: 4,
  TERMINATED: 5,
  CONTINUED_AS_NEW: 6,
  TIMED_OUT: 7,
} as const;
export type ExecutionStatus = (typeof Status)[keyof typeof Status];

export const STATUS_NAMES: Record<ExecutionStatus, string> = {
  1: 'Running',
  2: 'Completed',
  3: 'Failed',
  4: 'Canceled',
  5: 'Terminated',
  6: 'ContinuedAsNew',
  7: 'TimedOut',
};

export interface ExecutionKey {
  namespace: string;
  workflowId: string;
  runId: string;
}

export interface ParentInfo {
  namespace: string;
  namespaceId: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

/** What a run was started with; fixed for the life of the run. */
export interface RunConfig {
  workflowType: string;
  taskQueue: string;
  input?: Payloads;
  header?: Header;
  /** 0 = none. */
  executionTimeoutMs: number;
  /** 0 = none. */
  runTimeoutMs: number;
  workflowTaskTimeoutMs: number;
  retryPolicy?: RetryPolicy;
  cronSchedule?: string;
  identity: string;
  requestId: string;
  parent?: ParentInfo;
  root?: { workflowId: string; runId: string };
  firstExecutionRunId: string;
  continuedExecutionRunId?: string;
  originalExecutionRunId: string;
  /** Workflow retry attempt, from 1. */
  attempt: number;
  /** Absolute end of the whole chain of runs (execution timeout); 0 = none. */
  executionExpirationTime: number;
  /** Delay before the first workflow task (start delay, retry or cron backoff). */
  firstWorkflowTaskBackoffMs: number;
  initiator?: number;
  lastCompletionResult?: Payloads;
  continuedFailure?: Plain<temporal.api.failure.v1.IFailure>;
  userMetadata?: Plain<temporal.api.sdk.v1.IUserMetadata>;
  priority?: Plain<temporal.api.common.v1.IPriority>;
  completionCallbacks?: Plain<temporal.api.common.v1.ICallback>[];
  links?: Plain<temporal.api.common.v1.ILink>[];
}

export interface MutableMetadata {
  memo?: Memo;
  searchAttributes?: SearchAttributes;
}

/** What an execution needs from the server around it. */
export interface ExecutionHost {
  clock: Clock;
  matching: Matching<PollWorkflowTaskQueueResponse, PollActivityTaskQueueResponse>;
  namespaceId(namespace: string): string;
  /** Called after every change of an execution (persistence, visibility). */
  changed(key: ExecutionKey): void;
  /** Called once when a run closes (parents, retries, cron, continue-as-new). */
  closed(key: ExecutionKey): void;
  /** Why these search attributes cannot be set (unknown name, wrong type), or undefined. */
  searchAttributesProblem(namespace: string, searchAttributes: SearchAttributes | undefined): string | undefined;
  log(message: string, fields?: Record<string, unknown>): void;

  /** Starts a child workflow for `parent`; returns the child's run id or throws (e.g. already started). */
  startChild(
    parent: Execution,
    initiatedEventId: number,
    attrs: Plain<temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes>,
  ): string;
  /** Terminates or cancels an open child when its parent closes. */
  applyParentClosePolicy(child: ChildInfo, parent: Execution): void;
  /** Signals another workflow on behalf of a workflow; false when the target is not found or closed. */
  deliverSignal(
    namespace: string,
    target: { workflowId: string; runId?: string },
    signal: {
      signalName: string;
      input?: Payloads;
      header?: Header;
      identity: string;
      requestId: string;
      childOf?: Execution;
    },
  ): boolean;
  /** Requests cancellation of another workflow; false when the target is not found or closed. */
  deliverCancel(
    namespace: string,
    target: { workflowId: string; runId?: string },
    request: { reason: string; identity: string; initiatedEventId: number; requester: Execution },
  ): boolean;
}
