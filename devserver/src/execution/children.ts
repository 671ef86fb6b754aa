/**
 * Child workflows of one run: StartChildWorkflowExecution, the child's lifecycle events in the
 * parent, and parent close policies. The child is started right after the workflow task that
 * initiated it has been recorded, as the real server's transfer task does.
 */
import type { temporal } from '@temporalio/proto';
import type { Release } from '../clock';
import { ServiceError } from '../errors';
import { EventType, enums, type Plain } from '../proto';
import type { Execution, ExternalEvent } from './execution';
import { Status } from './types';

type StartChildAttributes = Plain<temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes>;
type PendingChildInfo = Plain<temporal.api.workflow.v1.IPendingChildExecutionInfo>;

const ParentClosePolicy = enums.ParentClosePolicy;

export interface ChildInfo {
  initiatedEventId: number;
  namespace: string;
  workflowId: string;
  workflowType: string;
  parentClosePolicy: number;
  /** Set once started. */
  runId?: string;
  startedEventId?: number;
  /** Kept until the child has started, so a restart can still start it. */
  startAttributes?: StartChildAttributes;
}

/** What a closed child chain tells its parent. */
export interface ChildOutcome {
  status: number;
  runId: string;
  closeEvent: Plain<temporal.api.history.v1.IHistoryEvent>;
}

export class Children {
  readonly pending = new Map<number, ChildInfo>();
  private readonly locks = new Map<number, Release>();

  constructor(private readonly exec: Execution) {}

  problemWith(attrs: StartChildAttributes): string | undefined {
    if (!attrs.workflowId) return 'Required field WorkflowId is not set on command.';
    if (!attrs.workflowType?.name) return 'Required field WorkflowType is not set on command.';
    const namespace = attrs.namespace || this.exec.key.namespace;
    return this.exec.host.searchAttributesProblem(namespace, attrs.searchAttributes);
  }

  start(attrs: StartChildAttributes, workflowTaskCompletedEventId: number): void {
    const exec = this.exec;
    const namespace = attrs.namespace || exec.key.namespace;
    const taskQueue = attrs.taskQueue?.name ? attrs.taskQueue : { name: exec.config.taskQueue, kind: 1 };
    const initiatedEventId = exec.history.append(
      EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
      'startChildWorkflowExecutionInitiatedEventAttributes',
      {
        namespace,
        namespaceId: exec.host.namespaceId(namespace),
        workflowId: attrs.workflowId,
        workflowType: attrs.workflowType,
        taskQueue,
        input: attrs.input,
        workflowExecutionTimeout: attrs.workflowExecutionTimeout,
        workflowRunTimeout: attrs.workflowRunTimeout,
        workflowTaskTimeout: attrs.workflowTaskTimeout,
        parentClosePolicy: attrs.parentClosePolicy,
        control: attrs.control,
        workflowTaskCompletedEventId,
        workflowIdReusePolicy: attrs.workflowIdReusePolicy,
        retryPolicy: attrs.retryPolicy,
        cronSchedule: attrs.cronSchedule,
        header: attrs.header,
        memo: attrs.memo,
        searchAttributes: attrs.searchAttributes,
        priority: attrs.priority,
      },
    ).eventId!;
    const info: ChildInfo = {
      initiatedEventId,
      namespace,
      workflowId: attrs.workflowId!,
      workflowType: attrs.workflowType!.name!,
      parentClosePolicy: attrs.parentClosePolicy || ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
      startAttributes: { ...attrs, taskQueue },
    };
    this.pending.set(initiatedEventId, info);
    this.scheduleLaunch(info);
  }

  private scheduleLaunch(info: ChildInfo): void {
    // Time does not skip between initiating a child and its start being recorded.
    this.locks.set(info.initiatedEventId, this.exec.host.clock.lock());
    queueMicrotask(() => this.launch(info, info.startAttributes ?? {}));
  }

  snapshot(): ChildInfo[] {
    return [...this.pending.values()];
  }

  /** Children restored after a restart; ones that had not started yet are started now. */
  restore(children: ChildInfo[]): void {
    for (const info of children) {
      this.pending.set(info.initiatedEventId, info);
      if (!info.runId) this.scheduleLaunch(info);
    }
  }

