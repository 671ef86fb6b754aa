/**
 * Start requests: the real server's validation and defaults (timeouts, task timeout caps, retry
 * policy, cron, start delay), turned into a run's configuration.
 */
import type { temporal } from '@temporalio/proto';
import { invalidArgument } from './errors';
import { retryPolicyProblem, withDefaults } from './execution/retry';
import type { RunConfig } from './execution/types';
import type { NamespaceRecord } from './namespaces';
import { type Plain, msFromDuration } from './proto';
import { cronBackoffMs, validateCronSchedule } from './schedules/cron';
import { searchAttributesProblem } from './search-attributes';
import type { StartContext } from './store';

type StartRequest = Plain<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest>;

const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;
const MAX_WORKFLOW_TASK_TIMEOUT_MS = 120_000;
const MAX_ID_LENGTH = 1000;

/** Validates a start request and turns it into the run's configuration (the real server's messages). */
export function runConfigFrom(
  request: StartRequest,
  context: StartContext,
  namespace: NamespaceRecord,
  now: number,
): RunConfig {
  const workflowId = request.workflowId ?? '';
  if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (workflowId.length > MAX_ID_LENGTH) throw invalidArgument('WorkflowId length exceeds limit.');
  const workflowType = request.workflowType?.name ?? '';
  if (!workflowType) throw invalidArgument('WorkflowType is not set on request.');
  const taskQueue = request.taskQueue?.name ?? '';
  if (!taskQueue) throw invalidArgument('TaskQueue is not set on request.');
  for (const [name, d] of [
    ['WorkflowExecutionTimeout', request.workflowExecutionTimeout],
    ['WorkflowRunTimeout', request.workflowRunTimeout],
    ['WorkflowTaskTimeout', request.workflowTaskTimeout],
    ['WorkflowStartDelay', request.workflowStartDelay],
  ] as const) {
    if ((d?.seconds ?? 0) < 0 || (d?.nanos ?? 0) < 0) throw invalidArgument(`Invalid ${name}.`);
  }
  const policyProblem = retryPolicyProblem(request.retryPolicy);
  if (policyProblem) throw invalidArgument(policyProblem);
  const saProblem = searchAttributesProblem(namespace, request.searchAttributes);
  if (saProblem) throw invalidArgument(saProblem);
  if (request.cronSchedule) {
    try {
      validateCronSchedule(request.cronSchedule, now);
    } catch (err) {
      throw invalidArgument(`Invalid CronSchedule. ${(err as Error).message}`);
    }
    if (request.workflowStartDelay && msFromDuration(request.workflowStartDelay)) {
      throw invalidArgument('CronSchedule and WorkflowStartDelay may not be used together.');
    }
  }

  const executionTimeoutMs = msFromDuration(request.workflowExecutionTimeout) ?? 0;
  let runTimeoutMs = msFromDuration(request.workflowRunTimeout) ?? 0;
  if (executionTimeoutMs > 0 && (runTimeoutMs === 0 || runTimeoutMs > executionTimeoutMs))
    runTimeoutMs = executionTimeoutMs;
  let taskTimeoutMs = msFromDuration(request.workflowTaskTimeout) ?? DEFAULT_WORKFLOW_TASK_TIMEOUT_MS;
  taskTimeoutMs = Math.min(taskTimeoutMs, MAX_WORKFLOW_TASK_TIMEOUT_MS);
  if (runTimeoutMs > 0) taskTimeoutMs = Math.min(taskTimeoutMs, runTimeoutMs);

  const startDelayMs = msFromDuration(request.workflowStartDelay) ?? 0;
  const cronBackoffMs = context.continuation ? 0 : firstCronBackoff(request.cronSchedule, now);
  return {
    workflowType,
    taskQueue,
    input: request.input,
    header: request.header,
    executionTimeoutMs,
    runTimeoutMs,
    workflowTaskTimeoutMs: taskTimeoutMs,
    retryPolicy: request.retryPolicy ? withDefaults(request.retryPolicy) : undefined,
    cronSchedule: request.cronSchedule || undefined,
    identity: request.identity ?? '',
    requestId: request.requestId || crypto.randomUUID(),
    parent: context.parent,
    root: context.root,
    firstExecutionRunId: '',
    originalExecutionRunId: '',
    attempt: 1,
    executionExpirationTime: executionTimeoutMs ? now + executionTimeoutMs : 0,
    firstWorkflowTaskBackoffMs: startDelayMs + cronBackoffMs,
    userMetadata: request.userMetadata,
    priority: request.priority,
    completionCallbacks: request.completionCallbacks,
    links: request.links,
    lastCompletionResult: request.lastCompletionResult,
    continuedFailure: request.continuedFailure,
  };
}

function firstCronBackoff(cron: string | undefined, now: number): number {
  return cron ? (cronBackoffMs(cron, now, now) ?? 0) : 0;
}
