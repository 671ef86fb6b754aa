/** The cluster entity and its operations under time skipping, with in-memory activities. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeInfra } from '../test/fake-activities';
import {
  createCluster,
  createWorkflowHarness,
  spec,
  waitForState,
  type WorkflowHarness,
} from '../test/workflow-harness';
import {
  addNodeUpdate,
  backupUpdate,
  clusterWorkflowId,
  deleteClusterUpdate,
  promoteUpdate,
  removeNodeUpdate,
  resyncUpdate,
  setAllowlistUpdate,
  stateQuery,
  updateSettingsUpdate,
  restoreUpdate,
} from './cluster-api';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => {
  await h?.teardown();
});

const entity = (name: string) => h.env.client.workflow.getHandle(clusterWorkflowId(name));
const idle = (name: string) => waitForState(h, name, (s) => !s.operation);

/** The refusal an update got: its ApplicationFailure type and message. */
async function refusal(promise: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
}

describe('deploy', () => {
  it('deploys a primary with replicas seeded from a backup, allowlist and endpoint in place', async () => {
    const state = await createCluster(h, spec('orders'), {
      allowlist: ['203.0.113.7/24'],
      settings: { notifications: { webhookUrl: 'http://127.0.0.1:9/hooks/orders' } },
    });
    expect(state.status).toBe('running');
    expect(state.nodes.map((n) => [n.name, n.role, n.status])).toEqual([
      ['orders1', 'primary', 'running'],
      ['orders2', 'replica', 'running'],
      ['orders3', 'replica', 'running'],
    ]);
    expect(state.endpoint).toBeDefined();
    expect(h.infra.allowlists.get('orders2')).toEqual(['203.0.113.0/24']);
    expect(state.schedules.map((s) => s.id)).toEqual(['daily']);
    expect(state.audit.map((a) => [a.action, a.outcome])).toContainEqual(['deploy', 'succeeded']);
    expect(
      h.infra.notifications.some(
        (n) => n.cluster === 'orders' && n.operation === 'deploy' && n.outcome === 'succeeded',
      ),
    ).toBe(true);
    // Seed backups are temporary.
    expect([...h.infra.backups.keys()].filter((k) => k.startsWith('orders/seed'))).toEqual([]);
    const described = await h.env.client.schedule.getHandle('backup:orders:daily').describe();
    expect(described.action.workflowType).toBe('scheduledBackupWorkflow');
  });

  it('marks the cluster failed and removes what it created when the engine is unavailable', async () => {
    const state = await createCluster(h, spec('kdb', { engine: 'keydb', mode: 'single', replicas: 0 }));
    expect(state.status).toBe('failed');
    expect(state.history.at(-1)?.error).toMatch(/keydb-server is not installed/);
    expect(h.infra.nodes.has('kdb1')).toBe(false);
  });
});