  private launch(info: ChildInfo, attrs: StartChildAttributes): void {
    const exec = this.exec;
    this.locks.get(info.initiatedEventId)?.();
    this.locks.delete(info.initiatedEventId);
    if (!exec.isRunning || !this.pending.has(info.initiatedEventId)) return;
    try {
      const runId = exec.host.startChild(exec, info.initiatedEventId, attrs);
      info.runId = runId;
      info.startAttributes = undefined;
      this.startedEvent(info);
    } catch (err) {
      this.pending.delete(info.initiatedEventId);
      const alreadyExists = err instanceof ServiceError && err.code === 6;
      exec.addExternalEvent(
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
        'startChildWorkflowExecutionFailedEventAttributes',
        {
          namespace: info.namespace,
          namespaceId: exec.host.namespaceId(info.namespace),
          workflowId: info.workflowId,
          workflowType: { name: info.workflowType },
          cause: alreadyExists
            ? enums.StartChildWorkflowExecutionFailedCause
                .START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
            : enums.StartChildWorkflowExecutionFailedCause
                .START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND,
          control: attrs.control,
          initiatedEventId: info.initiatedEventId,
        },
      );
      if (!alreadyExists) exec.host.log('child workflow start failed', { error: String(err) });
    }
    exec.host.changed(exec.key);
  }

  private startedEvent(info: ChildInfo): void {
    const exec = this.exec;
    exec.addExternalEvents([
      {
        eventType: EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        key: 'childWorkflowExecutionStartedEventAttributes',
        attributes: {
          namespace: info.namespace,
          namespaceId: exec.host.namespaceId(info.namespace),
          initiatedEventId: info.initiatedEventId,
          workflowExecution: { workflowId: info.workflowId, runId: info.runId },
          workflowType: { name: info.workflowType },
        },
      },
    ]);
    // The started event may sit in the buffer; its id is known once written.
    info.startedEventId = exec.history.events.findLast(
      (e) => e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId === info.initiatedEventId,
    )?.eventId;
  }

  /** The child chain started by `initiatedEventId` closed. */
  onChildClosed(initiatedEventId: number, outcome: ChildOutcome): void {
    const exec = this.exec;
    const info = this.pending.get(initiatedEventId);
    if (!info || !exec.isRunning) return;
    this.pending.delete(initiatedEventId);
    const startedEventId =
      info.startedEventId ??
      exec.history.events.findLast(
        (e) => e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId === initiatedEventId,
      )?.eventId;
    const common = {
      namespace: info.namespace,
      namespaceId: exec.host.namespaceId(info.namespace),
      workflowExecution: { workflowId: info.workflowId, runId: outcome.runId },
      workflowType: { name: info.workflowType },
      initiatedEventId,
      startedEventId,
    };
    const close = outcome.closeEvent;
    let event: ExternalEvent;
    switch (outcome.status) {
      case Status.COMPLETED:
        event = {
          eventType: EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
          key: 'childWorkflowExecutionCompletedEventAttributes',
          attributes: { ...common, result: close.workflowExecutionCompletedEventAttributes?.result },
        };
        break;
      case Status.FAILED:
        event = {
          eventType: EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
          key: 'childWorkflowExecutionFailedEventAttributes',
          attributes: {
            ...common,
            failure: close.workflowExecutionFailedEventAttributes?.failure,
            retryState: close.workflowExecutionFailedEventAttributes?.retryState,
          },
        };
        break;
      case Status.CANCELED:
        event = {
          eventType: EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
          key: 'childWorkflowExecutionCanceledEventAttributes',
          attributes: { ...common, details: close.workflowExecutionCanceledEventAttributes?.details },
        };
        break;
      case Status.TIMED_OUT:
        event = {
          eventType: EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
          key: 'childWorkflowExecutionTimedOutEventAttributes',
          attributes: { ...common, retryState: close.workflowExecutionTimedOutEventAttributes?.retryState },
        };
        break;
      default:
        event = {
          eventType: EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
          key: 'childWorkflowExecutionTerminatedEventAttributes',
          attributes: common,
        };
    }
    exec.addExternalEvents([event]);
    exec.host.changed(exec.key);
  }

  /** Applies each open child's parent close policy; called when this run closes. */
  applyParentClosePolicies(): void {
    for (const lock of this.locks.values()) lock();
    this.locks.clear();
    for (const info of this.pending.values()) {
      if (!info.runId || info.parentClosePolicy === ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON) continue;
      this.exec.host.applyParentClosePolicy(info, this.exec);
    }
  }

  describe(): PendingChildInfo[] {
    return [...this.pending.values()].map((info) => ({
      workflowId: info.workflowId,
      runId: info.runId,
      workflowTypeName: info.workflowType,
      initiatedId: info.initiatedEventId,
      parentClosePolicy: info.parentClosePolicy,
    }));
  }
}
