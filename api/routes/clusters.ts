/** Clusters: create (also from a backup), list, read, change settings, delete; their operations and credentials. */
import { deleteClusterUpdate, updateSettingsUpdate } from '../../workflows/cluster-api';
import { createCluster } from '../cluster-creation';
import { readConnectionInfo } from '../connection-info';
import { defineRoute, type AnyRoute } from '../route-kit';
import {
  ClusterParams,
  CreateClusterRequest,
  DeleteClusterRequest,
  ListClustersQuery,
  SettingsPatch,
} from '../schemas';
import { ClusterList, ClusterView, ConnectionInfo, OperationAccepted, OperationList } from '../response-schemas';
import { accepted, CLUSTER_PROBLEMS, clusterUrl, UPDATE_PROBLEMS, type RouteContext } from './context';

export function clusterRoutes(context: RouteContext): AnyRoute[] {
  const { gateway } = context;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/clusters',
      operationId: 'createCluster',
      tag: 'clusters',
      summary: 'Create a cluster (deploy), optionally from a backup of another cluster',
      description:
        'Starts the cluster entity and its deploy operation. With `restoreFrom`, the new cluster starts with the data of that backup (the source cluster is left untouched; it may have been deleted).',
      body: CreateClusterRequest,
      example: {
        name: 'orders',
        engine: 'postgresql',
        version: '15',
        mode: 'primary-replica',
        replicas: 1,
        plan: { cpu: 2, ramMb: 4096, diskGb: 50 },
        allowlist: ['203.0.113.0/24'],
      },
      responses: { 202: { description: 'deploy started', schema: OperationAccepted } },
      problems: [404, 409, 422, 504],
      handler: async ({ body, actor }) => {
        const ref = await createCluster(gateway, body, actor);
        return accepted(context, body.name, ref, { clusterUrl: clusterUrl(body.name) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters',
      operationId: 'listClusters',
      tag: 'clusters',
      summary: 'List live clusters (through Temporal visibility)',
      query: ListClustersQuery,
      responses: { 200: { description: 'live clusters, newest first', schema: ClusterList } },
      problems: [504],
      handler: async ({ query }) => {
        const found = await gateway.list({ engine: query.engine, limit: query.limit ?? 100 });
        return { status: 200, body: { clusters: found.map((c) => ({ ...c, url: clusterUrl(c.name) })) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}',
      operationId: 'getCluster',
      tag: 'clusters',
      summary: "A cluster's state: spec, nodes, endpoint, allowlist, settings, backups, schedules, operations",
      params: ClusterParams,
      responses: { 200: { description: 'the cluster', schema: ClusterView } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => ({ status: 200, body: await gateway.state(params.name) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/clusters/{name}/settings',
      operationId: 'updateSettings',
      tag: 'clusters',
      summary: 'Change settings (support level, termination protection, auto-failover, notifications…)',
      params: ClusterParams,
      body: SettingsPatch,
      example: { terminationProtection: true, notifications: { webhookUrl: 'https://hooks.example.com/db' } },
      responses: { 200: { description: 'the cluster after the change', schema: ClusterView } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) => {
        const view = await gateway.update(params.name, updateSettingsUpdate, { actor, settings: body });
        return { status: 200, body: view };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/clusters/{name}',
      operationId: 'deleteCluster',
      tag: 'clusters',
      summary: 'Delete a cluster (confirm with its name; refused while termination protection is on)',
      description:
        'Takes a final backup kept 15 days unless `skipFinalBackup`, deprovisions every node, deletes the schedules and ends the cluster.',
      params: ClusterParams,
      body: DeleteClusterRequest,
      example: { confirm: 'orders' },
      responses: { 202: { description: 'deletion started', schema: OperationAccepted } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) => {
        const ref = await gateway.update(params.name, deleteClusterUpdate, { actor, ...body });
        return accepted(context, params.name, ref);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/operations',
      operationId: 'listOperations',
      tag: 'operations',
      summary: "The cluster's running operation and its recent finished ones",
      params: ClusterParams,
      responses: { 200: { description: 'operations, newest last', schema: OperationList } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => {
        const state = await gateway.state(params.name);
        return {
          status: 200,
          body: { ...(state.operation ? { current: state.operation } : {}), history: state.history },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/credentials',
      operationId: 'getClusterCredentials',
      tag: 'clusters',
      summary: "How to connect as the cluster's application owner: endpoint, user, password, URI (admin tokens only)",
      description:
        "The owner can do what an application needs on the cluster's own data and nothing that reaches the host or the product (see SECURITY.md); the product's admin and replication users are never handed out. " +
        'The password is a secret: only admin tokens may read it (403 for read tokens), and the answer carries `Cache-Control: no-store`. 409 until the first deploy has pointed the endpoint at a node, and for a cluster created before owners existed until its upgrade has created its owner.',
      adminOnly: true,
      params: ClusterParams,
      responses: { 200: { description: 'the connection', schema: ConnectionInfo } },
      problems: [404, 409, 504],
      handler: async ({ params, actor }) => {
        const info = await readConnectionInfo(gateway, params.name);
        context.logger.info({ cluster: info.cluster, actor }, 'cluster credentials read');
        return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: info };
      },
    }),
  ];
}
