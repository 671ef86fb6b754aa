/**
 * A worker SIGKILLed in the middle of an operation, then replaced by a new worker process: the
 * operation completes correctly. On one PostgreSQL cluster (primary + replica), in turn:
 *
 * - promote, killed after the old primary was fenced, with a client writing through the endpoint
 *   all along: every write the database acknowledged is on the new primary and on the replica;
 * - resync, killed while the replica's data is being restored;
 * - restore in place, killed while the primary's data is being restored: every node holds exactly
 *   the backup;
 * - migration, killed while the source is being copied: every node holds exactly the source.
 *
 * Engine processes are VM-like: they outlive the worker, and the next worker adopts them. A killed
 * activity is retried only after its heartbeat timeout (long activities, 1 minute) or start-to-close
 * timeout (quick ones, 2 minutes): most of each test's wall time is that wait.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  backupUpdate,
  deleteClusterUpdate,
  migrateUpdate,
  promoteUpdate,
  restoreUpdate,
  resyncUpdate,
} from '../../workflows/cluster-api';
import { configureMigrationUpdate, runMigrationUpdate, validateMigrationUpdate } from '../../workflows/migration';
import type { ClusterView, Credentials, NodeInfo, OperationRef } from '../../workflows/types';
import { ClusterSession, type Finished } from './e2e-cluster';
import { item, sortItems, type Address, type Item, type MigrationSource } from './e2e-engine-kit';
import { createE2eEnv, type E2eEnv } from './e2e-env';
import { postgresKit as kit } from './e2e-kit-postgresql';
import { processesUsing } from './e2e-processes';
import { eventually, Timings } from './e2e-timings';
import { Writer } from './e2e-writer';

const CLUSTER = 'crashpg';
/** Large enough that the copy is still running when the test sees it start. */
const MIGRATION_ROWS = 200_000;
/** Per test: a guard against a hang (each test waits out at least one activity timeout), not an expectation. */
const TEST_TIMEOUT_MS = 600_000;

const privateAddress = (node: NodeInfo): Address => ({ host: node.privateHost, port: node.privatePort });
const primaryOf = (view: ClusterView) => view.nodes.find((n) => n.role === 'primary')!;

