/**
 * Inputs of the operation workflows the cluster entity starts as children, and their workflow
 * type names. Kept apart from the workflows so the entity depends on data, not on their code.
 */
import type { OperationContext } from './operation';
import type { BackupEntry, NodePlan, OperationType, RestoreSource } from './types';

export interface OperationInput<P> {
  context: OperationContext;
  params: P;
}

export interface DeployParams {
  restoreFrom?: RestoreSource;
}

export interface AddNodeParams {
  nodeName: string;
  nodeNumber: number;
  plan: NodePlan;
}

export interface RemoveNodeParams {
  node: string;
}

export interface PromoteParams {
  node: string;
  /** Auto-failover: the old primary may be unreachable; it is fenced if it answers. */
  automatic: boolean;
  reason?: string;
  /** Where the post-promote backup goes (prepared by the entity). */
  postPromoteBackup: BackupEntry;
}

export type ResyncParams = Record<string, never>;

export interface BackupParams {
  /** The catalogue entry (status running) the entity recorded for this backup. */
  backup: BackupEntry;
}

export interface RestoreParams {
  backup: BackupEntry;
}

export interface MigrationParams {
  /** Where the pre-migration backup goes. */
  preMigrationBackup: BackupEntry;
}

export interface AllowlistParams {
  allowlist: string[];
}

export interface DeleteParams {
  /** Absent when the user opted out of the final backup. */
  finalBackup?: BackupEntry;
  /** Every backup in the catalogue; all but the final one are deleted with the cluster. */
  backups: BackupEntry[];
  scheduleIds: string[];
}

/** Workflow type of each operation's child workflow. */
export const OPERATION_WORKFLOWS: Record<OperationType, string> = {
  deploy: 'deployWorkflow',
  'add-node': 'addNodeWorkflow',
  'remove-node': 'removeNodeWorkflow',
  promote: 'promoteWorkflow',
  resync: 'resyncWorkflow',
  backup: 'backupWorkflow',
  restore: 'restoreWorkflow',
  migration: 'migrationWorkflow',
  allowlist: 'allowlistWorkflow',
  delete: 'deleteClusterWorkflow',
};
