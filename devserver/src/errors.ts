/**
 * gRPC status errors as the real server returns them. Some carry a typed detail
 * (`temporal.api.errordetails.v1.*`) in `grpc-status-details-bin`, which the SDK decodes to raise
 * its own typed errors (e.g. WorkflowExecutionAlreadyStartedError, NamespaceNotFoundError).
 */
import { status } from '@grpc/grpc-js';
import { encodeMessage } from './proto';

export interface StatusDetail {
  typeName: string;
  value: object;
}

export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly detail?: StatusDetail,
  ) {
    super(message);
    this.name = 'ServiceError';
  }

  /** The serialized google.rpc.Status for the `grpc-status-details-bin` trailer, when there is a detail. */
  statusDetailsBin(): Buffer | undefined {
    if (!this.detail) return undefined;
    const any = {
      type_url: `type.googleapis.com/${this.detail.typeName}`,
      value: encodeMessage(this.detail.typeName, this.detail.value),
    };
    return Buffer.from(encodeMessage('google.rpc.Status', { code: this.code, message: this.message, details: [any] }));
  }
}

export const invalidArgument = (message: string, detail?: StatusDetail) =>
  new ServiceError(status.INVALID_ARGUMENT, message, detail);

export const notFound = (message: string) =>
  new ServiceError(status.NOT_FOUND, message, { typeName: 'temporal.api.errordetails.v1.NotFoundFailure', value: {} });

export const failedPrecondition = (message: string) => new ServiceError(status.FAILED_PRECONDITION, message);

export const unimplemented = (message: string) => new ServiceError(status.UNIMPLEMENTED, message);

export const internal = (message: string) => new ServiceError(status.INTERNAL, message);

export const resourceExhausted = (message: string) => new ServiceError(status.RESOURCE_EXHAUSTED, message);

export const namespaceNotFound = (namespace: string) =>
  new ServiceError(status.NOT_FOUND, `Namespace ${namespace} is not found.`, {
    typeName: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
    value: { namespace },
  });

export const namespaceAlreadyExists = (namespace: string) =>
  new ServiceError(status.ALREADY_EXISTS, `Namespace ${namespace} already exists.`, {
    typeName: 'temporal.api.errordetails.v1.NamespaceAlreadyExistsFailure',
    value: {},
  });

const ALREADY_STARTED_MESSAGES = {
  running: 'Workflow execution is already running.',
  rejectDuplicate: 'Workflow execution already finished.',
  failedOnly: 'Workflow execution already finished successfully.',
} as const;
const REUSE_POLICY_SUFFIX = {
  running: '',
  rejectDuplicate: ' Workflow Id reuse policy: reject duplicate workflow Id.',
  failedOnly: ' Workflow Id reuse policy: allow duplicate workflow Id if last run failed.',
} as const;

export const workflowAlreadyStarted = (
  workflowId: string,
  runId: string,
  startRequestId: string,
  reason: keyof typeof ALREADY_STARTED_MESSAGES,
) =>
  new ServiceError(
    status.ALREADY_EXISTS,
    `${ALREADY_STARTED_MESSAGES[reason]} WorkflowId: ${workflowId}, RunId: ${runId}.${REUSE_POLICY_SUFFIX[reason]}`,
    {
      typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      value: { startRequestId, runId },
    },
  );

export const queryFailed = (message: string, failure?: object) =>
  new ServiceError(status.INVALID_ARGUMENT, message, {
    typeName: 'temporal.api.errordetails.v1.QueryFailedFailure',
    value: failure ? { failure } : {},
  });

export const workflowNotFound = (workflowId: string, runId?: string) =>
  notFound(
    runId
      ? `workflow execution not found for workflow ID "${workflowId}" and run ID "${runId}"`
      : `workflow not found for ID: ${workflowId}`,
  );

export const workflowCompleted = () => notFound('workflow execution already completed');
