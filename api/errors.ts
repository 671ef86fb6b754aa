/**
 * The API's errors and the one place where any error becomes an HTTP answer: an RFC 9457
 * `application/problem+json` body (type, title, status, detail, instance) whose `detail` says what
 * is wrong and what to do.
 *
 * Workflow refusals (an Update validator's `ApplicationFailure`, reaching the client as
 * `WorkflowUpdateFailedError`) get their status from `REFUSALS` in `workflows/errors.ts`.
 */
import {
  isGrpcDeadlineError,
  isGrpcServiceError,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { REFUSALS, type RefusalType } from '../workflows/errors';

export interface FieldError {
  /** Where: `body.plan.cpu`, `path.name`, `query.limit`. */
  field: string;
  message: string;
}

/** An answer that is not a success. `type` is a URI naming the kind of problem. */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly type = 'about:blank',
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const problemType = (slug: string) => `urn:problem-type:dbcluster:${slug}`;

export class RequestValidationError extends ApiError {
  override readonly name = 'RequestValidationError';
  constructor(readonly errors: FieldError[]) {
    super(
      400,
      'Invalid request',
      errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      problemType('invalid-request'),
      { errors },
    );
  }
}

export class MalformedRequestError extends ApiError {
  override readonly name = 'MalformedRequestError';
  constructor(detail: string) {
    super(400, 'Malformed request', detail, problemType('malformed-request'));
  }
}

export class AuthenticationError extends ApiError {
  override readonly name = 'AuthenticationError';
  constructor(detail: string) {
    super(401, 'Unauthorized', detail, 'about:blank', {}, { 'WWW-Authenticate': 'Bearer realm="dbcluster"' });
  }
}

export class PermissionError extends ApiError {
  override readonly name = 'PermissionError';
  constructor(detail: string) {
    super(403, 'Forbidden', detail);
  }
}

export class ResourceNotFoundError extends ApiError {
  override readonly name = 'ResourceNotFoundError';
  constructor(detail: string) {
    super(404, 'Not found', detail, problemType('not-found'));
  }
}

export class MethodNotAllowedError extends ApiError {
  override readonly name = 'MethodNotAllowedError';
  constructor(method: string, path: string, allowed: string[]) {
    super(
      405,
      'Method not allowed',
      `${path} does not accept ${method}; it accepts ${allowed.join(', ')}`,
      undefined,
      {},
      {
        Allow: allowed.join(', '),
      },
    );
  }
}

export class NameTakenError extends ApiError {
  override readonly name = 'NameTakenError';
  constructor(cluster: string) {
    super(
      409,
      'Name taken',
      `a cluster named ${cluster} already exists; choose another name or delete that cluster first`,
      problemType('name-taken'),
    );
  }
}

/** The cluster exists but cannot be reached yet: its first deploy has not pointed its endpoint at a node. */
export class NoEndpointYetError extends ApiError {
  override readonly name = 'NoEndpointYetError';
  constructor(cluster: string, status: string) {
    super(
      409,
      'Conflict',
      `cluster ${cluster} has no endpoint yet (status ${status}); ask again once its deploy has finished`,
      problemType('no-endpoint-yet'),
    );
  }
}

export class NoOwnerYetError extends ApiError {
  override readonly name = 'NoOwnerYetError';
  constructor(cluster: string) {
    super(
      409,
      'Conflict',
      `cluster ${cluster} has no application owner yet (it was created before owners existed); ` +
        'its owner is created when the cluster is upgraded, ask again then',
      problemType('no-owner-yet'),
    );
  }
}

export class PreconditionError extends ApiError {
  override readonly name = 'PreconditionError';
  constructor(detail: string) {
    super(422, 'Precondition failed', detail, problemType('precondition-failed'));
  }
}

export class PayloadTooLargeError extends ApiError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limit: string) {
    super(413, 'Payload too large', `request bodies are limited to ${limit}; send a smaller JSON document`);
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(detail = 'send the request body as JSON with "Content-Type: application/json"') {
    super(415, 'Unsupported media type', detail);
  }
}

export class TemporalUnavailableError extends ApiError {
  override readonly name = 'TemporalUnavailableError';
  constructor(detail: string) {
    super(503, 'Service unavailable', detail, problemType('temporal-unavailable'), {}, { 'Retry-After': '5' });
  }
}

export class TemporalTimeoutError extends ApiError {
  override readonly name = 'TemporalTimeoutError';
  constructor() {
    super(
      504,
      'Gateway timeout',
      'Temporal or the worker did not answer in time; check that the worker is running, then retry',
      problemType('temporal-timeout'),
      {},
      { 'Retry-After': '5' },
    );
  }
}

/** A workflow failed a request for a reason that is not a refusal (an activity failed, a bug). */
export class WorkflowRequestFailedError extends ApiError {
  override readonly name = 'WorkflowRequestFailedError';
  constructor(detail: string, failureType: string | undefined) {
    super(502, 'Request failed in the workflow', detail, problemType('workflow-failure'), { failureType });
  }
}

/**
 * Activity failures that a handler lets through and that are about what the user asked (a
 * migration source that cannot be reached, wrong source credentials, too little disk): 422, the
 * request cannot be carried out as given.
 */
const USER_FIXABLE_FAILURES = new Set([
  'SourceUnreachableError',
  'BadCredentialsError',
  'InsufficientDiskError',
  'InvalidAddressError',
  'UnsupportedOperationError',
]);

