/**
 * Creating a cluster, empty or from a backup of another cluster (restore into a new cluster). The
 * request has passed its schema; here the shared rules run, and a restore source is checked: the
 * backup must exist, be completed, be of the same engine, and the new plan's disk must be at least
 * the source's. The source cluster may have been deleted (its final backup outlives it).
 */
import type { ClusterInput } from '../workflows/cluster-api';
import { applySettingsPatch, checkAllowlist, checkSpec } from '../workflows/cluster-rules';
import {
  DEFAULT_SETTINGS,
  type ClusterSpec,
  type ClusterView,
  type NodePlan,
  type OperationRef,
} from '../workflows/types';
import type { ClusterGateway } from './cluster-gateway';
import { PreconditionError, RequestValidationError, ResourceNotFoundError } from './errors';
import type { z } from 'zod';
import type { CreateClusterRequest } from './schemas';

export type CreateCluster = z.output<typeof CreateClusterRequest>;

export async function createCluster(
  gateway: ClusterGateway,
  request: CreateCluster,
  actor: string,
): Promise<OperationRef> {
  if (request.mode !== 'primary-replica' && request.replicas !== undefined) {
    throw new RequestValidationError([
      {
        field: 'body.replicas',
        message: `applies to primary-replica clusters only; leave it out for a ${request.mode} cluster`,
      },
    ]);
  }
  const spec: ClusterSpec = checkSpec({
    name: request.name,
    engine: request.engine,
    version: request.version,
    mode: request.mode,
    replicas: request.replicas ?? 0,
    plan: request.plan,
  });
  const allowlist = checkAllowlist(request.allowlist ?? []);
  if (request.settings) applySettingsPatch(DEFAULT_SETTINGS, request.settings);
  const input: ClusterInput = { spec, actor, allowlist, ...(request.settings ? { settings: request.settings } : {}) };
  if (request.restoreFrom) {
    const { cluster, backupId } = request.restoreFrom;
    const source = await gateway.lastState(cluster);
    const backup = source.backups.find((b) => b.id === backupId);
    if (!backup) throw new ResourceNotFoundError(`backup ${backupId} is not in the catalogue of ${cluster}`);
    if (backup.status !== 'completed') {
      throw new PreconditionError(`backup ${backupId} of ${cluster} is ${backup.status}; choose a completed backup`);
    }
    if (backup.engine !== spec.engine) {
      throw new PreconditionError(
        `backup ${backupId} holds ${backup.engine} data and cannot be restored into a ${spec.engine} cluster; use engine ${backup.engine}`,
      );
    }
    const sourceDisk = sourceDiskGb(source, backup.sourceNode);
    if (spec.plan.diskGb < sourceDisk) {
      throw new PreconditionError(
        `the new cluster's disk (${spec.plan.diskGb} GB) is smaller than the source's (${sourceDisk} GB); choose a plan with diskGb ≥ ${sourceDisk}`,
      );
    }
    input.restoreFrom = { cluster, backup };
  }
  return gateway.create(input);
}

/** The disk of the node the backup was taken on, else the cluster's plan. */
function sourceDiskGb(source: ClusterView, node: string): number {
  const plan: NodePlan = source.nodes.find((n) => n.name === node)?.plan ?? source.spec.plan;
  return Math.max(plan.diskGb, source.spec.plan.diskGb);
}
