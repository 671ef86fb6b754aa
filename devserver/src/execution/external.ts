/**
 * SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution commands. Each is
 * delivered right after its initiated event is recorded; an initiated event without a result event
 * (a restart came in between) is delivered again, and delivery is idempotent.
 */
import type { temporal } from '@temporalio/proto';
import { EventType, enums, type HistoryEvent, type Plain } from '../proto';
import type { Execution } from './execution';

type SignalAttributes = Plain<temporal.api.command.v1.ISignalExternalWorkflowExecutionCommandAttributes>;
type CancelAttributes = Plain<temporal.api.command.v1.IRequestCancelExternalWorkflowExecutionCommandAttributes>;

const SIGNAL_RESULTS = [
  EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
  EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
];
const CANCEL_RESULTS = [
  EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
  EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
];

export class ExternalRequests {
  constructor(private readonly exec: Execution) {}

  signal(attrs: SignalAttributes, workflowTaskCompletedEventId: number): void {
    const exec = this.exec;
    const namespace = attrs.namespace || exec.key.namespace;
    const event = exec.history.append(
      EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
      'signalExternalWorkflowExecutionInitiatedEventAttributes',
      {
        namespace,
        namespaceId: exec.host.namespaceId(namespace),
        workflowTaskCompletedEventId,
        workflowExecution: {
          workflowId: attrs.execution?.workflowId ?? '',
          runId: attrs.execution?.runId || undefined,
        },
        signalName: attrs.signalName,
        input: attrs.input,
        control: attrs.control,
        childWorkflowOnly: attrs.childWorkflowOnly,
        header: attrs.header,
      },
    );
    queueMicrotask(() => this.deliverSignal(event));
  }

  requestCancel(attrs: CancelAttributes, workflowTaskCompletedEventId: number): void {
    const exec = this.exec;
    const namespace = attrs.namespace || exec.key.namespace;
    const event = exec.history.append(
      EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
      'requestCancelExternalWorkflowExecutionInitiatedEventAttributes',
      {
        workflowTaskCompletedEventId,
        namespace,
        namespaceId: exec.host.namespaceId(namespace),
        workflowExecution: { workflowId: attrs.workflowId ?? '', runId: attrs.runId || undefined },
        control: attrs.control,
        childWorkflowOnly: attrs.childWorkflowOnly,
        reason: attrs.reason,
      },
    );
    queueMicrotask(() => this.deliverCancel(event));
  }

  /** After a restart: delivers requests whose outcome was not recorded yet. */
  resumeFromHistory(): void {
    const { events, bufferedEvents } = this.exec.history;
    const answered = (initiatedEventId: number, resultTypes: number[]) =>
      events.some((e) => resultTypes.includes(e.eventType ?? 0) && initiatedIdOf(e) === initiatedEventId) ||
      bufferedEvents.some(
        (b) => resultTypes.includes(b.eventType) && b.attributes.initiatedEventId === initiatedEventId,
      );
    for (const event of events) {
      if (event.signalExternalWorkflowExecutionInitiatedEventAttributes && !answered(event.eventId!, SIGNAL_RESULTS)) {
        queueMicrotask(() => this.deliverSignal(event));
      }
      if (
        event.requestCancelExternalWorkflowExecutionInitiatedEventAttributes &&
        !answered(event.eventId!, CANCEL_RESULTS)
      ) {
        queueMicrotask(() => this.deliverCancel(event));
      }
    }
  }

  private deliverSignal(initiated: HistoryEvent): void {
    const exec = this.exec;
    if (!exec.isRunning) return;
    const attrs = initiated.signalExternalWorkflowExecutionInitiatedEventAttributes!;
    const namespace = attrs.namespace || exec.key.namespace;
    const target = {
      workflowId: attrs.workflowExecution?.workflowId ?? '',
      runId: attrs.workflowExecution?.runId || undefined,
    };
    const initiatedEventId = initiated.eventId!;
    const delivered = exec.host.deliverSignal(namespace, target, {
      signalName: attrs.signalName ?? '',
      input: attrs.input,
      header: attrs.header,
      identity: `workflow:${exec.key.workflowId}`,
      requestId: `${exec.key.runId}:${initiatedEventId}`,
      childOf: attrs.childWorkflowOnly ? exec : undefined,
    });
    const common = {
      namespace,
      namespaceId: exec.host.namespaceId(namespace),
      workflowExecution: target,
      initiatedEventId,
      control: attrs.control,
    };
    if (delivered) {
      exec.addExternalEvent(
        EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
        'externalWorkflowExecutionSignaledEventAttributes',
        common,
      );
    } else {
      exec.addExternalEvent(
        EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
        'signalExternalWorkflowExecutionFailedEventAttributes',
        {
          ...common,
          cause:
            enums.SignalExternalWorkflowExecutionFailedCause
              .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
        },
      );
    }
    exec.host.changed(exec.key);
  }

  private deliverCancel(initiated: HistoryEvent): void {
    const exec = this.exec;
    if (!exec.isRunning) return;
    const attrs = initiated.requestCancelExternalWorkflowExecutionInitiatedEventAttributes!;
    const namespace = attrs.namespace || exec.key.namespace;
    const target = {
      workflowId: attrs.workflowExecution?.workflowId ?? '',
      runId: attrs.workflowExecution?.runId || undefined,
    };
    const initiatedEventId = initiated.eventId!;
    const delivered = exec.host.deliverCancel(namespace, target, {
      reason: attrs.reason ?? '',
      identity: `workflow:${exec.key.workflowId}`,
      initiatedEventId,
      requester: exec,
    });
    const common = {
      namespace,
      namespaceId: exec.host.namespaceId(namespace),
      workflowExecution: target,
      initiatedEventId,
    };
    if (delivered) {
      exec.addExternalEvent(
        EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
        'externalWorkflowExecutionCancelRequestedEventAttributes',
        common,
      );
    } else {
      exec.addExternalEvent(
        EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
        'requestCancelExternalWorkflowExecutionFailedEventAttributes',
        {
          ...common,
          cause:
            enums.CancelExternalWorkflowExecutionFailedCause
              .CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
          workflowTaskCompletedEventId: attrs.workflowTaskCompletedEventId,
          control: attrs.control,
        },
      );
    }
    exec.host.changed(exec.key);
  }
}

function initiatedIdOf(event: HistoryEvent): number | undefined {
  return (
    event.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId ??
    event.signalExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId ??
    event.externalWorkflowExecutionCancelRequestedEventAttributes?.initiatedEventId ??
    event.requestCancelExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId
  );
}
