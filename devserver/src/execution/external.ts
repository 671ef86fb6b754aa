/** SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution commands. */
import type { temporal } from '@temporalio/proto';
import { EventType, enums, type Plain } from '../proto';
import type { Execution } from './execution';

type SignalAttributes = Plain<temporal.api.command.v1.ISignalExternalWorkflowExecutionCommandAttributes>;
type CancelAttributes = Plain<temporal.api.command.v1.IRequestCancelExternalWorkflowExecutionCommandAttributes>;

export class ExternalRequests {
  constructor(private readonly exec: Execution) {}

  signal(attrs: SignalAttributes, workflowTaskCompletedEventId: number): void {
    const exec = this.exec;
    const namespace = attrs.namespace || exec.key.namespace;
    const target = { workflowId: attrs.execution?.workflowId ?? '', runId: attrs.execution?.runId || undefined };
    const initiatedEventId = exec.history.append(
      EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
      'signalExternalWorkflowExecutionInitiatedEventAttributes',
      {
        namespace,
        namespaceId: exec.host.namespaceId(namespace),
        workflowTaskCompletedEventId,
        workflowExecution: target,
        signalName: attrs.signalName,
        input: attrs.input,
        control: attrs.control,
        childWorkflowOnly: attrs.childWorkflowOnly,
        header: attrs.header,
      },
    ).eventId!;
    queueMicrotask(() => {
      if (!exec.isRunning) return;
      const delivered = exec.host.deliverSignal(namespace, target, {
        signalName: attrs.signalName ?? '',
        input: attrs.input,
        header: attrs.header,
        identity: `workflow:${exec.key.workflowId}`,
        requestId: `${exec.key.runId}:${initiatedEventId}`,
        childOf: attrs.childWorkflowOnly ? exec : undefined,
      });
      if (delivered) {
        exec.addExternalEvent(
          EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
          'externalWorkflowExecutionSignaledEventAttributes',
          {
            initiatedEventId,
            namespace,
            namespaceId: exec.host.namespaceId(namespace),
            workflowExecution: target,
            control: attrs.control,
          },
        );
      } else {
        exec.addExternalEvent(
          EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
          'signalExternalWorkflowExecutionFailedEventAttributes',
          {
            cause:
              enums.SignalExternalWorkflowExecutionFailedCause
                .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
            namespace,
            namespaceId: exec.host.namespaceId(namespace),
            workflowExecution: target,
            initiatedEventId,
            control: attrs.control,
          },
        );
      }
      exec.host.changed(exec.key);
    });
  }

  requestCancel(attrs: CancelAttributes, workflowTaskCompletedEventId: number): void {
    const exec = this.exec;
    const namespace = attrs.namespace || exec.key.namespace;
    const target = { workflowId: attrs.workflowId ?? '', runId: attrs.runId || undefined };
    const initiatedEventId = exec.history.append(
      EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
      'requestCancelExternalWorkflowExecutionInitiatedEventAttributes',
      {
        workflowTaskCompletedEventId,
        namespace,
        namespaceId: exec.host.namespaceId(namespace),
        workflowExecution: target,
        control: attrs.control,
        childWorkflowOnly: attrs.childWorkflowOnly,
        reason: attrs.reason,
      },
    ).eventId!;
    queueMicrotask(() => {
      if (!exec.isRunning) return;
      const delivered = exec.host.deliverCancel(namespace, target, {
        reason: attrs.reason ?? '',
        identity: `workflow:${exec.key.workflowId}`,
        initiatedEventId,
        requester: exec,
      });
      if (delivered) {
        exec.addExternalEvent(
          EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
          'externalWorkflowExecutionCancelRequestedEventAttributes',
          { initiatedEventId, namespace, namespaceId: exec.host.namespaceId(namespace), workflowExecution: target },
        );
      } else {
        exec.addExternalEvent(
          EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
          'requestCancelExternalWorkflowExecutionFailedEventAttributes',
          {
            cause:
              enums.CancelExternalWorkflowExecutionFailedCause
                .CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
            workflowTaskCompletedEventId,
            namespace,
            namespaceId: exec.host.namespaceId(namespace),
            workflowExecution: target,
            initiatedEventId,
            control: attrs.control,
          },
        );
      }
      exec.host.changed(exec.key);
    });
  }
}
