/**
 * What an operation (a child workflow `cluster:<name>:<type>:<n>`) is doing or did: its status from
 * describe, its progress from its `progress` query, its outcome or failure from its result. When the
 * query gives no percent, the percent comes from the pending activity's heartbeat details (copies
 * heartbeat `{ done, total, unit }`).
 */
import { WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { ApplicationFailure, type LoadedDataConverter } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { progressQuery, type OperationOutcome } from '../workflows/operation';
import type { OperationProgress, OperationType } from '../workflows/types';
import type { ClusterGateway } from './cluster-gateway';
import { rootFailure } from './errors';

export type OperationState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'terminated' | 'timed-out';

export interface OperationStatus {
  operationId: string;
  type: OperationType;
  cluster: string;
  status: OperationState;
  startedAt?: string;
  closedAt?: string;
  progress?: Omit<OperationProgress, 'operationId' | 'type'>;
  result?: OperationOutcome;
  failure?: { type?: string; message: string };
}

const STATES: Record<string, OperationState> = {
  RUNNING: 'running',
  CONTINUED_AS_NEW: 'running',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
};

/** A progress query gets a short deadline of its own: without a worker the rest of the answer still comes. */
const PROGRESS_QUERY_TIMEOUT_MS = 3_000;

export async function operationStatus(gateway: ClusterGateway, operationId: string): Promise<OperationStatus> {
  const [, cluster, type] = operationId.split(':');
  const handle = gateway.workflow(operationId);
  const description = await gateway.bounded(() => handle.describe());
  const status = STATES[description.status.name] ?? 'running';
  const answer: OperationStatus = {
    operationId,
    type: type as OperationType,
    cluster,
    status,
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
  };
  const progress = await gateway
    .bounded(() => handle.query(progressQuery), PROGRESS_QUERY_TIMEOUT_MS)
    .catch(() => undefined);
  if (progress) {
    const { operationId: _id, type: _type, ...rest } = progress;
    answer.progress = rest;
    if (rest.percent === undefined && status === 'running') {
      const percent = await heartbeatPercent(description, gateway.client.options.loadedDataConverter);
      if (percent !== undefined) answer.progress.percent = percent;
    }
  }
  if (status === 'succeeded') {
    answer.result = await gateway.bounded(() => handle.result() as Promise<OperationOutcome>);
  } else if (status !== 'running') {
    answer.failure = await gateway.bounded(() => handle.result().then(() => undefined, failureOf));
  }
  return answer;
}

function failureOf(error: unknown): { type?: string; message: string } {
  const root = rootFailure(error);
  if (root instanceof ApplicationFailure) return { ...(root.type ? { type: root.type } : {}), message: root.message };
  if (root instanceof Error) return { type: root.name, message: root.message };
  if (error instanceof WorkflowFailedError) return { message: error.message };
  return { message: String(root) };
}

/** Percent done of the first pending activity that heartbeats `{ done, total }` with a total. */
export async function heartbeatPercent(
  description: Pick<WorkflowExecutionDescription, 'raw'>,
  converter: LoadedDataConverter,
): Promise<number | undefined> {
  for (const activity of description.raw.pendingActivities ?? []) {
    const payloads = activity.heartbeatDetails?.payloads;
    if (!payloads?.length) continue;
    const [details] = await decodeArrayFromPayloads(converter, payloads).catch(() => [undefined]);
    const { done, total } = (details ?? {}) as { done?: unknown; total?: unknown };
    if (typeof done === 'number' && typeof total === 'number' && total > 0) {
      return Math.min(100, Math.round((done / total) * 1000) / 10);
    }
  }
  return undefined;
}
