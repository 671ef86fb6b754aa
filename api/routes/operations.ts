/** Operations by id (progress and outcome) and a cluster's audit log. */
import { operationStatus } from '../operation-status';
import { defineRoute, type AnyRoute } from '../route-kit';
import { AuditQuery, ClusterParams, OperationParams } from '../schemas';
import { AuditPage, OperationStatus } from '../response-schemas';
import { CLUSTER_PROBLEMS, type RouteContext } from './context';

const DEFAULT_AUDIT_PAGE = 100;

export function operationRoutes(context: RouteContext): AnyRoute[] {
  const { gateway, metrics, auditLog } = context;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/operations/{operationId}',
      operationId: 'getOperation',
      tag: 'operations',
      summary: "An operation's status, progress (step, steps done, percent) and outcome",
      description:
        'Operation ids look like `cluster:orders:backup:3` (the `operationId` of a 202 answer). Poll until `status` is no longer `running`.',
      params: OperationParams,
      responses: { 200: { description: 'the operation', schema: OperationStatus } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => {
        const status = await operationStatus(gateway, params.operationId);
        metrics.operationObserved(status.operationId, status.type, status.status);
        return { status: 200, body: status };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/audit',
      operationId: 'getAuditLog',
      tag: 'audit',
      summary: "The cluster's audit log, newest first (who did what, when, with what outcome)",
      description:
        "Served from the durable audit log when the API has one (it outlives the cluster), otherwise from the newest 500 entries the cluster keeps. Page with `before` = the previous page's `nextBefore`.",
      params: ClusterParams,
      query: AuditQuery,
      responses: { 200: { description: 'a page of entries', schema: AuditPage } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params, query }) => {
        const limit = query.limit ?? DEFAULT_AUDIT_PAGE;
        if (auditLog) {
          const entries = await auditLog.read(params.name, {
            limit,
            ...(query.before ? { before: query.before } : {}),
          });
          // An empty log of a cluster that never existed is a 404, like every other cluster route.
          if (entries.length === 0 && query.before === undefined) await gateway.state(params.name);
          const last = entries.at(-1);
          return {
            status: 200,
            body: { entries, ...(entries.length === limit && last ? { nextBefore: last.seq } : {}) },
          };
        }
        // From the state: positions count from 1 like the durable log's seq.
        const all = (await gateway.state(params.name)).audit.map((entry, index) => ({ seq: index + 1, ...entry }));
        const older = all.filter((e) => e.seq < (query.before ?? Number.POSITIVE_INFINITY)).reverse();
        const entries = older.slice(0, limit);
        const last = entries.at(-1);
        return {
          status: 200,
          body: { entries, ...(older.length > limit && last ? { nextBefore: last.seq } : {}) },
        };
      },
    }),
  ];
}
