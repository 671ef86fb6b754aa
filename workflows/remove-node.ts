/**
 * Remove node (SPEC §3.3): stop replication to it, deprovision it, release its resources. The
 * entity has already refused removing the primary (or a multi-master primary unless asked).
 */
import { acts, type OperationOutcome, primaryOf, targetOf, trackProgress } from './operation';
import type { OperationInput, RemoveNodeParams } from './operation-params';

export async function removeNodeWorkflow({
  context,
  params,
}: OperationInput<RemoveNodeParams>): Promise<OperationOutcome> {
  const progress = trackProgress(context, 3);
  const node = context.nodes.find((n) => n.name === params.node)!;
  const remaining = context.nodes.filter((n) => n.name !== params.node);
  const primary = primaryOf(remaining);

  progress.step(`stop replication to ${node.name}`);
  await acts.stopNode(targetOf(context, node));
  if (primary) await acts.forgetReplica(targetOf(context, primary), node.name);

  let endpoint = context.endpoint;
  if (context.spec.mode === 'multi-master' && primary) {
    // The remaining primary stops replicating from the one going away and takes the endpoint.
    await acts.configurePrimary(targetOf(context, primary));
    endpoint = await acts.pointEndpoint(context.spec.name, primary);
  }

  progress.step(`deprovision ${node.name}`);
  await acts.deprovisionNode(node.name);

  progress.step('done');
  return { summary: `removed node ${node.name}`, nodes: remaining, endpoint };
}
