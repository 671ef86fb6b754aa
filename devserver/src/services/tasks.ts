/** The worker side: polling task queues and answering workflow, activity and query tasks. */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, notFound, workflowNotFound } from '../errors';
import { ACTIVITY_NOT_FOUND_MESSAGE, type ActivityInfo } from '../execution/activities';
import type { Execution } from '../execution/execution';
import { decodeToken } from '../execution/tokens';
import type { CallContext, Handler } from '../grpc';
import type { PollContext, TaskQueue } from '../matching';
import { type Plain, timestampFromMs } from '../proto';
import type { Store } from '../store';
import { namespaceOf } from './executions';

type Req<T> = Plain<T>;

/** Polls are answered empty after this long (or just before the caller's deadline). */
const LONG_POLL_MS = 60_000;

export function taskHandlers(store: Store): Record<string, Handler> {
  const runOf = (namespace: string, workflowId: string, runId: string): Execution => {
    const execution = store.find(namespace, workflowId, runId);
    if (!execution) throw workflowNotFound(workflowId, runId);
    return execution;
  };

  const activityByToken = (bytes: Uint8Array | undefined): { execution: Execution; info: ActivityInfo } => {
    const token = decodeToken(bytes, 'act');
    const execution = runOf(token.namespace, token.workflowId, token.runId);
    return { execution, info: execution.activities.startedAttempt(token) };
  };

  const activityById = (request: {
    namespace?: string;
    workflowId?: string;
    runId?: string;
    activityId?: string;
  }): { execution: Execution; info: ActivityInfo } => {
    if (!request.workflowId) throw invalidArgument('WorkflowId is not set on request.');
    if (!request.activityId) throw invalidArgument('ActivityId is not set on request.');
    const execution = store.get(namespaceOf(store, request.namespace), {
      workflowId: request.workflowId,
      runId: request.runId,
    });
    const found = execution.activities.findByActivityId(request.activityId);
    if (!found || !execution.isRunning) throw notFound(ACTIVITY_NOT_FOUND_MESSAGE);
    return { execution, info: execution.activities.startedAttempt(found) };
  };

  return {
    PollWorkflowTaskQueue: async (
      request: Req<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueRequest>,
      context: CallContext,
    ) => {
      const queue = store.matching.workflowQueue(
        namespaceOf(store, request.namespace),
        taskQueueName(request.taskQueue),
      );
      return (await poll(queue, request, context)) ?? {};
    },

    RespondWorkflowTaskCompleted: (
      request: Req<temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest>,
    ) => {
      const token = decodeToken(request.taskToken, 'wft');
      return runOf(token.namespace, token.workflowId, token.runId).tasks.complete(token, request);
    },

    RespondWorkflowTaskFailed: (request: Req<temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest>) => {
      const token = decodeToken(request.taskToken, 'wft');
      runOf(token.namespace, token.workflowId, token.runId).tasks.fail(token, request);
      return {};
    },

    RespondQueryTaskCompleted: (request: Req<temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest>) => {
      const token = decodeToken(request.taskToken, 'query');
      const execution = runOf(token.namespace, token.workflowId, token.runId);
      const answered = execution.queries.respond(
        token.queryId,
        request.completedType ?? 0,
        request.queryResult,
        request.errorMessage,
        request.failure,
      );
      if (!answered) throw notFound('query task not found, or already expired');
      return {};
    },

    ResetStickyTaskQueue: (request: Req<temporal.api.workflowservice.v1.IResetStickyTaskQueueRequest>) => {
      store.get(namespaceOf(store, request.namespace), request.execution).tasks.resetSticky();
      return {};
    },

    ShutdownWorker: (request: Req<temporal.api.workflowservice.v1.IShutdownWorkerRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      if (request.stickyTaskQueue) {
        for (const execution of store.allRuns()) {
          if (execution.key.namespace === namespace && execution.tasks.sticky?.name === request.stickyTaskQueue) {
            execution.tasks.resetSticky();
          }
        }
      }
      if (request.identity) {
        for (const queue of store.matching.queuesOf(namespace)) queue.releasePollers(request.identity);
      }
      return {};
    },

    PollActivityTaskQueue: async (
      request: Req<temporal.api.workflowservice.v1.IPollActivityTaskQueueRequest>,
      context: CallContext,
    ) => {
      const queue = store.matching.activityQueue(
        namespaceOf(store, request.namespace),
        taskQueueName(request.taskQueue),
      );
      return (await poll(queue, request, context)) ?? {};
    },

    RecordActivityTaskHeartbeat: (
      request: Req<temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatRequest>,
    ) => {
      const { execution, info } = activityByToken(request.taskToken);
      return execution.activities.heartbeat(info, request.details);
    },

    RecordActivityTaskHeartbeatById: (
      request: Req<temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatByIdRequest>,
    ) => {
      const { execution, info } = activityById(request);
      return execution.activities.heartbeat(info, request.details);
    },

    RespondActivityTaskCompleted: (
      request: Req<temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest>,
    ) => {
      const { execution, info } = activityByToken(request.taskToken);
      execution.activities.complete(info, request.result, request.identity ?? '');
      return {};
    },

    RespondActivityTaskCompletedById: (
      request: Req<temporal.api.workflowservice.v1.IRespondActivityTaskCompletedByIdRequest>,
    ) => {
      const { execution, info } = activityById(request);
      execution.activities.complete(info, request.result, request.identity ?? '');
      return {};
    },

    RespondActivityTaskFailed: (request: Req<temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest>) => {
      const { execution, info } = activityByToken(request.taskToken);
      execution.activities.fail(info, request.failure, request.identity ?? '', request.lastHeartbeatDetails);
      return {};
    },

    RespondActivityTaskFailedById: (
      request: Req<temporal.api.workflowservice.v1.IRespondActivityTaskFailedByIdRequest>,
    ) => {
      const { execution, info } = activityById(request);
      execution.activities.fail(info, request.failure, request.identity ?? '', request.lastHeartbeatDetails);
      return {};
    },

    RespondActivityTaskCanceled: (
      request: Req<temporal.api.workflowservice.v1.IRespondActivityTaskCanceledRequest>,
    ) => {
      const { execution, info } = activityByToken(request.taskToken);
      execution.activities.canceled(info, request.details, request.identity ?? '');
      return {};
    },

    RespondActivityTaskCanceledById: (
      request: Req<temporal.api.workflowservice.v1.IRespondActivityTaskCanceledByIdRequest>,
    ) => {
      const { execution, info } = activityById(request);
      execution.activities.canceled(info, request.details, request.identity ?? '');
      return {};
    },

    DescribeTaskQueue: (request: Req<temporal.api.workflowservice.v1.IDescribeTaskQueueRequest>) => {
      const namespace = namespaceOf(store, request.namespace);
      const name = taskQueueName(request.taskQueue);
      const queue =
        request.taskQueueType === 2
          ? store.matching.existingActivityQueue(namespace, name)
          : store.matching.existingWorkflowQueue(namespace, name);
      return {
        pollers: [...(queue?.pollers.values() ?? [])].map((p) => ({
          identity: p.identity,
          lastAccessTime: timestampFromMs(p.lastAccessTime),
          ratePerSecond: 100_000,
        })),
      };
    },
  };
}

function taskQueueName(taskQueue: { name?: string } | undefined): string {
  const name = taskQueue?.name;
  if (!name) throw invalidArgument('Missing task queue name.');
  return name;
}

function poll<R>(queue: TaskQueue<R>, request: { identity?: string }, context: CallContext): Promise<R | undefined> {
  const pollContext: PollContext = { identity: request.identity ?? '', request: request as Record<string, unknown> };
  const waitMs = Math.max(0, Math.min(LONG_POLL_MS, context.remainingMs() - 1000));
  return queue.poll(pollContext, waitMs, (hook) => context.onCancel(hook));
}
