/**
 * Resync (SPEC §3.6): health-check the primary (stop with a clear error if unhealthy); take a
 * fresh backup of it; for each replica: take it offline, erase it, restore the backup, point it at
 * the primary, start replication and wait until it has caught up.
 */
import { refuse } from './errors';
import { acts, longActs, type OperationOutcome, primaryOf, targetOf, trackProgress } from './operation';
import type { OperationInput, ResyncParams } from './operation-params';
import { waitCaughtUp } from './replicas';
import type { NodeInfo } from './types';

export async function resyncWorkflow({ context }: OperationInput<ResyncParams>): Promise<OperationOutcome> {
  const primary = primaryOf(context.nodes);
  const replicas = context.nodes.filter((n) => n.role === 'replica');
  const progress = trackProgress(context, 2 + replicas.length * 4 + 1);
  const target = (node: NodeInfo) => targetOf(context, node);
  if (!primary) throw refuse('PreconditionFailedError', `cluster ${context.spec.name} has no primary`);

  progress.step(`health-check the primary ${primary.name}`);
  const health = await acts.nodeHealth(target(primary));
  if (!health.up || health.role !== 'primary') {
    throw refuse(
      'NodeUnhealthyError',
      `primary ${primary.name} is unhealthy (${health.error ?? `role ${health.role}`}); resync needs a healthy primary`,
    );
  }

  progress.step(`fresh backup of ${primary.name}`);
  const backup = await longActs.takeBackup(
    target(primary),
    `${context.spec.name}/resync-${context.operationId.split(':').pop()}`,
  );

  for (const replica of replicas) {
    progress.step(`take ${replica.name} offline and erase it`);
    await acts.stopNode(target(replica));
    await acts.eraseNode(target(replica));
    progress.step(`restore the backup on ${replica.name}`);
    await longActs.restoreBackup(target(replica), backup);
    progress.step(`point ${replica.name} at ${primary.name}`);
    await acts.configureReplica(target(replica), target(primary));
    progress.step(`wait until ${replica.name} has caught up`);
    await waitCaughtUp(context, replica, primary);
  }
  progress.step('clean up');
  await acts.deleteBackup(backup.key);
  return {
    summary: `resynced ${replicas.map((r) => r.name).join(', ')} from ${primary.name}`,
    nodes: context.nodes.map((n) => ({ ...n, status: 'running' as const })),
  };
}
