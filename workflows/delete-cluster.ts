/**
 * Delete cluster (SPEC §3.12): the entity checked the confirmation and termination protection.
 * Unless the user opted out, take a final backup (kept 15 days by the entity), then deprovision
 * every node, remove the endpoint, delete the schedules and every other backup.
 */
import {
  acts,
  completedBackup,
  longActs,
  type OperationOutcome,
  primaryOf,
  targetOf,
  trackProgress,
} from './operation';
import type { DeleteParams, OperationInput } from './operation-params';
import { scheduleActivities } from './schedules';
import type { BackupEntry } from './types';

export async function deleteClusterWorkflow({
  context,
  params,
}: OperationInput<DeleteParams>): Promise<OperationOutcome> {
  const { spec } = context;
  const progress = trackProgress(context, 5);
  const backupsAdded: BackupEntry[] = [];

  progress.step('final backup');
  const primary = primaryOf(context.nodes);
  if (params.finalBackup && primary) {
    const result = await longActs.takeBackup(targetOf(context, primary), params.finalBackup.key);
    backupsAdded.push(completedBackup(params.finalBackup, result));
  } else {
    progress.log('no final backup (opted out or no primary)');
  }

  progress.step('delete the backup schedules');
  for (const scheduleId of params.scheduleIds) await scheduleActivities.deleteBackupSchedule(spec.name, scheduleId);

  progress.step('deprovision every node');
  for (const node of context.nodes) await acts.deprovisionNode(node.name);

  progress.step('remove the endpoint');
  await acts.removeEndpoint(spec.name);

  progress.step('delete the other backups');
  for (const backup of params.backups) if (backup.status === 'completed') await acts.deleteBackup(backup.key);

  return {
    summary: `cluster ${spec.name} deleted${backupsAdded.length ? `; final backup ${backupsAdded[0].id} kept 15 days` : ''}`,
    nodes: [],
    backupsRemoved: params.backups.map((b) => b.id),
    backupsAdded,
  };
}
