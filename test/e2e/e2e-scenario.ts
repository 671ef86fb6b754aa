/**
 * Every operation of the product, end to end on one engine: the devserver, the product's worker
 * (real activities, local provider) in its own process, the cluster entity driven through its
 * Updates. One cluster carries the whole sequence (deploy, add node, promote under a writer,
 * resync, backup, restore in place, restore into a new cluster, migration, allowlist, remove node,
 * delete); data is written and read as an ordinary client through the cluster endpoint, and checked
 * on every node. Each operation's wall time is printed at the end.
 */
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readStateFile } from '../../vm/local/state-store';
import {
  addNodeUpdate,
  backupUpdate,
  deleteClusterUpdate,
  migrateUpdate,
  promoteUpdate,
  removeNodeUpdate,
  restoreUpdate,
  resyncUpdate,
  setAllowlistUpdate,
} from '../../workflows/cluster-api';
import {
  configureMigrationUpdate,
  runMigrationUpdate,
  validateMigrationUpdate,
  type MigrationView,
} from '../../workflows/migration';
import type { BackupEntry, ClusterSpec, ClusterView, Credentials, NodeInfo } from '../../workflows/types';
import { ClusterSession } from './e2e-cluster';
import { item, sortItems, type Address, type EngineKit, type Item, type MigrationSource } from './e2e-engine-kit';
import { createE2eEnv, type E2eEnv } from './e2e-env';
import { processesUsing } from './e2e-processes';
import { eventually, Timings } from './e2e-timings';
import { Writer } from './e2e-writer';

const PLAN = { cpu: 1, ramMb: 512, diskGb: 10 };
const MIGRATION_ROWS = 500;
/** Per test: a guard against a hang (an operation on a loaded machine can take minutes), not an expectation. */
const TEST_TIMEOUT_MS = 600_000;

const privateAddress = (node: NodeInfo): Address => ({ host: node.privateHost, port: node.privatePort });
const publicAddress = (node: NodeInfo): Address => ({ host: node.host, port: node.port });

function primaryOf(view: ClusterView): NodeInfo {
  const primary = view.nodes.find((n) => n.role === 'primary');
  if (!primary) throw new Error(`cluster ${view.spec.name} has no primary`);
  return primary;
}

/** Resolves with the connection error code, or 'connected' when something still listens. */
function connectOutcome(address: Address): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(address.port, address.host);
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

