/** UpdateWorkflowExecution, PollWorkflowExecutionUpdate and update-with-start (ExecuteMultiOperation). */
import { status } from '@grpc/grpc-js';
import type { temporal } from '@temporalio/proto';
import { ServiceError, invalidArgument, notFound } from '../errors';
import type { Execution } from '../execution/execution';
import type { CallContext, Handler } from '../grpc';
import { type Plain, encodeMessage, enums } from '../proto';
import type { Store } from '../store';
import { namespaceOf } from './executions';

type Req<T> = Plain<T>;
type UpdateRequest = Req<temporal.api.workflowservice.v1.IUpdateWorkflowExecutionRequest>;
type UpdateResponse = Plain<temporal.api.workflowservice.v1.IUpdateWorkflowExecutionResponse>;

const Stage = enums.UpdateWorkflowExecutionLifecycleStage;
/** Update calls answer with the stage reached so far after this long; clients then poll. */
const UPDATE_LONG_POLL_MS = 20_000;

function waitMs(context: CallContext): number {
  return Math.max(0, Math.min(UPDATE_LONG_POLL_MS, context.remainingMs() - 1000));
}

function validate(request: UpdateRequest): number {
  if (!request.workflowExecution?.workflowId) throw invalidArgument('WorkflowId is not set on request.');
  if (!request.request?.input) throw invalidArgument('Update input is not set on request.');
  if (!request.request.input.name) throw invalidArgument('Update name is not set on request.');
  const stage = request.waitPolicy?.lifecycleStage || Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
  if (stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
    throw new ServiceError(
      status.PERMISSION_DENIED,
      'UpdateWorkflowExecution issued asynchronously and waiting on update admitted is not supported.',
    );
  }
  return stage;
}

async function update(
  execution: Execution,
  request: UpdateRequest,
  stage: number,
  context: CallContext,
): Promise<UpdateResponse> {
  const updateRequest = {
    ...request.request,
    meta: { ...request.request?.meta, updateId: request.request?.meta?.updateId || crypto.randomUUID() },
  };
  const result = await execution.updates.submit(updateRequest, stage, waitMs(context), (hook) =>
    context.onCancel(hook),
  );
  return {
    updateRef: {
      workflowExecution: { workflowId: execution.key.workflowId, runId: execution.key.runId },
      updateId: updateRequest.meta.updateId,
    },
    outcome: result.outcome,
    stage: result.stage,
  };
}

export function updateHandlers(store: Store): Record<string, Handler> {
  const runFor = (namespace: string | undefined, request: UpdateRequest): Execution => {
    const run = store.get(namespaceOf(store, namespace), request.workflowExecution);
    if (request.firstExecutionRunId && run.config.firstExecutionRunId !== request.firstExecutionRunId) {
      throw notFound('workflow execution not found for the given first execution run ID');
    }
    return run;
  };

  return {
    UpdateWorkflowExecution: (request: UpdateRequest, context: CallContext) => {
      const stage = validate(request);
      return update(runFor(request.namespace, request), request, stage, context);
    },

    PollWorkflowExecutionUpdate: async (
      request: Req<temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateRequest>,
      context: CallContext,
    ) => {
      const ref = request.updateRef;
      if (!ref?.updateId) throw invalidArgument('UpdateId is not set on request.');
      const execution = store.get(namespaceOf(store, request.namespace), ref.workflowExecution);
      const stage = request.waitPolicy?.lifecycleStage || Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
      const result = await execution.updates.poll(ref.updateId, stage, waitMs(context), (hook) =>
        context.onCancel(hook),
      );
      return {
        outcome: result.outcome,
        stage: result.stage,
        updateRef: {
          workflowExecution: { workflowId: execution.key.workflowId, runId: execution.key.runId },
          updateId: ref.updateId,
        },
      };
    },

    ExecuteMultiOperation: async (
      request: Req<temporal.api.workflowservice.v1.IExecuteMultiOperationRequest>,
      context: CallContext,
    ) => {
      const [startOp, updateOp] = request.operations ?? [];
      const start = startOp?.startWorkflow;
      const updateReq = updateOp?.updateWorkflow;
      if (!start || !updateReq || (request.operations ?? []).length !== 2) {
        throw invalidArgument(
          'ExecuteMultiOperation supports exactly one StartWorkflow followed by one UpdateWorkflow.',
        );
      }
      let stage: number;
      try {
        if (start.workflowId !== updateReq.workflowExecution?.workflowId) {
          throw invalidArgument('WorkflowId of the UpdateWorkflow operation must match the StartWorkflow operation.');
        }
        if (updateReq.workflowExecution?.runId) throw invalidArgument('RunId is not allowed on an update-with-start.');
        stage = validate(updateReq);
      } catch (err) {
        throw multiOperationFailure(err, 1);
      }
      let started: { execution: Execution; started: boolean };
      try {
        started = store.startWorkflow({ ...start, namespace: request.namespace || start.namespace });
      } catch (err) {
        throw multiOperationFailure(err, 0);
      }
      const updateResponse = await update(started.execution, updateReq, stage, context);
      return {
        responses: [
          {
            startWorkflow: {
              runId: started.execution.key.runId,
              started: started.started,
              status: started.execution.status,
            },
          },
          { updateWorkflow: updateResponse },
        ],
      };
    },
  };
}

/** The real server's error for a failed multi-operation: the failing one's status, the other aborted. */
function multiOperationFailure(err: unknown, failedIndex: number): ServiceError {
  const cause =
    err instanceof ServiceError
      ? err
      : new ServiceError(status.INTERNAL, err instanceof Error ? err.message : String(err));
  const aborted = {
    code: status.ABORTED,
    message: 'Operation was aborted.',
    details: [
      {
        type_url: 'type.googleapis.com/temporal.api.failure.v1.MultiOperationExecutionAborted',
        value: encodeMessage('temporal.api.failure.v1.MultiOperationExecutionAborted', {}),
      },
    ],
  };
  const causeStatus = {
    code: cause.code,
    message: cause.message,
    details: cause.detail
      ? [
          {
            type_url: `type.googleapis.com/${cause.detail.typeName}`,
            value: encodeMessage(cause.detail.typeName, cause.detail.value),
          },
        ]
      : [],
  };
  const statuses = failedIndex === 0 ? [causeStatus, aborted] : [aborted, causeStatus];
  return new ServiceError(cause.code, `Update-with-Start could not be executed.`, {
    typeName: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure',
    value: { statuses },
  });
}
