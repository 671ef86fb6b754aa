/**
 * Auto-failover monitor (SPEC §3.5): health-checks the primary on an interval; after the configured
 * number of consecutive failures it picks the healthiest replica — the least lagged, and never one
 * whose last known lag exceeds the limit — and asks the cluster entity to promote it.
 */
import { continueAsNew, getExternalWorkflowHandle, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { ClusterActivities, NodeHealthReport } from '../activities/contract';
import { primaryFailedSignal } from './cluster-api';
import { targetOf } from './operation';
import type { ClusterSettings, ClusterSpec, Credentials, NodeInfo } from './types';

export interface MonitorInput {
  cluster: string;
  entityId: string;
  spec: ClusterSpec;
  credentials: Credentials;
  primary: NodeInfo;
  replicas: NodeInfo[];
  settings: ClusterSettings;
  /** Carried over continue-as-new. */
  failures?: number;
  lastKnownLagBytes?: Record<string, number>;
}

export const monitorWorkflowId = (cluster: string, generation: number) => `cluster:${cluster}:monitor:${generation}`;

/** One health check is one attempt: a check that cannot finish counts as a failure. */
const probe = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 1 },
});

const ROUNDS_PER_RUN = 100;

export async function failoverMonitorWorkflow(input: MonitorInput): Promise<void> {
  const { settings } = input;
  let failures = input.failures ?? 0;
  const lastKnownLag: Record<string, number> = { ...input.lastKnownLagBytes };
  const check = (node: NodeInfo): Promise<NodeHealthReport | undefined> =>
    probe.nodeHealth(targetOf(input, node)).catch(() => undefined);

  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    await sleep(settings.healthCheckIntervalSeconds * 1000);
    const [primary, ...replicas] = await Promise.all([input.primary, ...input.replicas].map(check));
    for (const [i, health] of replicas.entries()) {
      if (health?.up && health.lagBytes !== null) lastKnownLag[input.replicas[i].name] = health.lagBytes;
    }
    if (primary?.up && primary.role === 'primary') {
      failures = 0;
      continue;
    }
    failures++;
    log.warn('primary health check failed', {
      cluster: input.cluster,
      node: input.primary.name,
      failures,
      error: primary?.error,
    });
    if (failures < settings.failoverThreshold) continue;

    const candidates = input.replicas
      .map((node, i) => ({ node, health: replicas[i], lag: lastKnownLag[node.name] }))
      .filter((c) => c.health?.up && c.lag !== undefined && c.lag <= settings.maxFailoverLagBytes)
      .sort((a, b) => a.lag! - b.lag!);
    const best = candidates[0];
    if (!best) {
      log.error('primary is down but no replica is healthy and within the lag limit; not failing over', {
        cluster: input.cluster,
      });
      continue;
    }
    await getExternalWorkflowHandle(input.entityId).signal(primaryFailedSignal, {
      candidate: best.node.name,
      reason: `primary ${input.primary.name} failed ${failures} consecutive health checks${primary?.error ? `: ${primary.error}` : ''}`,
    });
    // The entity cancels this monitor and starts one for the new topology once the promotion is
    // done; if it was busy and ignored the request, checks go on and ask again later.
    failures = 0;
  }
  await continueAsNew<typeof failoverMonitorWorkflow>({ ...input, failures, lastKnownLagBytes: lastKnownLag });
}
