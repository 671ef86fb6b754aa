/**
 * Backup (SPEC §3.7): always of the primary, one at a time (the entity is the lock). The entity
 * recorded the entry as running; it becomes completed here, or defunct if this fails.
 */
import { refuse } from './errors';
import {
  acts,
  completedBackup,
  longActs,
  type OperationOutcome,
  primaryOf,
  targetOf,
  trackProgress,
} from './operation';
import type { BackupParams, OperationInput } from './operation-params';

export async function backupWorkflow({ context, params }: OperationInput<BackupParams>): Promise<OperationOutcome> {
  const progress = trackProgress(context, 2);
  const primary = primaryOf(context.nodes);
  if (!primary) throw refuse('PreconditionFailedError', `cluster ${context.spec.name} has no primary`);

  progress.step(`check ${primary.name} is healthy`);
  const health = await acts.nodeHealth(targetOf(context, primary));
  if (!health.up)
    throw refuse('NodeUnhealthyError', `primary ${primary.name} is not healthy: ${health.error ?? 'down'}`);

  progress.step(`back up ${primary.name}`);
  const result = await longActs.takeBackup(targetOf(context, primary), params.backup.key);
  return {
    summary: `backup ${params.backup.id} of ${primary.name}: ${result.sizeBytes} bytes`,
    backupsAdded: [completedBackup(params.backup, result, primary.name)],
  };
}
