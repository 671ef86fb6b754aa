/**
 * A worker SIGKILLed in the middle of an operation, then replaced by a new worker process: the
 * operation completes correctly. Each test has its own PostgreSQL cluster (primary + replica),
 * devserver and worker, and the tests run concurrently:
 *
 * - promote, killed after the old primary was fenced, with a client writing through the endpoint
 *   all along: every write the database acknowledged is on the new primary and on the replica;
 * - resync, killed while the replica's data is being restored;
 * - restore in place, killed while the primary's data is being restored: every node holds exactly
 *   the backup;
 * - migration, killed while the source is being copied: every node holds exactly the source.
 *
 * Engine processes are VM-like: they outlive the worker, and the next worker adopts them. A killed
 * activity is retried after its heartbeat timeout (10 s, 20 s for long activities), and the run's
 * next workflow task waits out the dead worker's sticky queue (3 s): much of each test's wall time
 * is those waits and the new worker's start.
 */
import { afterAll, describe, it } from 'vitest';
import { backupUpdate, migrateUpdate, promoteUpdate, restoreUpdate, resyncUpdate } from '../../workflows/cluster-api';
import { configureMigrationUpdate, runMigrationUpdate, validateMigrationUpdate } from '../../workflows/migration';
import { CrashCluster, primaryOf, privateAddress } from './e2e-crash-cluster';
import { item, type MigrationSource } from './e2e-engine-kit';
import { postgresKit as kit } from './e2e-kit-postgresql';
import { Timings } from './e2e-timings';
import { Writer } from './e2e-writer';

/** Large enough that the copy is still running when the test sees it start. */
const MIGRATION_ROWS = 200_000;
/** Per test: a guard against a hang (each test waits out at least one activity timeout), not an expectation. */
const TEST_TIMEOUT_MS = 900_000;

const timings = new Timings('crash recovery on postgresql: request to completion, worker SIGKILLed once');

afterAll(() => console.log(timings.table()));

describe.concurrent('a worker killed in the middle of an operation (PostgreSQL)', { timeout: TEST_TIMEOUT_MS }, () => {
  it('promote: completes after the worker dies past the fence, and no acknowledged write is lost', async ({
    expect,
  }) => {
    const c = await CrashCluster.deploy('crpromote', timings);
    try {
      const target = 'crpromote2';
      const writer = new Writer(kit, c.view.endpoint!, 100_000);
      writer.start();
      try {
        await writer.acknowledgedMore(10);
        const started = Date.now();
        const ref = await c.session.start(promoteUpdate, { actor: 'e2e', node: target, confirm: target });
        // Steps: health check, fence, wait for the acknowledged writes, promote, endpoint, re-point, backup.
        await c.killAndRecover(ref, started, async () => {
          await c.session.waitForProgress(ref.id, (p) => p.stepsDone >= 2);
        });
        await writer.acknowledgedMore(10);
      } finally {
        await writer.stop();
      }
      timings.record('promote: longest gap between acknowledged writes', writer.longestGapMs);
      expect(primaryOf(c.view).name).toBe(target);
      expect(c.view.nodes.map((n) => [n.name, n.role, n.status])).toEqual([
        ['crpromote1', 'replica', 'running'],
        ['crpromote2', 'primary', 'running'],
      ]);
      expect(c.view.backups.find((b) => b.kind === 'post-promote')).toMatchObject({ status: 'completed' });

      const acknowledged = writer.acknowledged.map((id) => item(id, `written during promote ${id}`));
      const onPrimary = await kit.itemsOn(privateAddress(primaryOf(c.view)), c.credentials);
      expect(acknowledged.filter((i) => !onPrimary.includes(i))).toEqual([]);
      expect(c.expected.filter((i) => !onPrimary.includes(i))).toEqual([]);
      c.expected = onPrimary;
      await c.expectOnEveryNode(expect, c.expected);
      await c.deleteAndCheck(expect);
    } finally {
      await c.teardown();
    }
  });

  it('resync: completes after the worker dies while the replica is being restored', async ({ expect }) => {
    const c = await CrashCluster.deploy('crresync', timings);
    try {
      const started = Date.now();
      const ref = await c.session.start(resyncUpdate, { actor: 'e2e' });
      await c.killAndRecover(ref, started, () => c.session.waitForRunningActivity(ref.id, 'restoreBackup'));
      expect(c.view.nodes.every((n) => n.status === 'running')).toBe(true);
      await c.write(5, 'after resync');
      await c.expectOnEveryNode(expect, c.expected);
      await c.deleteAndCheck(expect);
    } finally {
      await c.teardown();
    }
  });

  it('restore: completes after the worker dies while the primary is being restored; every node holds the backup', async ({
    expect,
  }) => {
    const c = await CrashCluster.deploy('crrestore', timings);
    try {
      const backedUp = await c.session.run(backupUpdate, { actor: 'e2e', label: 'before the crash' });
      const backup = backedUp.view.backups.find((b) => b.label === 'before the crash')!;
      const snapshot = c.expected;
      await c.write(10, 'after the backup');

      const started = Date.now();
      const ref = await c.session.start(restoreUpdate, { actor: 'e2e', backupId: backup.id });
      await c.killAndRecover(ref, started, () => c.session.waitForRunningActivity(ref.id, 'restoreBackup'));
      c.expected = snapshot;
      await c.expectOnEveryNode(expect, c.expected);
      await c.write(3, 'after restore');
      await c.expectOnEveryNode(expect, c.expected);
      await c.deleteAndCheck(expect);
    } finally {
      await c.teardown();
    }
  });

  it('migrate: completes after the worker dies while the source is being copied; every node holds the source', async ({
    expect,
  }) => {
    const c = await CrashCluster.deploy('crmigrate', timings);
    let source: MigrationSource | undefined;
    try {
      source = await kit.createSource(MIGRATION_ROWS);
      const started = Date.now();
      const ref = await c.session.start(migrateUpdate, { actor: 'e2e' });
      const migration = c.e2e.env.client.workflow.getHandle(ref.id);
      await migration.executeUpdate(configureMigrationUpdate, { args: [{ source: source.source }] });
      await migration.executeUpdate(validateMigrationUpdate);
      await migration.executeUpdate(runMigrationUpdate);
      await c.killAndRecover(ref, started, () => c.session.waitForRunningActivity(ref.id, 'copyFromSource'));
      expect(c.view.backups.filter((b) => b.kind === 'pre-migration')).toHaveLength(1);
      await c.expectOnEveryNode(expect, source.items, source.itemsOn);
      await c.expectOnEveryNode(expect, c.expected);
      await c.deleteAndCheck(expect);
    } finally {
      try {
        await source?.drop();
      } finally {
        await c.teardown();
      }
    }
  });
});
