/**
 * What the schedule runtime needs from the rest of the devserver. The store implements it; the
 * scheduler never touches executions directly.
 */
import type { temporal } from '@temporalio/proto';
import type { Release, TimerHandle } from '../clock';
import type { Plain } from '../proto';

export type StartWorkflowRequest = Plain<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest>;

export interface RunOutcome {
  /** WorkflowExecutionStatus number (2 completed, 3 failed, 4 canceled, 5 terminated, 6 continued-as-new, 7 timed out). */
  status: number;
  /** Result of a completed run (becomes the next run's lastCompletionResult). */
  result?: Plain<temporal.api.common.v1.IPayloads>;
  /** Failure of a failed/timed-out run (becomes the next run's continuedFailure). */
  failure?: Plain<temporal.api.failure.v1.IFailure>;
  closeTime: number;
}

export interface SchedulerHost {
  /** The server clock (virtual under time skipping). */
  now(): number;
  scheduleAt(atMs: number, label: string, fire: () => void): TimerHandle;
  /** Holds time skipping while the scheduler has work in flight (e.g. a start it is about to make). */
  lockClock(): Release;

  /**
   * Starts a workflow as StartWorkflowExecution would (same validation, same errors as ServiceError).
   * Returns the run id.
   */
  startWorkflow(request: StartWorkflowRequest): string;
  /**
   * Calls `onClosed` once when the run closes, following continue-as-new to the final run of the
   * chain (as the real scheduler does). Calls it at once if the run is already closed.
   */
  watchRun(namespace: string, workflowId: string, runId: string, onClosed: (outcome: RunOutcome) => void): void;
  terminateRun(namespace: string, workflowId: string, runId: string, reason: string): void;
  cancelRun(namespace: string, workflowId: string, runId: string, reason: string): void;
  /** Whether the run is still open (used after a restart to rebuild the running list). */
  isRunning(namespace: string, workflowId: string, runId: string): boolean;

  /** Persistence hook: the schedule's state changed and must be journaled before the next response. */
  changed(namespace: string, scheduleId: string): void;
  /** The namespace's id (for the jitter seed, as on the real server) and custom search attribute types. */
  namespaceId(namespace: string): string;
  customSearchAttributes(
    namespace: string,
  ): Readonly<Record<string, import('../visibility/types').SearchAttributeType>>;
  log(message: string, fields?: Record<string, unknown>): void;
}
