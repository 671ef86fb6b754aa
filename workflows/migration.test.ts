/** The migration workflow's three user-driven steps, under time skipping with in-memory activities. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCluster,
  createWorkflowHarness,
  spec,
  waitForState,
  type WorkflowHarness,
} from '../test/workflow-harness';
import { clusterWorkflowId, migrateUpdate } from './cluster-api';
import {
  backMigrationUpdate,
  cancelMigrationUpdate,
  configureMigrationUpdate,
  migrationQuery,
  runMigrationUpdate,
  validateMigrationUpdate,
} from './migration';
import { progressQuery } from './operation';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await createWorkflowHarness();
  h.infra.sources.set('192.0.2.10:5432', { rows: ['a', 'b', 'c'], password: 'source-secret' });
  h.infra.sources.set('192.0.2.11:5432', {
    rows: ['x'],
    password: 'pw',
    blockers: ['extension postgis is not installed on the target'],
  });
});
afterAll(async () => {
  await h?.teardown();
});

const source = { host: '192.0.2.10', port: 5432, user: 'app', password: 'source-secret', database: 'appdb' };

async function startMigration(cluster: string) {
  const ref = await h.env.client.workflow
    .getHandle(clusterWorkflowId(cluster))
    .executeUpdate(migrateUpdate, { args: [{ actor: 'test' }] });
  return h.env.client.workflow.getHandle(ref.id);
}

async function updateError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as Error & { cause?: Error };
  return cause.cause?.message ?? cause.message;
}

describe('migration', () => {
  beforeAll(async () => {
    await createCluster(h, spec('mig'));
  });

  it('waits at each step, goes back, validates, then migrates with a pre-migration backup', async () => {
    const migration = await startMigration('mig');
    expect((await migration.query(migrationQuery)).step).toBe('configure');
    // Waiting for the user: time passes, nothing moves.
    await h.env.sleep('1d');
    expect((await migration.query(migrationQuery)).step).toBe('configure');

    expect(
      await updateError(
        migration.executeUpdate(configureMigrationUpdate, { args: [{ source: { ...source, password: 'wrong' } }] }),
      ),
    ).toMatch(/authentication failed for user app/);
    expect(
      await updateError(
        migration.executeUpdate(configureMigrationUpdate, { args: [{ source: { ...source, port: 70000 } }] }),
      ),
    ).toMatch(/source.port 70000 must be a port number/);
    let view = await migration.executeUpdate(configureMigrationUpdate, { args: [{ source }] });
    expect(view.step).toBe('validate');
    expect(view.source).toEqual({ host: source.host, port: source.port, user: source.user, database: source.database });
    view = await migration.executeUpdate(backMigrationUpdate);
    expect(view.step).toBe('configure');
    await migration.executeUpdate(configureMigrationUpdate, { args: [{ source }] });
    view = await migration.executeUpdate(validateMigrationUpdate);
    expect(view.step).toBe('migrate');
    expect(view.report).toMatchObject({ version: '15.4', blockers: [] });
    // Migrate is refused until validation passed; here it has.
    await migration.executeUpdate(runMigrationUpdate);
    const outcome = await migration.result();
    expect(outcome.summary).toMatch(/migrated 192.0.2.10:5432 into mig/);
    const state = await waitForState(h, 'mig', (s) => !s.operation);
    expect(state.backups.some((b) => b.kind === 'pre-migration' && b.status === 'completed')).toBe(true);
    expect(h.infra.node('mig1').data).toEqual(['a', 'b', 'c']);
    expect(h.infra.node('mig2').data).toEqual(['a', 'b', 'c']);
    // The cluster was closed to clients during the copy, then reopened.
    expect(h.infra.allowlists.get('mig1')).toEqual([]);
    const progress = await migration.query(progressQuery);
    expect(progress.log!.some((line) => line.includes('copied 3 rows'))).toBe(true);
    expect(progress.log!.join('\n')).not.toContain('source-secret');
  });

  it('stays at validate when the check finds blockers', async () => {
    const migration = await startMigration('mig');
    await migration.executeUpdate(configureMigrationUpdate, {
      args: [{ source: { ...source, host: '192.0.2.11', password: 'pw' } }],
    });
    const view = await migration.executeUpdate(validateMigrationUpdate);
    expect(view.step).toBe('validate');
    expect(view.report?.blockers).toEqual(['extension postgis is not installed on the target']);
    expect(await updateError(migration.executeUpdate(runMigrationUpdate))).toMatch(
      /the migration is at step validate, not migrate/,
    );
    await migration.executeUpdate(cancelMigrationUpdate);
    expect((await migration.result()).summary).toMatch(/cancelled/);
    expect(h.infra.node('mig1').data).toEqual(['a', 'b', 'c']);
  });

  it('can be cancelled before migrate, and the cluster is free again', async () => {
    const migration = await startMigration('mig');
    await migration.executeUpdate(configureMigrationUpdate, { args: [{ source }] });
    await migration.executeUpdate(cancelMigrationUpdate);
    expect((await migration.result()).summary).toBe('migration cancelled before any data was copied');
    const state = await waitForState(h, 'mig', (s) => !s.operation);
    expect(state.history.at(-1)).toMatchObject({ type: 'migration', outcome: 'succeeded' });
  });

  it('wants a user for a PostgreSQL source, not for a Redis one (its default user)', async () => {
    const migration = await startMigration('mig');
    expect(
      await updateError(
        migration.executeUpdate(configureMigrationUpdate, { args: [{ source: { ...source, user: '' } }] }),
      ),
    ).toBe('source.user is required for postgresql sources');
    await migration.executeUpdate(cancelMigrationUpdate);
    await migration.result();

    await createCluster(h, spec('cache', { engine: 'redis', version: '7', mode: 'single', replicas: 0 }));
    h.infra.sources.set('192.0.2.12:6379', { rows: ['k1'], password: '' });
    const redisMigration = await startMigration('cache');
    const view = await redisMigration.executeUpdate(configureMigrationUpdate, {
      args: [{ source: { host: '192.0.2.12', port: 6379, user: '', password: '' } }],
    });
    expect(view.step).toBe('validate');
    await redisMigration.executeUpdate(cancelMigrationUpdate);
    await redisMigration.result();
  });

  it('cancels itself when nobody continues it for 7 days', async () => {
    const migration = await startMigration('mig');
    await h.env.sleep('8d');
    expect((await migration.result()).summary).toMatch(/cancelled/);
    expect((await migration.query(migrationQuery)).log.some((line) => line.includes('nobody continued'))).toBe(true);
  });
});
