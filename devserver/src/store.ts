/**
 * All workflow runs of the server, by namespace and workflow id, and the rules for starting one:
 * request-id idempotency, id conflict and reuse policies, timeouts and retry policy defaults.
 */
import type { temporal } from '@temporalio/proto';
import type { Clock } from './clock';
import { invalidArgument, workflowAlreadyStarted, workflowNotFound } from './errors';
import { Execution, type RunSnapshot } from './execution/execution';
import type { ChildInfo } from './execution/children';
import type { Continuation } from './execution/completion';
import {
  type ExecutionHost,
  type ExecutionKey,
  type ParentInfo,
  type PollActivityTaskQueueResponse,
  type PollWorkflowTaskQueueResponse,
  type RunConfig,
  Status,
} from './execution/types';
import { Matching } from './matching';
import { Namespaces } from './namespaces';
import { type HistoryEvent, type Plain, type SearchAttributes, enums } from './proto';
import { searchAttributesProblem } from './search-attributes';
import { runConfigFrom } from './start-request';

type StartRequest = Plain<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest>;

const ReusePolicy = enums.WorkflowIdReusePolicy;
const ConflictPolicy = enums.WorkflowIdConflictPolicy;

interface WorkflowChain {
  current: Execution;
  runs: Map<string, Execution>;
}

export interface StartOutcome {
  execution: Execution;
  started: boolean;
}

/** Extra fields for runs started by the server itself (children, retries, cron, continue-as-new). */
export interface StartContext {
  parent?: ParentInfo;
  root?: { workflowId: string; runId: string };
  runId?: string;
  continuation?: { previous: Execution; next: Continuation };
  /** SignalWithStart: the signal recorded right after the start. */
  initialSignal?: Parameters<Execution['begin']>[0];
}

export interface StoreListener {
  changed(execution: Execution): void;
  closed(execution: Execution): void;
  namespaceChanged?(name: string): void;
  deleted?(execution: Execution): void;
}

export class Store implements ExecutionHost {
  readonly namespaces: Namespaces;
  readonly clusterId = crypto.randomUUID();
  readonly matching: Matching<PollWorkflowTaskQueueResponse, PollActivityTaskQueueResponse>;
  private readonly chains = new Map<string, WorkflowChain>();
  private readonly listeners: StoreListener[] = [];
  /** Delete closed runs after the namespace's retention (off under time skipping, like the test server). */
  private readonly retention: boolean;

  constructor(
    readonly clock: Clock,
    private readonly logger: (message: string, fields?: Record<string, unknown>) => void = () => {},
    options: { autoRegisterNamespaces?: boolean; retention?: boolean } = {},
  ) {
    this.retention = options.retention ?? true;
    this.namespaces = new Namespaces(() => clock.now(), options.autoRegisterNamespaces);
    this.matching = new Matching(() => clock.now());
  }

  addListener(listener: StoreListener): void {
    this.listeners.push(listener);
  }

  /** A namespace was registered or changed (persistence). */
  namespaceChanged(name: string): void {
    for (const l of this.listeners) l.namespaceChanged?.(name);
  }

  // ExecutionHost

  namespaceId(namespace: string): string {
    return this.namespaces.get(namespace).id;
  }

  changed(key: ExecutionKey): void {
    const execution = this.find(key.namespace, key.workflowId, key.runId);
    if (execution) for (const l of this.listeners) l.changed(execution);
  }

  closed(key: ExecutionKey): void {
    const execution = this.find(key.namespace, key.workflowId, key.runId);
    if (!execution) return;
    const next = execution.pendingContinuation;
    if (next) this.startContinuation(execution, next);
    else this.notifyParent(execution);
    this.scheduleRetention(execution);
    for (const l of this.listeners) l.closed(execution);
  }

  /** A child chain ended (its last run closed with nothing following): its parent records the outcome. */
  private notifyParent(child: Execution): void {
    const parentInfo = child.config.parent;
    if (!parentInfo) return;
    const parent = this.find(parentInfo.namespace, parentInfo.workflowId, parentInfo.runId);
    if (!parent?.isRunning) return;
    parent.children.onChildClosed(parentInfo.initiatedEventId, {
      status: child.status,
      runId: child.key.runId,
      closeEvent: child.history.lastEvent!,
    });
  }

