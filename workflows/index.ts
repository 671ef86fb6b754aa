/** Every workflow the worker runs. */
export { clusterWorkflow } from './cluster';
export { deployWorkflow } from './deploy';
export { addNodeWorkflow } from './add-node';
export { removeNodeWorkflow } from './remove-node';
export { promoteWorkflow } from './promote';
export { resyncWorkflow } from './resync';
export { backupWorkflow } from './backup';
export { restoreWorkflow } from './restore';
export { migrationWorkflow } from './migration';
export { allowlistWorkflow } from './allowlist';
export { deleteClusterWorkflow } from './delete-cluster';
export { failoverMonitorWorkflow } from './failover-monitor';
export { scheduledBackupWorkflow, backupExpiryWorkflow } from './schedules';
