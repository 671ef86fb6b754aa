/**
 * The StartWorkflowExecution request a schedule makes for one action, as the real server builds it:
 * the workflow id gets the nominal time appended, the run gets `TemporalScheduledStartTime` and
 * `TemporalScheduledById` search attributes, and the previous run's result or failure.
 */
import type { temporal } from '@temporalio/proto';
import { type Failure, type Payload, type Payloads, type Plain, enums } from '../proto';
import type { StartWorkflowRequest } from './host';
import { type BufferedStart, OverlapPolicy } from './scheduler-state';

export type NewWorkflowExecutionInfo = Plain<temporal.api.workflow.v1.INewWorkflowExecutionInfo>;

const ReusePolicy = enums.WorkflowIdReusePolicy;

/** Nominal times are used at second precision, as RFC 3339 with 'Z' (e.g. 2024-05-01T00:00:00Z). */
export function formatNominalTime(nominalMs: number): string {
  return new Date(Math.floor(nominalMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The workflow id of the run started for `nominalMs`: `<action workflowId>-<nominal time>`. */
export function scheduledWorkflowId(actionWorkflowId: string, nominalMs: number): string {
  return `${actionWorkflowId}-${formatNominalTime(nominalMs)}`;
}

/** The identity the scheduler starts, cancels and terminates runs with. */
export function schedulerIdentity(namespace: string, scheduleId: string): string {
  return `temporal-scheduler-${namespace}-${scheduleId}`;
}

function jsonPayload(value: string, type: string): Payload {
  return {
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from(type) },
    data: Buffer.from(JSON.stringify(value)),
  };
}

export interface ScheduledStartContext {
  namespace: string;
  scheduleId: string;
  lastCompletionResult?: Payloads;
  continuedFailure?: Failure;
}

export function buildStartRequest(
  action: NewWorkflowExecutionInfo,
  start: BufferedStart,
  context: ScheduledStartContext,
): StartWorkflowRequest {
  const nominal = formatNominalTime(start.nominalMs);
  // ALLOW_ALL runs (asked for explicitly, not through the schedule's policy) neither receive nor
  // produce the result chain, as on the server.
  const chained = start.overlapPolicy !== OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL;
  return {
    namespace: context.namespace,
    workflowId: scheduledWorkflowId(action.workflowId ?? '', start.nominalMs),
    workflowType: action.workflowType,
    taskQueue: action.taskQueue,
    input: action.input,
    workflowExecutionTimeout: action.workflowExecutionTimeout,
    workflowRunTimeout: action.workflowRunTimeout,
    workflowTaskTimeout: action.workflowTaskTimeout,
    identity: schedulerIdentity(context.namespace, context.scheduleId),
    requestId: crypto.randomUUID(),
    // A scheduled time runs at most once; a trigger or backfill may repeat one.
    workflowIdReusePolicy: start.manual
      ? ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
      : ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
    retryPolicy: action.retryPolicy,
    memo: action.memo,
    searchAttributes: {
      indexedFields: {
        ...(action.searchAttributes?.indexedFields ?? {}),
        TemporalScheduledStartTime: jsonPayload(nominal, 'Datetime'),
        TemporalScheduledById: jsonPayload(context.scheduleId, 'Keyword'),
      },
    },
    header: action.header,
    lastCompletionResult: chained ? context.lastCompletionResult : undefined,
    continuedFailure: chained ? context.continuedFailure : undefined,
    userMetadata: action.userMetadata,
    priority: action.priority,
  };
}