  startChild(
    parent: Execution,
    initiatedEventId: number,
    attrs: Plain<temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes>,
  ): string {
    const namespace = attrs.namespace || parent.key.namespace;
    const { execution } = this.startWorkflow(
      {
        namespace,
        workflowId: attrs.workflowId,
        workflowType: attrs.workflowType,
        taskQueue: attrs.taskQueue,
        input: attrs.input,
        workflowExecutionTimeout: attrs.workflowExecutionTimeout,
        workflowRunTimeout: attrs.workflowRunTimeout,
        workflowTaskTimeout: attrs.workflowTaskTimeout,
        identity: `workflow:${parent.key.workflowId}`,
        requestId: `${parent.key.runId}:${initiatedEventId}`,
        workflowIdReusePolicy: attrs.workflowIdReusePolicy,
        workflowIdConflictPolicy: ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
        retryPolicy: attrs.retryPolicy,
        cronSchedule: attrs.cronSchedule,
        memo: attrs.memo,
        searchAttributes: attrs.searchAttributes,
        header: attrs.header,
        priority: attrs.priority,
      },
      {
        parent: {
          namespace: parent.key.namespace,
          namespaceId: parent.namespaceId,
          workflowId: parent.key.workflowId,
          runId: parent.key.runId,
          initiatedEventId,
        },
        root: parent.config.root ?? { workflowId: parent.key.workflowId, runId: parent.key.runId },
      },
    );
    return execution.key.runId;
  }

  applyParentClosePolicy(child: ChildInfo, parent: Execution): void {
    const run = child.runId ? this.find(child.namespace, child.workflowId, child.runId) : undefined;
    // The child may have continued as new: the policy applies to the current run of its chain.
    const current = run && !run.isRunning ? this.find(child.namespace, child.workflowId) : run;
    if (!current?.isRunning || current.config.parent?.runId !== parent.key.runId) return;
    if (child.parentClosePolicy === enums.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
      current.requestCancel('by parent close policy', 'history-service');
    } else {
      current.terminate('by parent close policy', undefined, 'history-service');
    }
  }

  deliverSignal(
    namespace: string,
    target: { workflowId: string; runId?: string },
    signal: Parameters<ExecutionHost['deliverSignal']>[2],
  ): boolean {
    const run = this.findOpen(namespace, target);
    if (!run) return false;
    if (signal.childOf && run.config.parent?.runId !== signal.childOf.key.runId) return false;
    run.signal(signal.signalName, signal.input, signal.identity, signal.header, signal.requestId);
    return true;
  }

  deliverCancel(
    namespace: string,
    target: { workflowId: string; runId?: string },
    request: Parameters<ExecutionHost['deliverCancel']>[2],
  ): boolean {
    const run = this.findOpen(namespace, target);
    if (!run) return false;
    run.requestCancel(request.reason, request.identity, {
      initiatedEventId: request.initiatedEventId,
      workflowId: request.requester.key.workflowId,
      runId: request.requester.key.runId,
    });
    return true;
  }

  private findOpen(namespace: string, target: { workflowId: string; runId?: string }): Execution | undefined {
    const run = this.find(namespace, target.workflowId, target.runId);
    return run?.isRunning ? run : undefined;
  }

  searchAttributesProblem(namespace: string, searchAttributes: SearchAttributes | undefined): string | undefined {
    return searchAttributesProblem(this.namespaces.get(namespace), searchAttributes);
  }

  log(message: string, fields?: Record<string, unknown>): void {
    this.logger(message, fields);
  }

  // Lookups

  find(namespace: string, workflowId: string, runId?: string): Execution | undefined {
    const chain = this.chains.get(chainKey(namespace, workflowId));
    if (!chain) return undefined;
    return runId ? chain.runs.get(runId) : chain.current;
  }

  /** The run named, or the current run of the workflow id; NotFound otherwise. */
  get(namespace: string, execution: { workflowId?: string; runId?: string } | undefined): Execution {
    const workflowId = execution?.workflowId;
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    const found = this.find(namespace, workflowId, execution?.runId || undefined);
    if (!found) throw workflowNotFound(workflowId, execution?.runId || undefined);
    return found;
  }

  /** Adds a run read back from the journal. Runs of a workflow id must come in the order they started. */
  restoreRun(key: ExecutionKey, config: RunConfig, events: HistoryEvent[], snapshot: RunSnapshot): Execution {
    const execution = Execution.restore(this, key, config, events, snapshot);
    this.addRun(execution);
    if (!execution.isRunning) this.scheduleRetention(execution);
    return execution;
  }

  /** Every run, each workflow id's runs in the order they started (the journal's compaction order). */
  *allRunsInStartOrder(): Iterable<Execution> {
    for (const chain of this.chains.values()) yield* chain.runs.values();
  }

  /** Forgets a closed run (DeleteWorkflowExecution, retention). */
  deleteRun(execution: Execution): void {
    const id = chainKey(execution.key.namespace, execution.key.workflowId);
    const chain = this.chains.get(id);
    if (!chain) return;
    chain.runs.delete(execution.key.runId);
    if (chain.runs.size === 0) this.chains.delete(id);
    else if (chain.current === execution) chain.current = [...chain.runs.values()].at(-1)!;
    for (const l of this.listeners) l.deleted?.(execution);
  }

  *allRuns(): Iterable<Execution> {
    for (const chain of this.chains.values()) yield* chain.runs.values();
  }

  // Starting