describe('refusals change nothing', () => {
  beforeAll(async () => {
    await createCluster(h, spec('guarded'));
  });

  it('refuses a second operation while one runs: cluster busy', async () => {
    const gate = FakeInfra.gate();
    h.infra.once('takeBackup', async (...args) => {
      await gate.wait();
      return h.infra
        .activities()
        .takeBackup(...(args as Parameters<ReturnType<FakeInfra['activities']>['takeBackup']>));
    });
    await entity('guarded').executeUpdate(backupUpdate, { args: [{ actor: 'test' }] });
    const refused = await refusal(entity('guarded').executeUpdate(resyncUpdate, { args: [{ actor: 'test' }] }));
    expect(refused.type).toBe('ClusterBusyError');
    expect(refused.message).toMatch(/^cluster busy: backup running since \d{4}-/);
    gate.open();
    await idle('guarded');
  });

  it('refuses to remove the primary', async () => {
    const refused = await refusal(
      entity('guarded').executeUpdate(removeNodeUpdate, {
        args: [{ actor: 'test', node: 'guarded1', confirm: 'guarded1' }],
      }),
    );
    expect(refused.type).toBe('PrimaryRemovalError');
  });

  it('refuses a confirmation that does not match the name', async () => {
    const refused = await refusal(
      entity('guarded').executeUpdate(promoteUpdate, {
        args: [{ actor: 'test', node: 'guarded2', confirm: 'guarded3' }],
      }),
    );
    expect(refused.type).toBe('ConfirmationMismatchError');
    expect(refused.message).toContain('"guarded2"');
  });

  it('refuses to delete a cluster under termination protection', async () => {
    await entity('guarded').executeUpdate(updateSettingsUpdate, {
      args: [{ actor: 'test', settings: { terminationProtection: true } }],
    });
    const refused = await refusal(
      entity('guarded').executeUpdate(deleteClusterUpdate, { args: [{ actor: 'test', confirm: 'guarded' }] }),
    );
    expect(refused.type).toBe('TerminationProtectedError');
    expect((await entity('guarded').query(stateQuery)).status).toBe('running');
  });

  it('refuses a malformed allowlist naming the entry, and an unknown node', async () => {
    const refused = await refusal(
      entity('guarded').executeUpdate(setAllowlistUpdate, { args: [{ actor: 'test', allowlist: ['10.0.0.300'] }] }),
    );
    expect(refused.type).toBe('InvalidRequestError');
    expect(refused.message).toContain('10.0.0.300');
    const unknown = await refusal(
      entity('guarded').executeUpdate(promoteUpdate, {
        args: [{ actor: 'test', node: 'guarded9', confirm: 'guarded9' }],
      }),
    );
    expect(unknown.type).toBe('NodeNotFoundError');
  });

  it('promoting an unhealthy node fails and changes nothing', async () => {
    h.infra.node('guarded2').lagSeconds = 600;
    const before = await entity('guarded').query(stateQuery);
    await entity('guarded').executeUpdate(promoteUpdate, {
      args: [{ actor: 'test', node: 'guarded2', confirm: 'guarded2' }],
    });
    const after = await idle('guarded');
    expect(after.history.at(-1)).toMatchObject({ type: 'promote', outcome: 'failed' });
    expect(after.history.at(-1)?.error).toMatch(/^node guarded2 cannot be promoted: it is 600 seconds behind/);
    expect(after.nodes).toEqual(before.nodes);
    expect(h.infra.node('guarded1').fenced).toBe(false);
    h.infra.node('guarded2').lagSeconds = 0;
  });
});

