/** Starting, signalling, querying, describing, cancelling and terminating workflow executions. */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, notFound, workflowCompleted } from '../errors';
import type { Execution } from '../execution/execution';
import { CLOSE_EVENT_TYPES } from '../execution/history';
import { Status } from '../execution/types';
import type { CallContext, Handler } from '../grpc';
import { type HistoryEvent, type Plain, durationFromMs, enums, timestampFromMs } from '../proto';
import type { NamespaceRecord } from '../namespaces';
import { withTypeMetadata } from '../search-attributes';
import type { Store } from '../store';

type Req<T> = Plain<T>;

const QueryRejectCondition = enums.QueryRejectCondition;
const CLOSE_EVENT_FILTER = enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
const DEFAULT_HISTORY_PAGE_SIZE = 1000;
/** Long polls on history answer empty after this long so that clients poll again. */
const HISTORY_LONG_POLL_MS = 20_000;

export function executionHandlers(store: Store): Record<string, Handler> {
  return {
    StartWorkflowExecution: (request: Req<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest>) => {
      const { execution, started } = store.startWorkflow(request);
      return { runId: execution.key.runId, started, status: execution.status };
    },

    SignalWorkflowExecution: (request: Req<temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest>) => {
      if (!request.signalName) throw invalidArgument('SignalName is not set on request.');
      const execution = store.get(namespaceOf(store, request.namespace), request.workflowExecution);
      execution.signal(request.signalName, request.input, request.identity ?? '', request.header, request.requestId);
      return {};
    },

    SignalWithStartWorkflowExecution: (
      request: Req<temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest>,
    ) => {
      if (!request.signalName) throw invalidArgument('SignalName is not set on request.');
      const namespace = namespaceOf(store, request.namespace);
      const current = request.workflowId ? store.find(namespace, request.workflowId) : undefined;
      const conflict =
        request.workflowIdConflictPolicy || enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;
      if (current?.isRunning && conflict === enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
        current.signal(request.signalName, request.signalInput, request.identity ?? '', request.header);
        return { runId: current.key.runId, started: false };
      }
      const { execution, started } = store.startWorkflow(
        { ...request, input: request.input, workflowIdConflictPolicy: conflict },
        {
          initialSignal: {
            name: request.signalName,
            input: request.signalInput,
            header: request.header,
            identity: request.identity ?? '',
          },
        },
      );
      return { runId: execution.key.runId, started };
    },

    TerminateWorkflowExecution: (request: Req<temporal.api.workflowservice.v1.ITerminateWorkflowExecutionRequest>) => {
      const execution = runOfChain(store, request.namespace, request.workflowExecution, request.firstExecutionRunId);
      execution.terminate(request.reason ?? '', request.details, request.identity ?? '');
      return {};
    },

    RequestCancelWorkflowExecution: (
      request: Req<temporal.api.workflowservice.v1.IRequestCancelWorkflowExecutionRequest>,
    ) => {
      const execution = runOfChain(store, request.namespace, request.workflowExecution, request.firstExecutionRunId);
      execution.requestCancel(request.reason ?? '', request.identity ?? '');
      return {};
    },

    DeleteWorkflowExecution: (request: Req<temporal.api.workflowservice.v1.IDeleteWorkflowExecutionRequest>) => {
      const execution = store.get(namespaceOf(store, request.namespace), request.workflowExecution);
      if (execution.isRunning) execution.terminate('Delete workflow execution', undefined, 'history-service');
      store.deleteRun(execution);
      return {};
    },

    DescribeWorkflowExecution: (request: Req<temporal.api.workflowservice.v1.IDescribeWorkflowExecutionRequest>) => {
      const execution = store.get(namespaceOf(store, request.namespace), request.execution);
      return describe(execution, store.namespaces.get(execution.key.namespace));
    },

    QueryWorkflow: async (
      request: Req<temporal.api.workflowservice.v1.IQueryWorkflowRequest>,
      context: CallContext,
    ) => {
      const execution = store.get(namespaceOf(store, request.namespace), request.execution);
      if (!request.query?.queryType) throw invalidArgument('QueryType is not set on request.');
      const reject = request.queryRejectCondition ?? 0;
      if (
        !execution.isRunning &&
        (reject === QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN ||
          (reject === QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
            execution.status !== Status.COMPLETED))
      ) {
        return { queryRejected: { status: execution.status } };
      }
      const answer = await execution.queries.submit(request.query, (hook) => context.onCancel(hook));
      return { queryResult: answer };
    },

    GetWorkflowExecutionHistory: async (
      request: Req<temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest>,
      context: CallContext,
    ) => {
      const token = decodePageToken(request.nextPageToken);
      const execution = store.get(namespaceOf(store, request.namespace), {
        workflowId: request.execution?.workflowId,
        runId: token?.runId || request.execution?.runId,
      });
      if (request.historyEventFilterType === CLOSE_EVENT_FILTER) {
        if (execution.isRunning && request.waitNewEvent) await waitFor(execution, () => !execution.isRunning, context);
        const close = execution.isRunning
          ? undefined
          : execution.history.events.find((e) => CLOSE_EVENT_TYPES.has(e.eventType ?? 0));
        if (!close) return { history: { events: [] }, nextPageToken: encodePageToken(execution.key.runId, 1) };
        return { history: { events: [close] } };
      }
      let from = token?.nextEventId ?? 1;
      if (request.waitNewEvent && execution.isRunning && from > execution.history.events.length) {
        await waitFor(execution, () => execution.history.events.length >= from || !execution.isRunning, context);
      }
      const events = execution.history.events;
      from = Math.min(from, events.length + 1);
      const pageSize =
        request.maximumPageSize && request.maximumPageSize > 0 ? request.maximumPageSize : DEFAULT_HISTORY_PAGE_SIZE;
      const page = events.slice(from - 1, from - 1 + pageSize);
      const next = from + page.length;
      const more = next <= events.length || (request.waitNewEvent && execution.isRunning);
      return {
        history: { events: page },
        nextPageToken: more ? encodePageToken(execution.key.runId, next) : undefined,
      };
    },

    GetWorkflowExecutionHistoryReverse: (
      request: Req<temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryReverseRequest>,
    ) => {
      const token = decodePageToken(request.nextPageToken);
      const execution = store.get(namespaceOf(store, request.namespace), {
        workflowId: request.execution?.workflowId,
        runId: token?.runId || request.execution?.runId,
      });
      const events = execution.history.events;
      const last = token ? token.nextEventId : events.length;
      const pageSize =
        request.maximumPageSize && request.maximumPageSize > 0 ? request.maximumPageSize : DEFAULT_HISTORY_PAGE_SIZE;
      const first = Math.max(1, last - pageSize + 1);
      const page: HistoryEvent[] = events.slice(first - 1, last).reverse();
      return {
        history: { events: page },
        nextPageToken: first > 1 ? encodePageToken(execution.key.runId, first - 1) : undefined,
      };
    },
  };
}

