/**
 * The commands a workflow task completes with. All commands are checked first (a bad one fails
 * the whole workflow task with the matching cause, changing nothing else), then applied in order.
 */
import { enums, type Command, type RetryPolicy, msFromDuration } from '../proto';
import type { ActivitySpec } from './activities';
import { cancelRun, completeRun, continueAsNew, failRun } from './completion';
import type { Execution } from './execution';
import { retryPolicyProblem, withDefaults } from './retry';

const CommandType = enums.CommandType;
const Cause = enums.WorkflowTaskFailedCause;

export interface CommandProblem {
  cause: number;
  message: string;
}

/** An applied command; returns true when the workflow needs a new workflow task because of it. */
type Action = (workflowTaskCompletedEventId: number, identity: string) => boolean | void;

export interface CommandPlan {
  problem?: CommandProblem;
  actions: Action[];
}

const CLOSING_COMMANDS: ReadonlySet<number> = new Set([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

export function closesWorkflow(command: Command): boolean {
  return CLOSING_COMMANDS.has(command.commandType ?? 0);
}

export function planCommands(exec: Execution, commands: readonly Command[]): CommandPlan {
  const actions: Action[] = [];
  const newActivityIds = new Set<string>();
  const newTimerIds = new Set<string>();
  const fail = (cause: number, message: string): CommandPlan => ({ problem: { cause, message }, actions: [] });

  const closing = commands.findIndex(closesWorkflow);
  if (closing >= 0 && closing < commands.length - 1) {
    const names = commands.map((c) => commandTypeName(c.commandType ?? 0));
    return fail(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
      `invalid command sequence: [${names.join(', ')}], command ${names[closing]} must be the last command.`,
    );
  }
  for (const command of commands) {
    switch (command.commandType) {
      case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const attrs = command.scheduleActivityTaskCommandAttributes;
        const result = activitySpecOf(exec, attrs);
        if ('problem' in result)
          return fail(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, result.problem);
        const { spec } = result;
        if (newActivityIds.has(spec.activityId) || exec.activities.findByActivityId(spec.activityId)) {
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
            `Activity with ID ${spec.activityId} already exists.`,
          );
        }
        newActivityIds.add(spec.activityId);
        actions.push((completedId) => exec.activities.schedule(spec, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        const scheduledEventId = command.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0;
        if (scheduledEventId <= 0) {
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
            'ScheduledEventId is not set on RequestCancelActivityTaskCommand.',
          );
        }
        actions.push((completedId) => exec.activities.requestCancel(scheduledEventId, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_START_TIMER: {
        const attrs = command.startTimerCommandAttributes;
        const timerId = attrs?.timerId ?? '';
        if (!timerId)
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
            'TimerId is not set on StartTimerCommand.',
          );
        if ((attrs?.startToFireTimeout?.seconds ?? 0) < 0) {
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
            `An invalid StartToFireTimeout is set on StartTimerCommand. TimerId=${timerId}`,
          );
        }
        if (newTimerIds.has(timerId) || exec.timers.has(timerId)) {
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
            `Timer with ID ${timerId} already exists.`,
          );
        }
        newTimerIds.add(timerId);
        const fireAfter = msFromDuration(attrs?.startToFireTimeout) ?? 0;
        actions.push((completedId) => exec.timers.start(timerId, fireAfter, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_CANCEL_TIMER: {
        const timerId = command.cancelTimerCommandAttributes?.timerId ?? '';
        if (!timerId)
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
            'TimerId is not set on CancelTimerCommand.',
          );
        const known = newTimerIds.has(timerId) || exec.timers.has(timerId) || firedInBuffer(exec, timerId);
        if (!known)
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
            `invalid history builder state for action: add-timer-canceled-event, TimerId=${timerId}`,
          );
        newTimerIds.delete(timerId);
        actions.push((completedId, identity) => {
          exec.timers.cancel(timerId, completedId, identity);
        });
        break;
      }
      case CommandType.COMMAND_TYPE_RECORD_MARKER: {
        const attrs = command.recordMarkerCommandAttributes;
        if (!attrs?.markerName)
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
            'MarkerName is not set on RecordMarkerCommand.',
          );
        actions.push((completedId) => {
          exec.history.append(enums.EventType.EVENT_TYPE_MARKER_RECORDED, 'markerRecordedEventAttributes', {
            markerName: attrs.markerName,
            details: attrs.details,
            workflowTaskCompletedEventId: completedId,
            header: attrs.header,
            failure: attrs.failure,
          });
        });
        break;
      }
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const searchAttributes = command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes;
        const problem = exec.host.searchAttributesProblem(exec.key.namespace, searchAttributes);
        if (problem) return fail(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, problem);
        actions.push((completedId) => {
          exec.history.append(
            enums.EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            'upsertWorkflowSearchAttributesEventAttributes',
            {
              workflowTaskCompletedEventId: completedId,
              searchAttributes,
            },
          );
          exec.upsertSearchAttributes(searchAttributes?.indexedFields ?? {});
        });
        break;
      }
      case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
        const upsertedMemo = command.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo;
        actions.push((completedId) => {
          exec.history.append(
            enums.EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
            'workflowPropertiesModifiedEventAttributes',
            {
              workflowTaskCompletedEventId: completedId,
              upsertedMemo,
            },
          );
          exec.upsertMemo(upsertedMemo?.fields ?? {});
        });
        break;
      }
      case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
        const result = command.completeWorkflowExecutionCommandAttributes?.result;
        actions.push((completedId) => completeRun(exec, result, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
        const failure = command.failWorkflowExecutionCommandAttributes?.failure;
        if (!failure)
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
            'Failure is not set on FailWorkflowExecutionCommand.',
          );
        actions.push((completedId) => failRun(exec, failure, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: {
        const details = command.cancelWorkflowExecutionCommandAttributes?.details;
        actions.push((completedId) => cancelRun(exec, details, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const attrs = command.continueAsNewWorkflowExecutionCommandAttributes ?? {};
        const problem =
          retryPolicyProblem(attrs.retryPolicy) ??
          exec.host.searchAttributesProblem(exec.key.namespace, attrs.searchAttributes);
        if (problem) return fail(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, problem);
        actions.push((completedId) =>
          continueAsNew(
            exec,
            {
              workflowType: attrs.workflowType?.name,
              taskQueue: attrs.taskQueue?.name,
              input: attrs.input,
              runTimeoutMs: msFromDuration(attrs.workflowRunTimeout),
              workflowTaskTimeoutMs: msFromDuration(attrs.workflowTaskTimeout),
              backoffMs: msFromDuration(attrs.backoffStartInterval) ?? 0,
              retryPolicy: attrs.retryPolicy ? withDefaults(attrs.retryPolicy) : undefined,
              initiator: attrs.initiator,
              continuedFailure: attrs.failure,
              lastCompletionResult: attrs.lastCompletionResult,
              cronSchedule: attrs.cronSchedule || undefined,
              header: attrs.header,
              memo: attrs.memo,
              searchAttributes: attrs.searchAttributes,
            },
            completedId,
          ),
        );
        break;
      }
      case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE: {
        // Positions an update message among the commands; the message itself comes with the task's messages.
        const messageId = command.protocolMessageCommandAttributes?.messageId ?? '';
        actions.push(() => exec.updates.applyMessage(messageId));
        break;
      }
      case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const attrs = command.startChildWorkflowExecutionCommandAttributes ?? {};
        const problem = exec.children.problemWith(attrs);
        if (problem) return fail(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, problem);
        actions.push((completedId) => exec.children.start(attrs, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
        const attrs = command.signalExternalWorkflowExecutionCommandAttributes ?? {};
        if (!attrs.execution?.workflowId || !attrs.signalName) {
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            'WorkflowId and SignalName must be set on SignalExternalWorkflowExecutionCommand.',
          );
        }
        actions.push((completedId) => exec.external.signal(attrs, completedId));
        break;
      }
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: {
        const attrs = command.requestCancelExternalWorkflowExecutionCommandAttributes ?? {};
        if (!attrs.workflowId) {
          return fail(
            Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            'WorkflowId is not set on RequestCancelExternalWorkflowExecutionCommand.',
          );
        }
        actions.push((completedId) => exec.external.requestCancel(attrs, completedId));
        break;
      }
      default:
        return fail(Cause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED, `Unknown command type: ${command.commandType}.`);
    }
  }
  return { actions };
}

/** `COMMAND_TYPE_START_TIMER` → `StartTimer`, as the real server names commands in messages. */
function commandTypeName(type: number): string {
  const name = Object.entries(CommandType).find(([, value]) => value === type)?.[0] ?? String(type);
  return name
    .replace(/^COMMAND_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
}

function firedInBuffer(exec: Execution, timerId: string): boolean {
  return exec.history.bufferedEvents.some(
    (e) => e.eventType === enums.EventType.EVENT_TYPE_TIMER_FIRED && e.attributes.timerId === timerId,
  );
}

type ScheduleActivityAttributes = NonNullable<Command['scheduleActivityTaskCommandAttributes']>;

/** Validates and normalises an activity's options the way the real server does. */
function activitySpecOf(
  exec: Execution,
  attrs: ScheduleActivityAttributes | undefined,
): { spec: ActivitySpec } | { problem: string } {
  if (!attrs) return { problem: 'ScheduleActivityTaskCommandAttributes is not set on ScheduleActivityTaskCommand.' };
  const activityId = attrs.activityId ?? '';
  const activityType = attrs.activityType?.name ?? '';
  if (!activityId) return { problem: 'activityId is not set' };
  if (!activityType) return { problem: 'activityType is not set' };
  const policyProblem = retryPolicyProblem(attrs.retryPolicy);
  if (policyProblem) return { problem: policyProblem };
  const durations = [
    attrs.scheduleToCloseTimeout,
    attrs.scheduleToStartTimeout,
    attrs.startToCloseTimeout,
    attrs.heartbeatTimeout,
  ];
  if (durations.some((d) => (d?.seconds ?? 0) < 0 || (d?.nanos ?? 0) < 0)) {
    return { problem: `invalid timeout on activity. ActivityId=${activityId} ActivityType=${activityType}` };
  }
  const runTimeoutMs = exec.config.runTimeoutMs;
  let scheduleToClose = msFromDuration(attrs.scheduleToCloseTimeout) ?? 0;
  let scheduleToStart = msFromDuration(attrs.scheduleToStartTimeout) ?? 0;
  let startToClose = msFromDuration(attrs.startToCloseTimeout) ?? 0;
  let heartbeat = msFromDuration(attrs.heartbeatTimeout) ?? 0;
  if (scheduleToClose > 0) {
    scheduleToStart = scheduleToStart > 0 ? Math.min(scheduleToStart, scheduleToClose) : scheduleToClose;
    startToClose = startToClose > 0 ? Math.min(startToClose, scheduleToClose) : scheduleToClose;
  } else if (startToClose > 0) {
    scheduleToClose = runTimeoutMs;
    if (scheduleToStart <= 0) scheduleToStart = runTimeoutMs;
  } else {
    return {
      problem: `a valid StartToCloseTimeout or ScheduleToCloseTimeout must be set on the activity. ActivityId=${activityId} ActivityType=${activityType}`,
    };
  }
  if (runTimeoutMs > 0) {
    scheduleToClose = Math.min(scheduleToClose || runTimeoutMs, runTimeoutMs);
    scheduleToStart = Math.min(scheduleToStart || runTimeoutMs, runTimeoutMs);
    startToClose = Math.min(startToClose, runTimeoutMs);
    heartbeat = Math.min(heartbeat, runTimeoutMs);
  }
  if (heartbeat > startToClose) heartbeat = startToClose;
  const retryPolicy: RetryPolicy = withDefaults(attrs.retryPolicy);
  return {
    spec: {
      activityId,
      activityType,
      taskQueue: attrs.taskQueue?.name || exec.config.taskQueue,
      header: attrs.header,
      input: attrs.input,
      scheduleToCloseMs: scheduleToClose,
      scheduleToStartMs: scheduleToStart,
      startToCloseMs: startToClose,
      heartbeatMs: heartbeat,
      retryPolicy,
      priority: attrs.priority,
    },
  };
}
