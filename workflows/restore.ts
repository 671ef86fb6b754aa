/**
 * Restore in place (SPEC §3.9): the primary goes offline until its data is replaced by the backup
 * and it is back up; then every replica is taken offline, erased, seeded from a fresh backup of the
 * restored primary and re-pointed. (Restore into a new cluster is a deploy with `restoreFrom`.)
 */
import { refuse } from './errors';
import { acts, longActs, type OperationOutcome, primaryOf, targetOf, trackProgress } from './operation';
import type { OperationInput, RestoreParams } from './operation-params';
import { seedReplica } from './replicas';
import type { NodeInfo } from './types';

export async function restoreWorkflow({ context, params }: OperationInput<RestoreParams>): Promise<OperationOutcome> {
  const primary = primaryOf(context.nodes);
  const others = context.nodes.filter((n) => n.name !== primary?.name);
  const progress = trackProgress(context, 2 + others.length);
  const target = (node: NodeInfo) => targetOf(context, node);
  if (!primary) throw refuse('PreconditionFailedError', `cluster ${context.spec.name} has no primary`);

  progress.step(`take ${primary.name} offline and restore backup ${params.backup.id}`);
  await acts.stopNode(target(primary));
  await longActs.restoreBackup(target(primary), params.backup);
  await acts.configurePrimary(target(primary));

  for (const node of others) {
    progress.step(`reset ${node.name} from a fresh backup of ${primary.name}`);
    await acts.stopNode(target(node));
    await acts.eraseNode(target(node));
    await seedReplica(
      context,
      node,
      primary,
      `${context.spec.name}/restore-seed-${context.operationId.split(':').pop()}-${node.number}`,
    );
  }
  progress.step('done');
  return {
    summary: `restored backup ${params.backup.id} onto ${primary.name}; ${others.length} replica(s) reset`,
    nodes: context.nodes.map((n) => ({ ...n, status: 'running' as const })),
  };
}
