/**
 * Promote node (SPEC §3.4). Health gate first: the target must be running, replicating from the
 * current primary and within the lag threshold, else "node X cannot be promoted: reason" and
 * nothing changes. Then: fence the old primary, wait until the target has every write the old
 * primary acknowledged, promote the target, move the endpoint (as early as possible: it ends the
 * downtime), re-point every other node (the old primary included) and take a post-promote backup.
 * Auto-failover (`automatic`) tolerates an unreachable old primary.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { NodeHealthReport } from '../activities/contract';
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
import type { OperationInput, PromoteParams } from './operation-params';
import type { NodeInfo } from './types';

/** How long the target may take to apply the old primary's last writes. */
const CATCH_UP_TIMEOUT_MS = 60_000;

export async function promoteWorkflow({ context, params }: OperationInput<PromoteParams>): Promise<OperationOutcome> {
  const progress = trackProgress(context, 7);
  const target = (node: NodeInfo) => targetOf(context, node);
  const oldPrimary = primaryOf(context.nodes)!;
  const candidate = context.nodes.find((n) => n.name === params.node)!;
  if (params.reason) progress.log(params.reason);

  progress.step(`health-check ${candidate.name}`);
  const health = await acts.nodeHealth(target(candidate));
  const problem = healthProblem(health, oldPrimary, context.settings.maxPromotionLagSeconds, params.automatic);
  if (problem) throw refuse('NodeUnhealthyError', `node ${candidate.name} cannot be promoted: ${problem}`);

  progress.step(`fence the old primary ${oldPrimary.name}`);
  let position: string | undefined;
  try {
    position = await acts.fenceNode(target(oldPrimary));
  } catch (err) {
    if (!params.automatic) throw err;
    progress.log(
      `old primary ${oldPrimary.name} could not be fenced (${messageOf(err)}); promoting the least-lagged replica`,
    );
  }

  try {
    progress.step(`wait until ${candidate.name} has every acknowledged write`);
    if (position) await acts.waitForPosition(target(candidate), position, CATCH_UP_TIMEOUT_MS);

    progress.step(`promote ${candidate.name}`);
    await acts.promoteNode(target(candidate));
  } catch (err) {
    // Nothing moved yet: give the old primary its writes back.
    if (position) await acts.configurePrimary(target(oldPrimary));
    throw err;
  }

  progress.step('move the endpoint');
  const endpoint = await acts.pointEndpoint(context.spec.name, candidate);

  progress.step('re-point the other nodes to the new primary');
  const nodes: NodeInfo[] = [];
  for (const node of context.nodes) {
    if (node.name === candidate.name) {
      nodes.push({ ...node, role: 'primary', status: 'running' });
      continue;
    }
    try {
      await acts.configureReplica(target(node), target(candidate));
      nodes.push({ ...node, role: 'replica', status: 'running' });
    } catch (err) {
      if (!(params.automatic && node.name === oldPrimary.name)) throw err;
      progress.log(
        `old primary ${node.name} could not rejoin as a replica (${messageOf(err)}); marked failed, resync it later`,
      );
      nodes.push({ ...node, role: 'replica', status: 'failed' });
    }
  }

  progress.step(`post-promote backup of ${candidate.name}`);
  const backup = await longActs.takeBackup(target(candidate), params.postPromoteBackup.key);
  return {
    summary: `${candidate.name} promoted; ${oldPrimary.name} is now a replica`,
    nodes,
    endpoint,
    backupsAdded: [completedBackup(params.postPromoteBackup, backup, candidate.name)],
  };
}

function healthProblem(
  health: NodeHealthReport,
  primary: NodeInfo,
  maxLagSeconds: number,
  automatic: boolean,
): string | undefined {
  if (!health.up) return `it is not running${health.error ? ` (${health.error})` : ''}`;
  if (health.role !== 'replica') return `it reports role ${health.role}, not replica`;
  if (automatic) return undefined;
  const expected = `${primary.privateHost}:${primary.privatePort}`;
  if (health.replicatingFrom !== expected)
    return `it replicates from ${health.replicatingFrom ?? 'nothing'}, not from the primary ${expected}`;
  if (health.replicationState !== 'streaming') return `replication is ${health.replicationState ?? 'not running'}`;
  if (health.lagSeconds === null || health.lagSeconds > maxLagSeconds) {
    return `it is ${health.lagSeconds ?? 'an unknown number of'} seconds behind (limit ${maxLagSeconds})`;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  if (err instanceof ApplicationFailure || err instanceof Error) return err.message;
  return String(err);
}
