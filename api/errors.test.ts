/**
 * The one mapping from errors to HTTP problems: workflow refusals by their type (REFUSALS), Temporal
 * client errors, body-parser errors, and anything else as a 500 that reveals nothing.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { QueryRejectedError, ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  RetryState,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { REFUSALS, refuse, type RefusalType } from '../workflows/errors';
import { problemOf, toApiError } from './errors';

const context = { bodyLimit: '64kb' };
const updateFailed = (cause: Error) => new WorkflowUpdateFailedError('Workflow Update failed', cause);
const grpcError = (code: number) => Object.assign(new Error(`${code} grpc`), { code, details: '', metadata: {} });

describe('toApiError', () => {
  it.each(Object.entries(REFUSALS) as [RefusalType, number][])(
    'an Update refused with %s answers %i, with the refusal message and type',
    (type, status) => {
      const problem = toApiError(updateFailed(refuse(type, `refused: ${type}`)), context);
      expect(problem.status).toBe(status);
      expect(problem.detail).toBe(`refused: ${type}`);
      expect(problem.extensions.code).toBe(type);
      expect(problem.type).toMatch(/^urn:problem-type:dbcluster:[a-z-]+$/);
    },
  );

  it('maps a refusal thrown directly by the shared request rules', () => {
    expect(toApiError(refuse('InvalidRequestError', 'bad name'), context).status).toBe(400);
  });

  it('answers 422 for activity failures the user can fix, and 502 for other workflow failures', () => {
    const activityFailed = (type: string) =>
      updateFailed(
        new ActivityFailure(
          'activity failed',
          'checkSource',
          '1',
          RetryState.NON_RETRYABLE_FAILURE,
          undefined,
          ApplicationFailure.create({ type, message: `${type} happened`, nonRetryable: true }),
        ),
      );
    const badCredentials = toApiError(activityFailed('BadCredentialsError'), context);
    expect([badCredentials.status, badCredentials.detail]).toEqual([422, 'BadCredentialsError happened']);
    expect(toApiError(activityFailed('SomethingBrokeError'), context).status).toBe(502);
  });

  it('names what does not exist: clusters, migrations, operations', () => {
    const notFound = (id: string) => toApiError(new WorkflowNotFoundError('not found', id, undefined), context);
    expect([notFound('cluster:orders').status, notFound('cluster:orders').detail]).toEqual([
      404,
      'cluster orders does not exist',
    ]);
    expect(notFound('cluster:orders:migration:4').detail).toBe(
      'migration 4 of cluster orders does not exist or has ended',
    );
    expect(notFound('cluster:orders:backup:3').detail).toBe('operation cluster:orders:backup:3 does not exist');
    const closed = new QueryRejectedError(
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    );
    expect(toApiError(closed, context).status).toBe(404);
  });

  it('answers 409 when the name is taken', () => {
    const taken = new WorkflowExecutionAlreadyStartedError('already started', 'cluster:orders', 'clusterWorkflow');
    const problem = toApiError(taken, context);
    expect([problem.status, problem.detail]).toEqual([
      409,
      'a cluster named orders already exists; choose another name or delete that cluster first',
    ]);
  });

  it('answers 503 when Temporal is unreachable and 504 when it is too slow', () => {
    const unavailable = new ServiceError('unavailable', { cause: grpcError(GrpcStatus.UNAVAILABLE) });
    expect(toApiError(unavailable, context).status).toBe(503);
    expect(toApiError(unavailable, context).headers['Retry-After']).toBe('5');
    expect(toApiError(grpcError(GrpcStatus.DEADLINE_EXCEEDED), context).status).toBe(504);
  });

  it('maps body-parser errors to 400, 413 and 415', () => {
    const parserError = (type: string, status: number) =>
      Object.assign(new Error(type), { type, status, expose: true });
    expect(toApiError(parserError('entity.parse.failed', 400), context).status).toBe(400);
    const tooLarge = toApiError(parserError('entity.too.large', 413), context);
    expect([tooLarge.status, tooLarge.detail]).toEqual([
      413,
      'request bodies are limited to 64kb; send a smaller JSON document',
    ]);
    expect(toApiError(parserError('encoding.unsupported', 415), context).status).toBe(415);
    expect(toApiError(new URIError('URI malformed'), context).status).toBe(400);
  });

  it('answers anything else with a 500 that reveals nothing of the error', () => {
    const problem = toApiError(new Error('password=hunter2 leaked'), context);
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problemOf(problem, '/v1/x'))).not.toContain('hunter2');
  });

  it('renders RFC 9457 members plus extensions', () => {
    const problem = toApiError(
      updateFailed(refuse('ClusterBusyError', 'cluster busy: backup running since t')),
      context,
    );
    expect(problemOf(problem, '/v1/clusters/orders/backups')).toEqual({
      type: 'urn:problem-type:dbcluster:cluster-busy',
      title: 'Conflict',
      status: 409,
      detail: 'cluster busy: backup running since t',
      instance: '/v1/clusters/orders/backups',
      code: 'ClusterBusyError',
    });
  });
});
