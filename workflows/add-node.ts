/**
 * Add node (SPEC §3.2): the next node number; provision it; seed it from a fresh backup of the
 * primary; replicate from the primary; inherit the allowlist; it becomes a replica.
 */
import { refuse } from './errors';
import { acts, type OperationOutcome, primaryOf, targetOf, trackProgress } from './operation';
import type { AddNodeParams, OperationInput } from './operation-params';
import { seedReplica } from './replicas';
import type { NodeInfo } from './types';

export async function addNodeWorkflow({ context, params }: OperationInput<AddNodeParams>): Promise<OperationOutcome> {
  const { spec } = context;
  const progress = trackProgress(context, 5);
  const primary = primaryOf(context.nodes);
  if (!primary) throw refuse('PreconditionFailedError', `cluster ${spec.name} has no primary to replicate from`);

  progress.step(`provision ${params.nodeName}`);
  const address = await acts.provisionNode({
    cluster: spec.name,
    node: params.nodeName,
    plan: params.plan,
    allowlist: context.allowlist,
  });
  const node: NodeInfo = {
    name: params.nodeName,
    number: params.nodeNumber,
    role: 'replica',
    status: 'provisioning',
    plan: params.plan,
    createdAt: new Date().toISOString(),
    ...address,
  };
  try {
    progress.step('initialise the engine');
    await acts.initialiseNode(targetOf(context, node));
    await acts.startNode(targetOf(context, node));

    progress.step('seed from a fresh backup of the primary and replicate');
    await seedReplica(context, node, primary, `${spec.name}/seed-${params.nodeName}`);

    progress.step('apply the allowlist');
    await acts.applyAllowlist([node.name], context.allowlist);
  } catch (err) {
    progress.log(`adding ${node.name} failed: ${(err as Error).message}; removing it`);
    await acts.deprovisionNode(node.name);
    throw err;
  }
  progress.step('done');
  return {
    summary: `added replica ${node.name}`,
    nodes: [...context.nodes, { ...node, status: 'running' }],
  };
}