export function describeEngineScenario(kit: EngineKit, cluster: string): void {
  describe(`${kit.engine}: every operation end to end`, { timeout: TEST_TIMEOUT_MS }, () => {
    const timings = new Timings(`${kit.engine}: wall time per operation (cluster ${cluster})`);
    let e2e: E2eEnv;
    let session: ClusterSession;
    let credentials: Credentials;
    let view: ClusterView;
    let source: MigrationSource | undefined;
    /** What the cluster holds, as the test expects it. */
    let expected: Item[] = [];
    let nextId = 1;

    const spec: ClusterSpec = {
      name: cluster,
      engine: kit.engine,
      version: kit.version,
      mode: 'primary-replica',
      replicas: 1,
      plan: PLAN,
    };

    /** Waits until every node of `of` holds exactly `items` (replicas may still be applying). */
    async function expectOnEveryNode(of: ClusterView, items: Item[], creds = credentials, read = kit.itemsOn) {
      for (const node of of.nodes) {
        const found = await eventually(`${node.name} holds the expected data`, async () => {
          const held = await read(privateAddress(node), creds);
          return JSON.stringify(held) === JSON.stringify(items) ? held : false;
        }).catch(async () => read(privateAddress(node), creds));
        expect(found, `data on ${node.name}`).toEqual(items);
      }
    }

    async function writeThroughEndpoint(count: number, label: string): Promise<void> {
      const client = await kit.connect(view.endpoint!);
      try {
        const written: Item[] = [];
        for (let i = 0; i < count; i++) {
          const id = nextId++;
          await client.insert(id, `${label} ${id}`);
          written.push(item(id, `${label} ${id}`));
        }
        expected = sortItems([...expected, ...written]);
        expect(await client.items()).toEqual(expected);
      } finally {
        await client.close();
      }
    }

    beforeAll(async () => {
      e2e = await createE2eEnv(kit.engine);
      session = new ClusterSession(e2e.env.client, cluster);
    });

    // Each test continues from the cluster the previous one left: after a failure the rest would only fail confusingly.
    let failed = false;
    beforeEach(({ skip }) => {
      if (failed) skip();
    });
    afterEach(({ task }) => {
      if (task.result?.state === 'fail') failed = true;
    });

    afterAll(async () => {
      try {
        await source?.drop();
      } finally {
        const leftovers = await e2e?.teardown();
        console.log(timings.table());
        if (leftovers?.length) console.error(`left running (reaped): ${leftovers.join(', ')}`);
      }
    });

    it('deploys a primary-replica cluster and takes writes through its endpoint', async () => {
      const deployed = await session.create(spec);
      timings.record('deploy (1 primary + 1 replica)', deployed.ms);
      view = deployed.view;
      expect(view.status).toBe('running');
      expect(view.nodes.map((n) => [n.name, n.role, n.status])).toEqual([
        [`${cluster}1`, 'primary', 'running'],
        [`${cluster}2`, 'replica', 'running'],
      ]);
      expect(view.endpoint).toBeDefined();
      credentials = await session.credentials();
      await kit.prepare(privateAddress(primaryOf(view)), credentials);
      await writeThroughEndpoint(20, 'before anything');
      await expectOnEveryNode(view, expected);
      await e2e.processes.snapshot();
    });

    it('adds a node, seeded from the primary and replicating', async () => {
      const added = await session.run(addNodeUpdate, { actor: 'e2e' });
      timings.record('add node', added.ms);
      view = added.view;
      expect(view.nodes.map((n) => [n.name, n.role])).toEqual([
        [`${cluster}1`, 'primary'],
        [`${cluster}2`, 'replica'],
        [`${cluster}3`, 'replica'],
      ]);
      await writeThroughEndpoint(5, 'after add node');
      await expectOnEveryNode(view, expected);
      await e2e.processes.snapshot();
    });

    it('promotes a replica under a writer: no acknowledged write lost, endpoint moved, post-promote backup', async () => {
      const target = `${cluster}2`;
      const writer = new Writer(kit, view.endpoint!, 100_000);
      writer.start();
      try {
        await writer.acknowledgedMore(10);
        const promoted = await session.run(promoteUpdate, { actor: 'e2e', node: target, confirm: target });
        timings.record('promote', promoted.ms);
        view = promoted.view;
        // Writes are acknowledged again, through the same endpoint address.
        await writer.acknowledgedMore(10);
      } finally {
        await writer.stop();
      }
      timings.record('promote: longest gap between acknowledged writes', writer.longestGapMs);
      expect(primaryOf(view).name).toBe(target);
      expect(view.nodes.filter((n) => n.role === 'replica').map((n) => n.name)).toEqual([`${cluster}1`, `${cluster}3`]);
      const newPrimary = primaryOf(view);
      const endpoint = (await readStateFile(e2e.vmDir)).endpoints[cluster];
      expect(endpoint.target).toEqual(publicAddress(newPrimary));
      expect(endpoint.forwardsTo).toEqual(privateAddress(newPrimary));

      const acknowledged = writer.acknowledged.map((id) => item(id, `written during promote ${id}`));
      const onPrimary = await kit.itemsOn(privateAddress(newPrimary), credentials);
      expect(acknowledged.filter((i) => !onPrimary.includes(i))).toEqual([]);
      expect(onPrimary.filter((i) => !expected.includes(i) && !acknowledged.includes(i)).length).toBeLessThanOrEqual(
        writer.failed,
      );
      // Writes whose outcome the client never learned may have landed: the primary is the truth now.
      expected = onPrimary;
      await expectOnEveryNode(view, expected);

      const backup = view.backups.find((b) => b.kind === 'post-promote');
      expect(backup).toMatchObject({ status: 'completed', sourceNode: target });
      expect(backup!.sizeBytes).toBeGreaterThan(0);
      await e2e.processes.snapshot();
    });

    it('resyncs every replica from a fresh backup of the primary', async () => {
      const resynced = await session.run(resyncUpdate, { actor: 'e2e' });
      timings.record('resync (2 replicas)', resynced.ms);
      view = resynced.view;
      expect(view.nodes.every((n) => n.status === 'running')).toBe(true);
      await writeThroughEndpoint(5, 'after resync');
      await expectOnEveryNode(view, expected);
      await e2e.processes.snapshot();
    });

    let backup: BackupEntry;
    let backedUp: Item[];

    it('backs up and restores in place: every node holds exactly the backup', async () => {
      backedUp = expected;
      const backedUpRun = await session.run(backupUpdate, { actor: 'e2e', label: 'before restore' });
      timings.record('backup', backedUpRun.ms);
      backup = backedUpRun.view.backups.find((b) => b.label === 'before restore')!;
      expect(backup).toMatchObject({ kind: 'manual', status: 'completed', sourceNode: `${cluster}2` });

      await writeThroughEndpoint(7, 'after the backup');
      expect(expected).not.toEqual(backedUp);

      const restored = await session.run(restoreUpdate, { actor: 'e2e', backupId: backup.id });
      timings.record('restore in place (3 nodes)', restored.ms);
      view = restored.view;
      expected = backedUp;
      await expectOnEveryNode(view, expected);
      await writeThroughEndpoint(3, 'after restore');
      await expectOnEveryNode(view, expected);
      await e2e.processes.snapshot();
    });

    it('restores a backup into a new cluster, leaving the source untouched', async () => {
      const copyName = `${cluster}-copy`;
      const copy = new ClusterSession(e2e.env.client, copyName);
      const created = await copy.create(
        { ...spec, name: copyName, mode: 'single', replicas: 0 },
        { restoreFrom: { cluster, backup } },
      );
      timings.record('restore into a new cluster (deploy, single node)', created.ms);
      const copyView = created.view;
      const copyPrimary = primaryOf(copyView);
      expect(await kit.itemsOn(privateAddress(copyPrimary), await copy.credentials())).toEqual(backedUp);
      expect(await kit.itemsOn(privateAddress(primaryOf(view)), credentials)).toEqual(expected);

      const copyProcesses = await e2e.processes.of([copyPrimary.name], copyName);
      expect(copyProcesses.length).toBeGreaterThan(0);
      const deleted = await copy.run(deleteClusterUpdate, { actor: 'e2e', confirm: copyName, skipFinalBackup: true });
      timings.record('delete (single node, no final backup)', deleted.ms);
      expect(await e2e.processes.alive(copyProcesses)).toEqual([]);
    });

    it('migrates an external database through configure, validate and migrate', async () => {
      source = await kit.createSource(MIGRATION_ROWS);
      const started = Date.now();
      const ref = await session.start(migrateUpdate, { actor: 'e2e' });
      const migration = e2e.env.client.workflow.getHandle(ref.id);
      const configured: MigrationView = await migration.executeUpdate(configureMigrationUpdate, {
        args: [{ source: source.source }],
      });
      expect(configured.step).toBe('validate');
      const validated: MigrationView = await migration.executeUpdate(validateMigrationUpdate);
      expect(validated.report?.blockers).toEqual([]);
      expect(validated.step).toBe('migrate');
      await migration.executeUpdate(runMigrationUpdate);
      const migrated = await session.finished(ref.id, started);
      timings.record('migrate (configure + validate + migrate)', migrated.ms);
      view = migrated.view;
      expect(view.backups.find((b) => b.kind === 'pre-migration')).toMatchObject({ status: 'completed' });
      await expectOnEveryNode(view, source.items, credentials, source.itemsOn);
      // The cluster's own data is still there, and clients are admitted again.
      await writeThroughEndpoint(2, 'after migration');
      await expectOnEveryNode(view, expected);
      const dropped = source;
      source = undefined;
      await dropped.drop();
    });

    it('applies an allowlist to the endpoint and every node, and opens the cluster when cleared', async () => {
      const set = await session.run(setAllowlistUpdate, { actor: 'e2e', allowlist: ['127.0.0.3/32'] });
      timings.record('allowlist set', set.ms);
      view = set.view;
      expect(view.allowlist).toEqual(['127.0.0.3/32']);
      expect(await kit.admits(view.endpoint!, '127.0.0.2')).toBe(false);
      expect(await kit.admits(view.endpoint!, '127.0.0.3')).toBe(true);
      for (const node of view.nodes) {
        expect(await kit.admits(publicAddress(node), '127.0.0.2'), node.name).toBe(false);
      }
      expect(await kit.admits(publicAddress(primaryOf(view)), '127.0.0.3')).toBe(true);

      const cleared = await session.run(setAllowlistUpdate, { actor: 'e2e', allowlist: [] });
      timings.record('allowlist cleared', cleared.ms);
      view = cleared.view;
      expect(view.allowlist).toEqual([]);
      expect(await kit.admits(view.endpoint!, '127.0.0.2')).toBe(true);
      expect(await kit.admits(publicAddress(primaryOf(view)), '127.0.0.2')).toBe(true);
    });

    it('removes a replica: its processes end and its resources are released', async () => {
      const removed = `${cluster}3`;
      const itsProcesses = await e2e.processes.of([removed]);
      expect(itsProcesses.length).toBeGreaterThan(0);
      const result = await session.run(removeNodeUpdate, { actor: 'e2e', node: removed, confirm: removed });
      timings.record('remove node', result.ms);
      view = result.view;
      expect(view.nodes.map((n) => n.name)).toEqual([`${cluster}1`, `${cluster}2`]);
      expect(await e2e.processes.alive(itsProcesses)).toEqual([]);
      const state = await readStateFile(e2e.vmDir);
      expect(state.nodes[removed]).toBeUndefined();
      expect(Object.values(state.ports).filter((owner) => owner.startsWith(`node:${removed}:`))).toEqual([]);
      await writeThroughEndpoint(2, 'after remove node');
      await expectOnEveryNode(view, expected);
    });

    it('deletes the cluster: every node process and the endpoint are gone', async () => {
      const endpoint = view.endpoint!;
      const itsProcesses = await e2e.processes.of(
        view.nodes.map((n) => n.name),
        cluster,
      );
      const deleted = await session.run(deleteClusterUpdate, { actor: 'e2e', confirm: cluster });
      timings.record('delete (2 nodes, with final backup)', deleted.ms);
      expect(deleted.view.status).toBe('deleted');
      expect(deleted.view.backups.map((b) => b.kind)).toEqual(['pre-delete']);
      expect(await e2e.processes.alive(itsProcesses)).toEqual([]);
      const state = await readStateFile(e2e.vmDir);
      expect(state.nodes).toEqual({});
      expect(state.endpoints).toEqual({});
      expect(state.processes).toEqual({});
      expect(await connectOutcome(endpoint)).toBe('ECONNREFUSED');
      expect((await session.handle.result()) as ClusterView).toMatchObject({ status: 'deleted' });
    });

    it('leaves no process behind: every process the provider ever recorded is dead', async () => {
      expect(e2e.processes.count()).toBeGreaterThan(0);
      expect(await e2e.processes.alive()).toEqual([]);
      // Nor anything else working in the test's directory (the worker itself names it in its arguments).
      expect(processesUsing(e2e.root, [e2e.worker!.pid])).toEqual([]);
    });
  });
}