  startWorkflow(request: StartRequest, context: StartContext = {}): StartOutcome {
    const namespace = this.namespaces.get(request.namespace).name;
    const config: RunConfig & { pendingTermination?: Execution } = runConfigFrom(
      request,
      context,
      this.namespaces.get(request.namespace),
      this.clock.now(),
    );
    const workflowId = request.workflowId!;
    const requestId = config.requestId;
    const existing = this.find(namespace, workflowId);

    if (existing) {
      if (requestId && existing.startRequestIds.has(requestId)) return { execution: existing, started: true };
      if (existing.isRunning) {
        let conflict = request.workflowIdConflictPolicy || ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL;
        if (request.workflowIdReusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
          conflict = ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
        }
        if (conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
          if (requestId) existing.startRequestIds.add(requestId);
          return { execution: existing, started: false };
        }
        if (conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
          throw workflowAlreadyStarted(
            workflowId,
            existing.key.runId,
            [...existing.startRequestIds][0] ?? '',
            'running',
          );
        }
        config.pendingTermination = existing;
      } else {
        const reuse = request.workflowIdReusePolicy || ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
        if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
          throw workflowAlreadyStarted(workflowId, existing.key.runId, '', 'rejectDuplicate');
        }
        if (
          reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
          existing.status === Status.COMPLETED
        ) {
          throw workflowAlreadyStarted(workflowId, existing.key.runId, '', 'failedOnly');
        }
      }
    }

    const runId = context.runId ?? crypto.randomUUID();
    const { pendingTermination, ...runConfig } = config;
    if (pendingTermination) {
      pendingTermination.terminate('TerminateIfRunning WorkflowIdReusePolicy Policy', undefined, 'history-service');
    }
    const execution = this.createRun(
      { namespace, workflowId, runId },
      { ...runConfig, firstExecutionRunId: runConfig.firstExecutionRunId || runId, originalExecutionRunId: runId },
      {
        memo: request.memo,
        searchAttributes: request.searchAttributes,
      },
    );
    execution.begin(context.initialSignal);
    this.changed(execution.key);
    return { execution, started: true };
  }

  private createRun(key: ExecutionKey, config: RunConfig, metadata: Execution['metadata']): Execution {
    const execution = new Execution(this, key, config, metadata);
    this.addRun(execution);
    return execution;
  }

  private addRun(execution: Execution): void {
    const key = execution.key;
    const id = chainKey(key.namespace, key.workflowId);
    const chain = this.chains.get(id);
    if (chain) {
      chain.current = execution;
      chain.runs.set(key.runId, execution);
    } else {
      this.chains.set(id, { current: execution, runs: new Map([[key.runId, execution]]) });
    }
  }

  /** Closed runs are kept for the namespace's retention period, then deleted. */
  private scheduleRetention(execution: Execution): void {
    if (!this.retention) return;
    const retentionMs = this.namespaces.get(execution.key.namespace).retentionMs;
    const closedAt = execution.close?.time ?? this.clock.now();
    this.clock.scheduleAt(closedAt + retentionMs, 'workflow retention', () => {
      if (this.find(execution.key.namespace, execution.key.workflowId, execution.key.runId) === execution)
        this.deleteRun(execution);
    });
  }

  /** Starts the run that follows a closed one (continue-as-new, retry, cron): same chain, new run id. */
  private startContinuation(previous: Execution, next: Continuation): void {
    const prev = previous.config;
    const runTimeoutMs = next.runTimeoutMs ?? prev.runTimeoutMs;
    const config: RunConfig = {
      ...prev,
      workflowType: next.workflowType ?? prev.workflowType,
      taskQueue: next.taskQueue ?? prev.taskQueue,
      input:
        next.input ??
        (next.initiator === enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW ? undefined : prev.input),
      header: next.header ?? prev.header,
      runTimeoutMs,
      workflowTaskTimeoutMs: next.workflowTaskTimeoutMs ?? prev.workflowTaskTimeoutMs,
      retryPolicy: next.retryPolicy ?? prev.retryPolicy,
      cronSchedule: next.cronSchedule ?? prev.cronSchedule,
      requestId: crypto.randomUUID(),
      continuedExecutionRunId: previous.key.runId,
      originalExecutionRunId: next.runId,
      attempt: next.attempt,
      firstWorkflowTaskBackoffMs: next.backoffMs,
      initiator: next.initiator,
      lastCompletionResult: next.lastCompletionResult,
      continuedFailure: next.continuedFailure,
    };
    const execution = this.createRun({ ...previous.key, runId: next.runId }, config, {
      memo: next.memo ?? previous.metadata.memo,
      searchAttributes: next.searchAttributes ?? previous.metadata.searchAttributes,
    });
    execution.begin();
    execution.updates.adopt(previous.carriedUpdates);
    this.changed(execution.key);
  }
}

function chainKey(namespace: string, workflowId: string): string {
  return `${namespace}\u0000${workflowId}`;
}
