/**
 * Backup schedules. Each is a Temporal Schedule (visible, pausable and triggerable in the Web UI)
 * that starts `scheduledBackupWorkflow`, which asks the cluster entity for a backup. The entity is
 * the lock: when it is busy it records a defunct backup instead.
 */
import { getExternalWorkflowHandle, proxyActivities, sleep } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/contract';
import { clusterWorkflowId, scheduledBackupSignal } from './cluster-api';
import type { BackupEntry, BackupSchedule } from './types';

export const scheduleActivities = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
});

const cleanupActivities = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5s', maximumInterval: '5 minutes' },
});

/**
 * The daily schedule every cluster gets. Its minute and hour come from the cluster name, so that
 * many clusters do not all back up at the same instant.
 */
export function defaultSchedule(cluster: string, createdAt: string): BackupSchedule {
  let hash = 0;
  for (const char of cluster) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_003;
  const minute = hash % 60;
  const hour = Math.floor(hash / 60) % 24;
  return { id: 'daily', kind: 'default', cron: `${minute} ${hour} * * *`, paused: false, createdAt };
}

export function userSchedule(
  id: string,
  request: { intervalMinutes?: number; cron?: string; keep: number },
  createdAt: string,
): BackupSchedule {
  return {
    id,
    kind: 'user',
    intervalMinutes: request.intervalMinutes,
    cron: request.cron,
    keep: request.keep,
    paused: false,
    createdAt,
  };
}

/** Started by a backup schedule; hands the request to the cluster entity and ends. */
export async function scheduledBackupWorkflow(input: { cluster: string; scheduleId: string }): Promise<void> {
  await getExternalWorkflowHandle(clusterWorkflowId(input.cluster)).signal(scheduledBackupSignal, {
    scheduleId: input.scheduleId,
  });
}

/** Keeps the final backup of a deleted cluster until it expires, then deletes it. */
export async function backupExpiryWorkflow(input: { cluster: string; backup: BackupEntry }): Promise<void> {
  const expiresAt = Date.parse(input.backup.expiresAt ?? new Date().toISOString());
  const wait = expiresAt - Date.now();
  if (wait > 0) await sleep(wait);
  await cleanupActivities.deleteBackup(input.backup.key);
}
