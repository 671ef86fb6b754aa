/**
 * Drives one cluster entity the way the API does: starts it, sends its Updates, follows each
 * operation's child workflow to its end and reads the entity's state afterwards. Every operation's
 * wall time (from the request to the entity recording its outcome) is returned for the report.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type UpdateDefinition } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterWorkflowId, stateQuery, type ClusterInput } from '../../workflows/cluster-api';
import type { OperationInput } from '../../workflows/operation-params';
import { progressQuery } from '../../workflows/operation';
import type {
  ClusterSpec,
  ClusterView,
  Credentials,
  OperationProgress,
  OperationRecord,
  OperationRef,
} from '../../workflows/types';
import { TASK_QUEUE } from './e2e-env';

/** How often state and progress are polled: often enough to catch a step, rarely enough to cost nothing. */
const POLL_MS = 100;

export class OperationFailedError extends Error {
  override name = 'OperationFailedError';
}

export interface Finished {
  record: OperationRecord;
  view: ClusterView;
  ms: number;
}

export class ClusterSession {
  readonly handle: WorkflowHandle;

  constructor(
    readonly client: Client,
    readonly name: string,
  ) {
    this.handle = client.workflow.getHandle(clusterWorkflowId(name));
  }

  /** Starts the entity (its deploy begins at once) and waits until the deploy ended. */
  async create(spec: ClusterSpec, input: Partial<ClusterInput> = {}): Promise<Finished> {
    const started = Date.now();
    await this.client.workflow.start('clusterWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: clusterWorkflowId(spec.name),
      args: [
        {
          spec,
          actor: 'e2e',
          ...input,
          // The failover monitor's health checks would compete with the operations under test.
          settings: { autoFailover: false, ...input.settings },
        } satisfies ClusterInput,
      ],
    });
    const deploy = `${clusterWorkflowId(spec.name)}:deploy:1`;
    return this.finished(deploy, started);
  }

  state(): Promise<ClusterView> {
    return this.handle.query(stateQuery);
  }

  /** Sends an Update that starts an operation and waits until the entity recorded its outcome. */
  async run<Request>(update: UpdateDefinition<OperationRef, [Request]>, request: Request): Promise<Finished> {
    const started = Date.now();
    const ref = await this.start(update, request);
    return this.finished(ref.id, started);
  }

  /** Sends an Update that starts an operation; returns at once with the operation's reference. */
  start<Request>(update: UpdateDefinition<OperationRef, [Request]>, request: Request): Promise<OperationRef> {
    return this.handle.executeUpdate(update, { args: [request] });
  }

  /**
   * Waits for the operation's child workflow to close, then for the entity to record it; throws
   * OperationFailedError with the entity's error when it failed.
   */
  async finished(operationId: string, started = Date.now()): Promise<Finished> {
    await this.childClosed(operationId);
    for (;;) {
      const view = await this.state();
      const record = view.history.find((r) => r.id === operationId);
      if (record) {
        if (record.outcome !== 'succeeded') {
          throw new OperationFailedError(
            `${record.type} ${operationId} failed: ${record.error ?? 'no error recorded'}`,
          );
        }
        return { record, view, ms: Date.now() - started };
      }
      await sleep(POLL_MS);
    }
  }

  private async childClosed(operationId: string): Promise<void> {
    for (;;) {
      try {
        await this.client.workflow.getHandle(operationId).result();
        return;
      } catch (err) {
        // Not started yet (the entity starts it a moment after the request), or failed: the entity says why.
        if (!(err instanceof WorkflowNotFoundError)) return;
      }
      await sleep(POLL_MS);
    }
  }

  progress(operationId: string): Promise<OperationProgress> {
    return this.client.workflow.getHandle(operationId).query(progressQuery);
  }

  /** Polls the operation's progress until `predicate` holds (the step a crash test kills the worker at). */
  async waitForProgress(operationId: string, predicate: (p: OperationProgress) => boolean): Promise<OperationProgress> {
    for (;;) {
      try {
        const progress = await this.progress(operationId);
        if (predicate(progress)) return progress;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      await sleep(POLL_MS / 5);
    }
  }

  /**
   * Polls the operation's pending activities (as the server describes them) until an activity of
   * this type is running on a worker: the moment a crash test kills that worker.
   */
  async waitForRunningActivity(operationId: string, activityType: string): Promise<void> {
    const handle = this.client.workflow.getHandle(operationId);
    for (;;) {
      try {
        const { raw } = await handle.describe();
        const running = (raw.pendingActivities ?? []).some(
          (a) =>
            a.activityType?.name === activityType &&
            a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        );
        if (running) return;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      await sleep(POLL_MS / 5);
    }
  }

  /**
   * The cluster's credentials, as the entity handed them to its first deploy. The product has no
   * way yet to give a user their database credentials; the test reads them from the deploy's input
   * in the workflow history (where they sit in clear: no payload codec is configured).
   */
  async credentials(): Promise<Credentials> {
    const history = await this.client.workflow.getHandle(`${clusterWorkflowId(this.name)}:deploy:1`).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) throw new Error(`the first deploy of ${this.name} has no input in its history`);
    return defaultPayloadConverter.fromPayload<OperationInput<unknown>>(payload).context.credentials;
  }
}