export function namespaceOf(store: Store, namespace: string | undefined): string {
  return store.namespaces.get(namespace).name;
}

/** The run a terminate/cancel targets; with firstExecutionRunId it must belong to that chain. */
function runOfChain(
  store: Store,
  namespace: string | undefined,
  execution: { workflowId?: string; runId?: string } | undefined,
  firstExecutionRunId: string | undefined,
): Execution {
  const run = store.get(namespaceOf(store, namespace), execution);
  if (firstExecutionRunId && run.config.firstExecutionRunId !== firstExecutionRunId) {
    throw notFound('workflow execution not found for the given first execution run ID');
  }
  if (!run.isRunning) throw workflowCompleted();
  return run;
}

function waitFor(execution: Execution, condition: () => boolean, context: CallContext): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve) => {
    const timeout = setTimeout(done, Math.max(0, Math.min(HISTORY_LONG_POLL_MS, context.remainingMs() - 1000)));
    const unsubscribe = execution.history.subscribe(() => {
      if (condition()) done();
    });
    context.onCancel(done);
    function done() {
      clearTimeout(timeout);
      unsubscribe();
      resolve();
    }
  });
}

function encodePageToken(runId: string, nextEventId: number): Uint8Array {
  return Buffer.from(JSON.stringify({ runId, nextEventId }));
}

function decodePageToken(bytes: Uint8Array | undefined): { runId: string; nextEventId: number } | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const token = JSON.parse(Buffer.from(bytes).toString()) as { runId: string; nextEventId: number };
    if (typeof token.runId === 'string' && Number.isInteger(token.nextEventId)) return token;
  } catch {
    // fall through
  }
  throw invalidArgument('Invalid NextPageToken.');
}

export function executionInfo(
  execution: Execution,
  namespace: NamespaceRecord,
): Plain<temporal.api.workflow.v1.IWorkflowExecutionInfo> {
  const c = execution.config;
  return {
    execution: { workflowId: execution.key.workflowId, runId: execution.key.runId },
    type: { name: c.workflowType },
    startTime: timestampFromMs(execution.startTime),
    closeTime: execution.close ? timestampFromMs(execution.close.time) : undefined,
    status: execution.status,
    historyLength: execution.history.events.length,
    parentNamespaceId: c.parent?.namespaceId,
    parentExecution: c.parent ? { workflowId: c.parent.workflowId, runId: c.parent.runId } : undefined,
    executionTime: timestampFromMs(execution.executionTime),
    memo: execution.metadata.memo ?? { fields: {} },
    searchAttributes: withTypeMetadata(namespace, execution.metadata.searchAttributes),
    taskQueue: c.taskQueue,
    stateTransitionCount: execution.history.events.length,
    historySizeBytes: execution.history.approximateSizeBytes,
    rootExecution: c.root ?? { workflowId: execution.key.workflowId, runId: execution.key.runId },
    firstRunId: c.firstExecutionRunId,
    executionDuration: execution.close ? durationFromMs(execution.close.time - execution.startTime) : undefined,
  };
}

function describe(
  execution: Execution,
  namespace: NamespaceRecord,
): Plain<temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse> {
  const c = execution.config;
  const task = execution.tasks.current;
  return {
    executionConfig: {
      taskQueue: { name: c.taskQueue, kind: 1 },
      workflowExecutionTimeout: durationFromMs(c.executionTimeoutMs),
      workflowRunTimeout: durationFromMs(c.runTimeoutMs),
      defaultWorkflowTaskTimeout: durationFromMs(c.workflowTaskTimeoutMs),
      userMetadata: c.userMetadata,
    },
    workflowExecutionInfo: executionInfo(execution, namespace),
    pendingActivities: execution.activities.describe(),
    pendingChildren: execution.children.describe(),
    pendingWorkflowTask: task
      ? {
          state: task.startedEventId ? 2 : 1,
          scheduledTime: timestampFromMs(task.scheduledTime),
          originalScheduledTime: timestampFromMs(task.scheduledTime),
          startedTime: task.startedEventId ? timestampFromMs(task.startedTime) : undefined,
          attempt: task.attempt,
        }
      : undefined,
  };
}
