/**
 * Queries, delivered the way the real server delivers them: while a workflow task is pending a
 * query waits and rides on the next task (`queries` of the poll response, answered in
 * RespondWorkflowTaskCompleted); otherwise it goes out as a query-only task (`query` of the poll
 * response, answered with RespondQueryTaskCompleted). Closed workflows are queried by replay.
 */
import type { temporal } from '@temporalio/proto';
import type { Release, TimerHandle } from '../clock';
import { ServiceError, queryFailed } from '../errors';
import type { PollContext } from '../matching';
import type { Payloads, Plain } from '../proto';
import type { Execution } from './execution';
import type { StickyQueue } from './workflow-tasks';
import { encodeToken } from './tokens';
import type { PollWorkflowTaskQueueResponse } from './types';

type WorkflowQuery = Plain<temporal.api.query.v1.IWorkflowQuery>;
type QueryResult = Plain<temporal.api.query.v1.IWorkflowQueryResult>;

const QUERY_RESULT_ANSWERED = 1;

interface PendingQuery {
  id: string;
  query: WorkflowQuery;
  state: 'buffered' | 'attached' | 'dispatched';
  resolve: (answer: Payloads | undefined) => void;
  reject: (err: ServiceError) => void;
  release: Release;
  /** Bumped on every dispatch so that older queue entries go stale. */
  dispatchId: number;
  stickyFallback?: TimerHandle;
}

let queryCounter = 0;

export class Queries {
  private readonly pending = new Map<string, PendingQuery>();

  constructor(private readonly exec: Execution) {}

  /** Resolves with the worker's answer; rejects with the worker's failure as the server reports it. */
  submit(query: WorkflowQuery, onCancel: (hook: () => void) => void): Promise<Payloads | undefined> {
    const exec = this.exec;
    return new Promise((resolve, reject) => {
      const id = `${exec.key.runId}/${++queryCounter}`;
      const pending: PendingQuery = {
        id,
        query,
        state: 'buffered',
        resolve,
        reject,
        release: exec.host.clock.lock(),
        dispatchId: 0,
      };
      const finish = () => {
        pending.stickyFallback?.cancel();
        pending.release();
        this.pending.delete(id);
      };
      pending.resolve = (answer) => {
        finish();
        resolve(answer);
      };
      pending.reject = (err) => {
        finish();
        reject(err);
      };
      onCancel(finish);
      this.pending.set(id, pending);
      const mustWaitForTask = exec.isRunning && (exec.tasks.current !== undefined || !exec.tasks.everCompleted);
      if (!mustWaitForTask) this.dispatch(pending);
    });
  }

  /** Buffered queries travel with the workflow task being started. */
  attachToTask(): Record<string, WorkflowQuery> | undefined {
    let attached: Record<string, WorkflowQuery> | undefined;
    for (const pending of this.pending.values()) {
      if (pending.state !== 'buffered') continue;
      pending.state = 'attached';
      (attached ??= {})[pending.id] = pending.query;
    }
    return attached;
  }

  /** Answers from RespondWorkflowTaskCompleted; unanswered attached queries wait again. */
  answerFromTask(results: Record<string, QueryResult>): void {
    for (const pending of [...this.pending.values()]) {
      if (pending.state !== 'attached') continue;
      const result = results[pending.id];
      if (result) this.settle(pending, result.resultType ?? 0, result.answer, result.errorMessage, result.failure);
      else pending.state = 'buffered';
    }
  }

  /** No new workflow task is coming: waiting queries go out as query tasks. */
  unblockBuffered(): void {
    for (const pending of this.pending.values()) {
      if (pending.state === 'buffered' || pending.state === 'attached') this.dispatch(pending);
    }
  }

  onClosed(): void {
    this.unblockBuffered();
  }

  respond(
    queryId: string,
    completedType: number,
    answer: Payloads | undefined,
    errorMessage: string | undefined,
    failure: Plain<temporal.api.failure.v1.IFailure> | undefined,
  ): boolean {
    const pending = this.pending.get(queryId);
    if (!pending || pending.state !== 'dispatched') return false;
    this.settle(pending, completedType, answer, errorMessage, failure);
    return true;
  }

  private settle(
    pending: PendingQuery,
    resultType: number,
    answer: Payloads | undefined,
    errorMessage: string | undefined,
    failure: Plain<temporal.api.failure.v1.IFailure> | undefined,
  ): void {
    if (resultType === QUERY_RESULT_ANSWERED) pending.resolve(answer);
    else pending.reject(queryFailed(errorMessage || failure?.message || 'query failed', failure));
  }

  /**
   * Sends a query-only task: to the worker's sticky queue (empty history, the worker has the run
   * cached), falling back to the normal queue (full history) when the sticky worker does not take it.
   */
  private dispatch(pending: PendingQuery, sticky: StickyQueue | null = this.exec.tasks.sticky ?? null): void {
    const exec = this.exec;
    const dispatchId = ++pending.dispatchId;
    pending.state = 'dispatched';
    pending.stickyFallback?.cancel();
    const queueName = sticky ? sticky.name : exec.config.taskQueue;
    if (sticky) {
      pending.stickyFallback = exec.host.clock.scheduleAfter(
        sticky.scheduleToStartTimeoutMs,
        'sticky query fallback',
        () => {
          // null, not undefined: undefined would select the sticky queue again (the parameter's default).
          if (pending.dispatchId === dispatchId) this.dispatch(pending, null);
        },
      );
    }
    exec.host.matching.workflowQueue(exec.key.namespace, queueName).add({
      start: (poll) => this.startQueryTask(pending, dispatchId, !!sticky, poll),
    });
  }

  private startQueryTask(
    pending: PendingQuery,
    dispatchId: number,
    sticky: boolean,
    _poll: PollContext,
  ): PollWorkflowTaskQueueResponse | undefined {
    if (pending.dispatchId !== dispatchId || !this.pending.has(pending.id)) return undefined;
    pending.stickyFallback?.cancel();
    pending.dispatchId++;
    const exec = this.exec;
    return {
      taskToken: encodeToken({
        kind: 'query',
        namespace: exec.key.namespace,
        workflowId: exec.key.workflowId,
        runId: exec.key.runId,
        queryId: pending.id,
      }),
      workflowExecution: { workflowId: exec.key.workflowId, runId: exec.key.runId },
      workflowType: { name: exec.config.workflowType },
      previousStartedEventId: exec.tasks.lastCompletedStartedEventId || undefined,
      attempt: 1,
      history: { events: sticky ? [] : exec.history.events.slice() },
      query: pending.query,
      workflowExecutionTaskQueue: { name: exec.config.taskQueue, kind: 1 },
    };
  }
}
