/** Auto-failover: the monitor and the entity's promotion of the least-lagged healthy replica. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCluster,
  createWorkflowHarness,
  retireCluster,
  spec,
  waitForState,
  type WorkflowHarness,
} from '../test/workflow-harness';
import type { ClusterSettings } from './types';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => {
  await h?.teardown();
});

const settings: Partial<ClusterSettings> = {
  autoFailover: true,
  healthCheckIntervalSeconds: 10,
  failoverThreshold: 3,
  maxFailoverLagBytes: 1000,
};

describe('auto-failover', () => {
  it('promotes the least-lagged healthy replica after the configured number of failed checks', async () => {
    await createCluster(h, spec('fo', { replicas: 3 }), { settings });
    Object.assign(h.infra.node('fo2'), { lagBytes: 600 });
    Object.assign(h.infra.node('fo3'), { lagBytes: 100 });
    Object.assign(h.infra.node('fo4'), { lagBytes: 300 });
    await h.env.sleep('25s'); // two rounds: last known lags recorded
    h.infra.node('fo1').up = false;
    const state = await waitForState(
      h,
      'fo',
      (s) => s.nodes.find((n) => n.role === 'primary')?.name !== 'fo1' && !s.operation,
    );
    expect(state.nodes.find((n) => n.role === 'primary')?.name).toBe('fo3');
    const promote = state.history.find((op) => op.type === 'promote')!;
    expect(promote).toMatchObject({ actor: 'auto-failover', outcome: 'succeeded' });
    // The old primary could not be fenced (it was down) and was re-pointed as a replica of the new one.
    expect(state.nodes.find((n) => n.name === 'fo1')?.role).toBe('replica');
    expect(h.infra.node('fo1').replicatingFrom).toBe(`127.0.0.1:${h.infra.node('fo3').privatePort}`);
    // Three consecutive failures, not fewer: each check is 10 s apart.
    const failedChecks = h.infra.calls.filter(
      (c) => c.name === 'nodeHealth' && (c.args[0] as { node: { name: string } }).node.name === 'fo1',
    ).length;
    expect(failedChecks).toBeGreaterThanOrEqual(3 + 2);
    await retireCluster(h, 'fo');
  });

  it('never promotes a replica whose lag exceeds the limit', async () => {
    await createCluster(h, spec('lagged', { replicas: 2 }), { settings });
    Object.assign(h.infra.node('lagged2'), { lagBytes: 5000 });
    Object.assign(h.infra.node('lagged3'), { lagBytes: 800 });
    await h.env.sleep('25s');
    h.infra.node('lagged1').up = false;
    const state = await waitForState(h, 'lagged', (s) => s.history.some((op) => op.type === 'promote') && !s.operation);
    expect(state.nodes.find((n) => n.role === 'primary')?.name).toBe('lagged3');
    await retireCluster(h, 'lagged');
  });

  it('does not fail over when every replica is beyond the lag limit', async () => {
    await createCluster(h, spec('stuck', { replicas: 1 }), { settings });
    Object.assign(h.infra.node('stuck2'), { lagBytes: 50_000 });
    await h.env.sleep('25s');
    h.infra.node('stuck1').up = false;
    await h.env.sleep('5m');
    const state = await waitForState(h, 'stuck', () => true);
    expect(state.history.some((op) => op.type === 'promote')).toBe(false);
    expect(state.nodes.find((n) => n.role === 'primary')?.name).toBe('stuck1');
    await retireCluster(h, 'stuck');
  });
});
