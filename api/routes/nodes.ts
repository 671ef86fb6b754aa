/** Nodes (add, remove, promote), resync and the allowlist: each change is an operation (202). */
import {
  addNodeUpdate,
  promoteUpdate,
  removeNodeUpdate,
  resyncUpdate,
  setAllowlistUpdate,
} from '../../workflows/cluster-api';
import { checkAllowlist } from '../../workflows/cluster-rules';
import { defineRoute, type AnyRoute } from '../route-kit';
import {
  AddNodeRequest,
  AllowlistRequest,
  ClusterParams,
  EmptyBody,
  NodeParams,
  PromoteRequest,
  RemoveNodeRequest,
} from '../schemas';
import { AllowlistView, NodeList, OperationAccepted } from '../response-schemas';
import { accepted, CLUSTER_PROBLEMS, UPDATE_PROBLEMS, type RouteContext } from './context';

export function nodeRoutes(context: RouteContext): AnyRoute[] {
  const { gateway } = context;
  const started = { 202: { description: 'operation started', schema: OperationAccepted } };
  return [
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/nodes',
      operationId: 'listNodes',
      tag: 'nodes',
      summary: "The cluster's nodes with their roles, status, plan and addresses",
      params: ClusterParams,
      responses: { 200: { description: 'nodes', schema: NodeList } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => ({ status: 200, body: { nodes: (await gateway.state(params.name)).nodes } }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/nodes',
      operationId: 'addNode',
      tag: 'nodes',
      summary: 'Add a replica (next node number, seeded from a fresh backup of the primary)',
      params: ClusterParams,
      body: AddNodeRequest,
      bodyOptional: true,
      example: { plan: { cpu: 2, ramMb: 4096, diskGb: 50 } },
      responses: started,
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) =>
        accepted(context, params.name, await gateway.update(params.name, addNodeUpdate, { actor, ...body })),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/clusters/{name}/nodes/{node}',
      operationId: 'removeNode',
      tag: 'nodes',
      summary: 'Remove a node (confirm with its name; never the primary)',
      params: NodeParams,
      body: RemoveNodeRequest,
      example: { confirm: 'orders2' },
      responses: started,
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) =>
        accepted(
          context,
          params.name,
          await gateway.update(params.name, removeNodeUpdate, { actor, node: params.node, ...body }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/nodes/{node}/promote',
      operationId: 'promoteNode',
      tag: 'nodes',
      summary: 'Promote a replica to primary (confirm with its name; health-checked first)',
      params: NodeParams,
      body: PromoteRequest,
      example: { confirm: 'orders2' },
      responses: started,
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) =>
        accepted(
          context,
          params.name,
          await gateway.update(params.name, promoteUpdate, { actor, node: params.node, confirm: body.confirm }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/resync',
      operationId: 'resync',
      tag: 'nodes',
      summary: 'Reset every replica from a fresh backup of the primary',
      params: ClusterParams,
      body: EmptyBody,
      bodyOptional: true,
      example: {},
      responses: started,
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, actor }) =>
        accepted(context, params.name, await gateway.update(params.name, resyncUpdate, { actor })),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/allowlist',
      operationId: 'getAllowlist',
      tag: 'allowlist',
      summary: 'The IP allowlist (empty = open to all)',
      params: ClusterParams,
      responses: { 200: { description: 'the allowlist', schema: AllowlistView } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => ({
        status: 200,
        body: { allowlist: (await gateway.state(params.name)).allowlist },
      }),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/clusters/{name}/allowlist',
      operationId: 'replaceAllowlist',
      tag: 'allowlist',
      summary: 'Replace the IP allowlist on every node (malformed entries are named and refused)',
      params: ClusterParams,
      body: AllowlistRequest,
      example: { allowlist: ['203.0.113.7/24', '2001:db8::/32', '198.51.100.4'] },
      responses: started,
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) => {
        const allowlist = checkAllowlist(body.allowlist);
        return accepted(
          context,
          params.name,
          await gateway.update(params.name, setAllowlistUpdate, { actor, allowlist }),
        );
      },
    }),
  ];
}