const REFUSAL_TITLES: Record<number, string> = {
  400: 'Invalid request',
  404: 'Not found',
  409: 'Conflict',
  422: 'Precondition failed',
};

/** `ClusterBusyError` → `cluster-busy`. */
const slugOf = (type: string) =>
  type
    .replace(/Error$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();

function isRefusal(type: string | undefined): type is RefusalType {
  return type !== undefined && Object.prototype.hasOwnProperty.call(REFUSALS, type);
}

/** The failure at the root of a child-workflow / activity failure chain. */
export function rootFailure(error: unknown): unknown {
  let cause = error;
  while (
    (cause instanceof WorkflowUpdateFailedError ||
      cause instanceof WorkflowFailedError ||
      cause instanceof ChildWorkflowFailure ||
      cause instanceof ActivityFailure) &&
    cause.cause
  ) {
    cause = cause.cause;
  }
  return cause;
}

function fromApplicationFailure(failure: ApplicationFailure): ApiError {
  const type = failure.type ?? undefined;
  if (isRefusal(type)) {
    const status = REFUSALS[type];
    return new ApiError(status, REFUSAL_TITLES[status] ?? 'Refused', failure.message, problemType(slugOf(type)), {
      code: type,
    });
  }
  if (type !== undefined && USER_FIXABLE_FAILURES.has(type)) {
    return new ApiError(422, 'Precondition failed', failure.message, problemType(slugOf(type)), { code: type });
  }
  return new WorkflowRequestFailedError(failure.message, type);
}

function describeWorkflowId(workflowId: string | undefined): string {
  const parts = (workflowId ?? '').split(':');
  if (parts.length === 2) return `cluster ${parts[1]} does not exist`;
  if (parts.length === 4 && parts[2] === 'migration')
    return `migration ${parts[3]} of cluster ${parts[1]} does not exist or has ended`;
  if (parts.length === 4) return `operation ${workflowId} does not exist`;
  return `${workflowId ?? 'the workflow'} does not exist`;
}

/** Body-parser and router errors carry a `type` and a 4xx `status`. */
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  limit?: number;
  expose?: boolean;
  message?: string;
}

/** Turns any error into the problem to answer with. Unknown errors become a 500 whose detail reveals nothing. */
export function toApiError(error: unknown, context: { bodyLimit: string }): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof WorkflowUpdateFailedError) {
    const root = rootFailure(error);
    if (root instanceof ApplicationFailure) return fromApplicationFailure(root);
    return new WorkflowRequestFailedError((root as Error)?.message ?? error.message, undefined);
  }
  if (error instanceof ApplicationFailure) return fromApplicationFailure(error);
  if (error instanceof WorkflowNotFoundError) return new ResourceNotFoundError(describeWorkflowId(error.workflowId));
  if (error instanceof QueryRejectedError) {
    return new ResourceNotFoundError('the cluster does not exist any more (its workflow has ended)');
  }
  if (error instanceof QueryNotRegisteredError) {
    return new ResourceNotFoundError('that workflow does not answer this question (is the id of the right kind?)');
  }
  if (error instanceof WorkflowExecutionAlreadyStartedError) {
    return new NameTakenError(error.workflowId.replace(/^cluster:/, ''));
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(error)) {
    return new TemporalTimeoutError();
  }
  const grpc = grpcCodeOf(error);
  if (grpc === GrpcStatus.DEADLINE_EXCEEDED) return new TemporalTimeoutError();
  if (grpc === GrpcStatus.UNAVAILABLE || grpc === GrpcStatus.CANCELLED) {
    return new TemporalUnavailableError('Temporal cannot be reached; check TEMPORAL_ADDRESS and that it is up');
  }
  if (grpc === GrpcStatus.NOT_FOUND) return new ResourceNotFoundError('the workflow does not exist');
  if (grpc === GrpcStatus.RESOURCE_EXHAUSTED) {
    return new TemporalUnavailableError('Temporal is overloaded (resource exhausted); retry in a few seconds');
  }
  const http = error as HttpLikeError | undefined;
  if (http?.type === 'entity.too.large') return new PayloadTooLargeError(context.bodyLimit);
  if (http?.type === 'entity.parse.failed') {
    return new MalformedRequestError('the body is not valid JSON; send a JSON object');
  }
  if (http?.type === 'encoding.unsupported' || http?.type === 'charset.unsupported') {
    return new UnsupportedMediaTypeError('send the body as UTF-8 JSON without a content encoding');
  }
  if (error instanceof URIError) return new MalformedRequestError('the URL is not correctly percent-encoded');
  const status = http?.status ?? http?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, 'Bad request', http?.expose && http.message ? http.message : 'the request was refused');
  }
  return new ApiError(500, 'Internal server error', 'an unexpected error occurred; the server log has the details');
}

function grpcCodeOf(error: unknown): number | undefined {
  if (isGrpcServiceError(error)) return error.code;
  if (error instanceof ServiceError && isGrpcServiceError(error.cause)) return error.cause.code;
  return undefined;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  [extension: string]: unknown;
}

export function problemOf(error: ApiError, instance: string): ProblemDocument {
  return {
    type: error.type,
    title: error.title,
    status: error.status,
    detail: error.detail,
    instance,
    ...error.extensions,
  };
}
