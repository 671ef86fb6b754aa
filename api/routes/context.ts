/** What route modules share: Temporal access, metrics, the audit log, the log, and the 202 answer. */
import type { Logger } from 'pino';
import type { OperationRef } from '../../workflows/types';
import type { ClusterGateway } from '../cluster-gateway';
import type { AuditLogReader } from '../deps';
import type { ApiMetrics } from '../metrics';
import type { Reply } from '../route-kit';

export interface RouteContext {
  gateway: ClusterGateway;
  metrics: ApiMetrics;
  auditLog?: AuditLogReader;
  /** For events worth a line of their own beyond the request log (who read a cluster's credentials). */
  logger: Logger;
}

export const clusterUrl = (name: string) => `/v1/clusters/${name}`;
export const operationUrl = (operationId: string) => `/v1/operations/${operationId}`;

/** The answer to a request that started an operation: 202, where to poll, counted as started. */
export function accepted(context: RouteContext, cluster: string, ref: OperationRef, extra: object = {}): Reply {
  context.metrics.operationStarted(ref.type);
  const url = operationUrl(ref.id);
  return {
    status: 202,
    headers: { Location: url },
    body: { operationId: ref.id, operationUrl: url, type: ref.type, cluster, startedAt: ref.startedAt, ...extra },
  };
}

/** Problems every cluster-scoped route may answer besides the common ones. */
export const CLUSTER_PROBLEMS = [404, 504];
/** … and routes that start an operation or change the cluster through an Update. */
export const UPDATE_PROBLEMS = [404, 409, 422, 504];