describe('a worker killed in the middle of an operation (PostgreSQL)', { timeout: TEST_TIMEOUT_MS }, () => {
  const timings = new Timings(`crash recovery on postgresql (cluster ${CLUSTER}): request to completion`);
  let e2e: E2eEnv;
  let session: ClusterSession;
  let credentials: Credentials;
  let view: ClusterView;
  let expected: Item[] = [];
  let nextId = 1;
  let source: MigrationSource | undefined;

  async function write(count: number, label: string): Promise<void> {
    const client = await kit.connect(view.endpoint!);
    try {
      const written: Item[] = [];
      for (let i = 0; i < count; i++) {
        const id = nextId++;
        await client.insert(id, `${label} ${id}`);
        written.push(item(id, `${label} ${id}`));
      }
      expected = sortItems([...expected, ...written]);
    } finally {
      await client.close();
    }
  }

  async function expectOnEveryNode(items: Item[], read = kit.itemsOn): Promise<void> {
    for (const node of view.nodes) {
      const held = await eventually(`${node.name} holds the expected data`, async () => {
        const found = await read(privateAddress(node), credentials);
        return JSON.stringify(found) === JSON.stringify(items) ? found : false;
      }).catch(() => read(privateAddress(node), credentials));
      expect(held.length, `rows on ${node.name}`).toBe(items.length);
      expect(held, `data on ${node.name}`).toEqual(items);
    }
  }

  /**
   * Waits for `moment`, SIGKILLs the worker, starts a new one and waits for the operation to end.
   * Returns what the server had running when the worker died, for the failure message and the log.
   */
  async function killAndRecover(ref: OperationRef, started: number, moment: () => Promise<void>): Promise<Finished> {
    await moment();
    const killed = e2e.worker!;
    await killed.kill();
    const { raw } = await e2e.env.client.workflow.getHandle(ref.id).describe();
    const running = (raw.pendingActivities ?? []).map((a) => a.activityType?.name).join(', ') || 'none';
    console.log(`${ref.type}: killed worker ${killed.pid} while running: ${running}`);
    await e2e.startWorker();
    const finished = await session.finished(ref.id, started);
    timings.record(`${ref.type} (worker killed during ${running})`, finished.ms);
    return finished;
  }

  let failed = false;
  beforeEach(({ skip }) => {
    if (failed) skip();
  });
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') failed = true;
  });

  beforeAll(async () => {
    e2e = await createE2eEnv('crash');
    session = new ClusterSession(e2e.env.client, CLUSTER);
    const deployed = await session.create({
      name: CLUSTER,
      engine: kit.engine,
      version: kit.version,
      mode: 'primary-replica',
      replicas: 1,
      plan: { cpu: 1, ramMb: 512, diskGb: 10 },
    });
    view = deployed.view;
    credentials = await session.credentials();
    await kit.prepare(privateAddress(primaryOf(view)), credentials);
    await write(20, 'before any crash');
    await e2e.processes.snapshot();
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    try {
      await source?.drop();
    } finally {
      const leftovers = await e2e?.teardown();
      console.log(timings.table());
      if (leftovers?.length) console.error(`left running (reaped): ${leftovers.join(', ')}`);
    }
  });

  it('promote: completes after the worker dies past the fence, and no acknowledged write is lost', async () => {
    const target = `${CLUSTER}2`;
    const writer = new Writer(kit, view.endpoint!, 100_000);
    writer.start();
    let finished: Finished;
    try {
      await writer.acknowledgedMore(10);
      const started = Date.now();
      const ref = await session.start(promoteUpdate, { actor: 'e2e', node: target, confirm: target });
      // Steps: health check, fence, wait for the acknowledged writes, promote, endpoint, re-point, backup.
      finished = await killAndRecover(ref, started, async () => {
        await session.waitForProgress(ref.id, (p) => p.stepsDone >= 2);
      });
      await writer.acknowledgedMore(10);
    } finally {
      await writer.stop();
    }
    view = finished.view;
    expect(primaryOf(view).name).toBe(target);
    expect(view.nodes.map((n) => [n.name, n.role, n.status])).toEqual([
      [`${CLUSTER}1`, 'replica', 'running'],
      [`${CLUSTER}2`, 'primary', 'running'],
    ]);
    expect(view.backups.find((b) => b.kind === 'post-promote')).toMatchObject({ status: 'completed' });

    const acknowledged = writer.acknowledged.map((id) => item(id, `written during promote ${id}`));
    const onPrimary = await kit.itemsOn(privateAddress(primaryOf(view)), credentials);
    expect(acknowledged.filter((i) => !onPrimary.includes(i))).toEqual([]);
    expect(expected.filter((i) => !onPrimary.includes(i))).toEqual([]);
    expected = onPrimary;
    await expectOnEveryNode(expected);
    await e2e.processes.snapshot();
  });

  it('resync: completes after the worker dies while the replica is being restored', async () => {
    const started = Date.now();
    const ref = await session.start(resyncUpdate, { actor: 'e2e' });
    const finished = await killAndRecover(ref, started, () => session.waitForRunningActivity(ref.id, 'restoreBackup'));
    view = finished.view;
    expect(view.nodes.every((n) => n.status === 'running')).toBe(true);
    await write(5, 'after resync');
    await expectOnEveryNode(expected);
    await e2e.processes.snapshot();
  });

  it('restore: completes after the worker dies while the primary is being restored; every node holds the backup', async () => {
    const backedUp = await session.run(backupUpdate, { actor: 'e2e', label: 'before the crash' });
    const backup = backedUp.view.backups.find((b) => b.label === 'before the crash')!;
    const snapshot = expected;
    await write(10, 'after the backup');

    const started = Date.now();
    const ref = await session.start(restoreUpdate, { actor: 'e2e', backupId: backup.id });
    const finished = await killAndRecover(ref, started, () => session.waitForRunningActivity(ref.id, 'restoreBackup'));
    view = finished.view;
    expected = snapshot;
    await expectOnEveryNode(expected);
    await write(3, 'after restore');
    await expectOnEveryNode(expected);
    await e2e.processes.snapshot();
  });

  it('migrate: completes after the worker dies while the source is being copied; every node holds the source', async () => {
    source = await kit.createSource(MIGRATION_ROWS);
    const started = Date.now();
    const ref = await session.start(migrateUpdate, { actor: 'e2e' });
    const migration = e2e.env.client.workflow.getHandle(ref.id);
    await migration.executeUpdate(configureMigrationUpdate, { args: [{ source: source.source }] });
    await migration.executeUpdate(validateMigrationUpdate);
    await migration.executeUpdate(runMigrationUpdate);
    const finished = await killAndRecover(ref, started, () => session.waitForRunningActivity(ref.id, 'copyFromSource'));
    view = finished.view;
    expect(view.backups.filter((b) => b.kind === 'pre-migration')).toHaveLength(1);
    await expectOnEveryNode(source.items, source.itemsOn);
    await expectOnEveryNode(expected);
    const dropped = source;
    source = undefined;
    await dropped.drop();
  });

  it('deletes the cluster and leaves no process behind', async () => {
    const deleted = await session.run(deleteClusterUpdate, { actor: 'e2e', confirm: CLUSTER, skipFinalBackup: true });
    expect(deleted.view.status).toBe('deleted');
    expect(await e2e.processes.alive()).toEqual([]);
    expect(processesUsing(e2e.root, [e2e.worker!.pid])).toEqual([]);
  });
});
