/**
 * Everything the API asks of Temporal, in one place: start a cluster entity, query it, send it
 * Updates, list clusters through visibility, ask operation and migration workflows. Every call
 * runs under a deadline, so a missing worker turns into a 504 instead of a hanging request.
 */
import { Client, WorkflowClient, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { defineSearchAttributeKey, SearchAttributeType, type UpdateDefinition } from '@temporalio/common';
import { clusterWorkflowId, credentialsQuery, stateQuery, type ClusterInput } from '../workflows/cluster-api';
import type { ClusterView, Credentials, OperationRef } from '../workflows/types';

export const CLUSTER_WORKFLOW_TYPE = 'clusterWorkflow';
const FIRST_CHILD_WAIT_MS = 10_000;
const ClusterNameKey = defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD);
const ClusterEngineKey = defineSearchAttributeKey('ClusterEngine', SearchAttributeType.KEYWORD);
const ClusterOperationKey = defineSearchAttributeKey('ClusterOperation', SearchAttributeType.KEYWORD);

export interface ClusterSummary {
  name: string;
  engine?: string;
  operation?: string;
  startedAt: string;
}

export class ClusterGateway {
  /** Refuses queries to closed workflows: a deleted cluster is a 404, not its last state. */
  private readonly openOnly: WorkflowClient;

  constructor(
    readonly client: Client,
    private readonly taskQueue: string,
    private readonly timeoutMs: number,
  ) {
    this.openOnly = new WorkflowClient({
      connection: client.connection,
      namespace: client.options.namespace,
      dataConverter: client.options.dataConverter,
      interceptors: client.options.interceptors?.workflow,
      queryRejectCondition: 'NOT_OPEN',
    });
  }

  /** Runs `work` with a deadline on every Temporal call it makes. */
  bounded<T>(work: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    return this.client.withDeadline(Date.now() + timeoutMs, work);
  }

  entity(name: string): WorkflowHandle {
    return this.openOnly.getHandle(clusterWorkflowId(name));
  }

  /** The state of a live cluster (404 when it does not exist or was deleted). */
  state(name: string): Promise<ClusterView> {
    return this.bounded(() => this.entity(name).query(stateQuery));
  }

  /** The last state of a cluster, deleted or not (a closed workflow answers from its history). */
  lastState(name: string): Promise<ClusterView> {
    return this.bounded(() => this.client.workflow.getHandle(clusterWorkflowId(name)).query(stateQuery));
  }

  /** The secrets of a live cluster, through the entity's own query (its state never carries them). */
  credentials(name: string): Promise<Credentials> {
    return this.bounded(() => this.entity(name).query(credentialsQuery));
  }

  update<Ret, Arg>(name: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
    return this.bounded(() => this.entity(name).executeUpdate(update, { args: [arg] }));
  }

  /** Starts a cluster entity; its first operation is `cluster:<name>:deploy:1`. */
  async create(input: ClusterInput): Promise<OperationRef> {
    const { name, engine } = input.spec;
    await this.bounded(() =>
      this.client.workflow.start(CLUSTER_WORKFLOW_TYPE, {
        taskQueue: this.taskQueue,
        workflowId: clusterWorkflowId(name),
        args: [input],
        // Unique among live clusters; a deleted cluster's name may be used again.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        // Set at start too, so the cluster is listed before its first workflow task runs.
        typedSearchAttributes: [
          { key: ClusterNameKey, value: name },
          { key: ClusterEngineKey, value: engine },
        ],
      }),
    );
    await this.firstChildStarted(clusterWorkflowId(name));
    return {
      type: 'deploy',
      id: `${clusterWorkflowId(name)}:deploy:1`,
      startedAt: new Date().toISOString(),
      actor: input.actor,
    };
  }

  /**
   * Waits (long-polling the entity's history, at most a few seconds) until the entity has started its
   * deploy child, so that the operation URL of the 202 answer can be polled at once. If it takes
   * longer, the answer goes out anyway: the deploy still starts, only later.
   */
  private async firstChildStarted(workflowId: string): Promise<void> {
    const { EventType } = temporal.api.enums.v1;
    const settled = new Set([
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    ]);
    let nextPageToken: Uint8Array | undefined;
    await this.bounded(
      async () => {
        for (;;) {
          const page = await this.client.workflowService.getWorkflowExecutionHistory({
            namespace: this.client.options.namespace,
            execution: { workflowId },
            waitNewEvent: true,
            nextPageToken,
          });
          if (page.history?.events?.some((e) => e.eventType != null && settled.has(e.eventType))) return;
          if (!page.nextPageToken?.length) return;
          nextPageToken = page.nextPageToken;
        }
      },
      Math.min(this.timeoutMs, FIRST_CHILD_WAIT_MS),
    ).catch(() => undefined);
  }

  /** Live clusters through visibility, newest first. */
  list(filter: { engine?: string; limit: number }): Promise<ClusterSummary[]> {
    const conditions = [`WorkflowType = '${CLUSTER_WORKFLOW_TYPE}'`, `ExecutionStatus = 'Running'`];
    // `engine` is one of a closed set of names (validated), so it is safe inside the quotes.
    if (filter.engine) conditions.push(`ClusterEngine = '${filter.engine}'`);
    return this.bounded(async () => {
      const found: ClusterSummary[] = [];
      for await (const execution of this.client.workflow.list({ query: conditions.join(' AND ') })) {
        const keyword = (key: typeof ClusterNameKey) =>
          execution.typedSearchAttributes.get(key) ??
          // Values upserted without type metadata (the devserver returns them as sent) only decode untyped.
          (execution.searchAttributes[key.name]?.[0] as string | undefined);
        found.push({
          name: keyword(ClusterNameKey) ?? execution.workflowId.replace(/^cluster:/, ''),
          engine: keyword(ClusterEngineKey),
          operation: keyword(ClusterOperationKey),
          startedAt: execution.startTime.toISOString(),
        });
        if (found.length >= filter.limit) break;
      }
      return found;
    });
  }

  /** Any workflow by id (operations, migrations); queries may reach closed ones. */
  workflow(workflowId: string): WorkflowHandle {
    return this.client.workflow.getHandle(workflowId);
  }

  systemInfo() {
    return this.bounded(() => this.client.workflowService.getSystemInfo({}), Math.min(this.timeoutMs, 5_000));
  }
}
