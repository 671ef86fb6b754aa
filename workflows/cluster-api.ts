/**
 * The messages of the cluster entity workflow (`cluster:<name>`): its Queries, Updates and
 * Signals, and their inputs. The API and other workflows use these definitions to talk to it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  BackupSchedule,
  ClusterSettings,
  ClusterSpec,
  ClusterView,
  Credentials,
  ClusterState,
  NodePlan,
  NotificationSettings,
  OperationRef,
  RestoreSource,
} from './types';

export const clusterWorkflowId = (name: string) => `cluster:${name}`;

export interface ClusterInput {
  spec: ClusterSpec;
  actor: string;
  allowlist?: string[];
  settings?: Partial<ClusterSettings>;
  /** Restore-into-new-cluster: the new cluster starts with this backup's data. */
  restoreFrom?: RestoreSource;
  /** Set by continue-as-new. */
  carried?: { state: ClusterState; credentials: Credentials };
}

export interface Actor {
  /** Who asked (API token name, `schedule:<id>`, `auto-failover`). */
  actor: string;
}

export type SettingsPatch = Partial<Omit<ClusterSettings, 'notifications'>> & { notifications?: NotificationSettings };

export const stateQuery = defineQuery<ClusterView>('state');
export const operationQuery = defineQuery<OperationRef | null>('operation');
/**
 * The cluster's generated credentials. Only for the cluster's owners: the API serves the admin
 * user's to admin tokens (`GET /v1/clusters/:name/credentials`); the state query never carries them.
 */
export const credentialsQuery = defineQuery<Credentials>('credentials');

export const addNodeUpdate = defineUpdate<OperationRef, [Actor & { plan?: NodePlan }]>('addNode');
export const removeNodeUpdate = defineUpdate<
  OperationRef,
  [Actor & { node: string; confirm: string; allowSinglePrimary?: boolean }]
>('removeNode');
export const promoteUpdate = defineUpdate<OperationRef, [Actor & { node: string; confirm: string }]>('promote');
export const resyncUpdate = defineUpdate<OperationRef, [Actor]>('resync');
export const backupUpdate = defineUpdate<OperationRef, [Actor & { label?: string }]>('backup');
export const deleteBackupUpdate = defineUpdate<void, [Actor & { backupId: string }]>('deleteBackup');
export const restoreUpdate = defineUpdate<OperationRef, [Actor & { backupId: string }]>('restore');
export const migrateUpdate = defineUpdate<OperationRef, [Actor]>('migrate');
export const setAllowlistUpdate = defineUpdate<OperationRef, [Actor & { allowlist: string[] }]>('setAllowlist');
export const updateSettingsUpdate = defineUpdate<ClusterView, [Actor & { settings: SettingsPatch }]>('updateSettings');
export const createScheduleUpdate = defineUpdate<
  BackupSchedule,
  [Actor & { intervalMinutes?: number; cron?: string; keep: number }]
>('createSchedule');
export const deleteScheduleUpdate = defineUpdate<void, [Actor & { scheduleId: string }]>('deleteSchedule');
export const pauseScheduleUpdate = defineUpdate<BackupSchedule, [Actor & { scheduleId: string; paused: boolean }]>(
  'pauseSchedule',
);
export const triggerScheduleUpdate = defineUpdate<void, [Actor & { scheduleId: string }]>('triggerSchedule');
export const deleteClusterUpdate = defineUpdate<OperationRef, [Actor & { confirm: string; skipFinalBackup?: boolean }]>(
  'deleteCluster',
);

/** Sent by `scheduledBackupWorkflow`, which a backup schedule starts. */
export const scheduledBackupSignal = defineSignal<[{ scheduleId: string }]>('scheduledBackup');
/** Sent by the failover monitor after enough consecutive failed health checks of the primary. */
export const primaryFailedSignal = defineSignal<[{ candidate: string; reason: string }]>('primaryFailed');
