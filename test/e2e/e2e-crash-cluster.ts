/**
 * One crash test's world: its own devserver, worker process and data directory, with a deployed
 * PostgreSQL cluster (primary + replica) holding some rows written through the endpoint. Crash tests
 * run concurrently, each on its own, because most of their time is spent waiting for the server to
 * time out the activity the killed worker was running.
 */
import type { ExpectStatic } from 'vitest';
import { deleteClusterUpdate } from '../../workflows/cluster-api';
import type { ClusterView, Credentials, NodeInfo, OperationRef } from '../../workflows/types';
import { ClusterSession, type Finished } from './e2e-cluster';
import { item, sortItems, type Address, type Item } from './e2e-engine-kit';
import { createE2eEnv, type E2eEnv } from './e2e-env';
import { postgresKit as kit } from './e2e-kit-postgresql';
import { processesUsing } from './e2e-processes';
import { eventually, type Timings } from './e2e-timings';

export const privateAddress = (node: NodeInfo): Address => ({ host: node.privateHost, port: node.privatePort });
export const primaryOf = (view: ClusterView) => view.nodes.find((n) => n.role === 'primary')!;

export class CrashCluster {
  view!: ClusterView;
  credentials!: Credentials;
  /** What the cluster holds, as the test expects it. */
  expected: Item[] = [];
  private nextId = 1;

  private constructor(
    readonly e2e: E2eEnv,
    readonly session: ClusterSession,
    private readonly timings: Timings,
  ) {}

  static async deploy(name: string, timings: Timings): Promise<CrashCluster> {
    const e2e = await createE2eEnv(`crash-${name}`);
    const cluster = new CrashCluster(e2e, new ClusterSession(e2e.env.client, name), timings);
    try {
      const deployed = await cluster.session.create({
        name,
        engine: kit.engine,
        version: kit.version,
        mode: 'primary-replica',
        replicas: 1,
        plan: { cpu: 1, ramMb: 512, diskGb: 10 },
      });
      cluster.view = deployed.view;
      cluster.credentials = await cluster.session.credentials();
      await kit.prepare(privateAddress(primaryOf(cluster.view)), cluster.credentials);
      await cluster.write(20, 'before the crash');
      await e2e.processes.snapshot();
    } catch (err) {
      await cluster.teardown();
      throw err;
    }
    return cluster;
  }

  async write(count: number, label: string): Promise<void> {
    const client = await kit.connect(this.view.endpoint!);
    try {
      const written: Item[] = [];
      for (let i = 0; i < count; i++) {
        const id = this.nextId++;
        await client.insert(id, `${label} ${id}`);
        written.push(item(id, `${label} ${id}`));
      }
      this.expected = sortItems([...this.expected, ...written]);
    } finally {
      await client.close();
    }
  }

  /** Waits until every node holds exactly `items` (a replica may still be applying), then checks. */
  async expectOnEveryNode(expect: ExpectStatic, items: Item[], read = kit.itemsOn): Promise<void> {
    for (const node of this.view.nodes) {
      const held = await eventually(`${node.name} holds the expected data`, async () => {
        const found = await read(privateAddress(node), this.credentials);
        return JSON.stringify(found) === JSON.stringify(items) ? found : false;
      }).catch(() => read(privateAddress(node), this.credentials));
      expect(held.length, `rows on ${node.name}`).toBe(items.length);
      expect(held, `data on ${node.name}`).toEqual(items);
    }
  }

  /**
   * Waits for `moment`, SIGKILLs the worker, starts a new one and waits for the operation to end.
   * Records the wall time with the activity the server had running when the worker died.
   */
  async killAndRecover(ref: OperationRef, started: number, moment: () => Promise<void>): Promise<Finished> {
    await moment();
    const killed = this.e2e.worker!;
    await killed.kill();
    const { raw } = await this.e2e.env.client.workflow.getHandle(ref.id).describe();
    const running = (raw.pendingActivities ?? []).map((a) => a.activityType?.name).join(', ') || 'none';
    await this.e2e.startWorker();
    const finished = await this.session.finished(ref.id, started);
    this.timings.record(`${ref.type} (worker killed during ${running})`, finished.ms);
    this.view = finished.view;
    return finished;
  }

  /** Deletes the cluster and checks that nothing it ran is left, on the machine or in the provider. */
  async deleteAndCheck(expect: ExpectStatic): Promise<void> {
    const name = this.session.name;
    const deleted = await this.session.run(deleteClusterUpdate, { actor: 'e2e', confirm: name, skipFinalBackup: true });
    expect(deleted.view.status).toBe('deleted');
    expect(this.e2e.processes.count()).toBeGreaterThan(0);
    expect(await this.e2e.processes.alive()).toEqual([]);
    expect(processesUsing(this.e2e.root, [this.e2e.worker!.pid])).toEqual([]);
  }

  async teardown(): Promise<void> {
    const leftovers = await this.e2e.teardown();
    if (leftovers.length) console.error(`left running (reaped): ${leftovers.join(', ')}`);
  }
}