describe('operations', () => {
  beforeAll(async () => {
    await createCluster(h, spec('shop'));
    h.infra.write('shop1', 'row-1');
    h.infra.write('shop1', 'row-2');
  });

  it('promotes a healthy replica: roles swap, endpoint moves, post-promote backup catalogued', async () => {
    await entity('shop').executeUpdate(promoteUpdate, { args: [{ actor: 'test', node: 'shop2', confirm: 'shop2' }] });
    const state = await idle('shop');
    expect(state.history.at(-1)).toMatchObject({ type: 'promote', outcome: 'succeeded' });
    expect(state.nodes.find((n) => n.role === 'primary')?.name).toBe('shop2');
    expect(h.infra.node('shop1').role).toBe('replica');
    expect(h.infra.node('shop1').replicatingFrom).toBe(`127.0.0.1:${h.infra.node('shop2').privatePort}`);
    expect(h.infra.endpoints.get('shop')).toContain(String(state.nodes.find((n) => n.name === 'shop2')!.port));
    const postPromote = state.backups.find((b) => b.kind === 'post-promote');
    expect(postPromote).toMatchObject({ status: 'completed', sourceNode: 'shop2' });
  });

  it('takes a manual backup of the primary and restores it in place', async () => {
    await entity('shop').executeUpdate(backupUpdate, { args: [{ actor: 'test', label: 'before cleanup' }] });
    let state = await idle('shop');
    const backup = state.backups.find((b) => b.label === 'before cleanup')!;
    expect(backup).toMatchObject({ kind: 'manual', status: 'completed', sourceNode: 'shop2' });
    h.infra.write('shop2', 'row-after-backup');
    await entity('shop').executeUpdate(restoreUpdate, { args: [{ actor: 'test', backupId: backup.id }] });
    state = await idle('shop');
    expect(state.history.at(-1)).toMatchObject({ type: 'restore', outcome: 'succeeded' });
    expect(h.infra.node('shop2').data).toEqual(['row-1', 'row-2']);
    expect(h.infra.node('shop1').data).toEqual(['row-1', 'row-2']);
  });

  it('resyncs every replica from a fresh backup of the primary', async () => {
    h.infra.node('shop3').data = ['diverged'];
    await entity('shop').executeUpdate(resyncUpdate, { args: [{ actor: 'test' }] });
    await idle('shop');
    expect(h.infra.node('shop3').data).toEqual(h.infra.node('shop2').data);
  });

  it('adds a node with the next number and removes a replica; numbers are never reused', async () => {
    await entity('shop').executeUpdate(addNodeUpdate, { args: [{ actor: 'test' }] });
    let state = await idle('shop');
    expect(state.nodes.map((n) => n.name)).toEqual(['shop1', 'shop2', 'shop3', 'shop4']);
    expect(h.infra.allowlists.get('shop4')).toEqual([]);
    await entity('shop').executeUpdate(removeNodeUpdate, {
      args: [{ actor: 'test', node: 'shop4', confirm: 'shop4' }],
    });
    state = await idle('shop');
    expect(state.nodes.map((n) => n.name)).toEqual(['shop1', 'shop2', 'shop3']);
    expect(h.infra.nodes.has('shop4')).toBe(false);
    await entity('shop').executeUpdate(addNodeUpdate, { args: [{ actor: 'test' }] });
    state = await idle('shop');
    expect(state.nodes.map((n) => n.name)).toContain('shop5');
  });

  it('normalises and applies an allowlist to every node', async () => {
    await entity('shop').executeUpdate(setAllowlistUpdate, {
      args: [{ actor: 'test', allowlist: ['198.51.100.7/24', '::1'] }],
    });
    const state = await idle('shop');
    expect(state.allowlist).toEqual(['198.51.100.0/24', '::1/128']);
    for (const node of state.nodes) expect(h.infra.allowlists.get(node.name)).toEqual(state.allowlist);
  });

  it('deletes the cluster with a final backup, then the backup disappears after 15 days', async () => {
    await entity('shop').executeUpdate(deleteClusterUpdate, { args: [{ actor: 'test', confirm: 'shop' }] });
    const final = await waitForState(h, 'shop', (s) => s.status === 'deleted');
    expect(final.status).toBe('deleted');
    const finalBackup = final.backups.find((b: { kind: string }) => b.kind === 'pre-delete')!;
    expect(finalBackup.status).toBe('completed');
    expect(h.infra.backups.has(finalBackup.key)).toBe(true);
    expect([...h.infra.nodes.keys()].filter((n) => n.startsWith('shop'))).toEqual([]);
    await expect(h.env.client.schedule.getHandle('backup:shop:daily').describe()).rejects.toThrow();
    await h.env.sleep('14d');
    expect(h.infra.backups.has(finalBackup.key)).toBe(true);
    await h.env.sleep('2d');
    expect(h.infra.backups.has(finalBackup.key)).toBe(false);
  });
});

describe('restore into a new cluster', () => {
  it('creates a new cluster from a backup of another, leaving the source untouched', async () => {
    await createCluster(h, spec('source', { mode: 'single', replicas: 0 }));
    h.infra.write('source1', 'original-row');
    await entity('source').executeUpdate(backupUpdate, { args: [{ actor: 'test', label: 'to copy' }] });
    const source = await idle('source');
    const backup = source.backups.find((b) => b.label === 'to copy')!;
    h.infra.write('source1', 'later-row');

    const copy = await createCluster(h, spec('copy', { replicas: 1 }), { restoreFrom: { cluster: 'source', backup } });
    expect(copy.status).toBe('running');
    expect(h.infra.node('copy1').data).toEqual(['original-row']);
    expect(h.infra.node('copy2').data).toEqual(['original-row']);
    expect(h.infra.node('source1').data).toEqual(['original-row', 'later-row']);
    expect(h.infra.backups.has(backup.key)).toBe(true);
  });
});
