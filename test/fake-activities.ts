/**
 * Activities for workflow unit tests: an in-memory model of nodes, replication and the backup
 * store, so workflow logic can be tested under time skipping. Only the workflow is under test
 * here; the real activities are tested against real engines elsewhere. Schedules are real: they go
 * to the Temporal server the test runs on.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type {
  BackupResult,
  ClusterActivities,
  NodeHealthReport,
  NodeTarget,
  NotificationEvent,
  ScheduleRequest,
} from '../activities/contract';
import type { AuditEntry } from '../workflows/types';

export interface FakeNode {
  name: string;
  up: boolean;
  role: 'primary' | 'replica';
  fenced: boolean;
  /** host:port of its primary, when a replica. */
  replicatingFrom?: string;
  /** Rows the node holds. */
  data: string[];
  lagBytes: number;
  lagSeconds: number;
  privatePort: number;
}

/** Something a test wants an activity to do instead of its normal behaviour. */
type Override = (...args: unknown[]) => Promise<unknown>;

export class FakeInfra {
  readonly nodes = new Map<string, FakeNode>();
  readonly backups = new Map<string, string[]>();
  readonly notifications: NotificationEvent[] = [];
  readonly audit: AuditEntry[] = [];
  readonly calls: { name: string; args: unknown[] }[] = [];
  readonly endpoints = new Map<string, string>();
  readonly allowlists = new Map<string, string[]>();
  /** Nodes cut off from every client (`isolateNode`). */
  readonly isolated = new Set<string>();
  private readonly overrides = new Map<string, Override[]>();
  private nextPort = 30000;
  /** Source database contents for migrations, by host:port. */
  readonly sources = new Map<string, { rows: string[]; password: string; blockers?: string[] }>();

  constructor(private readonly client?: Client) {}

  /** The next call of `activity` runs `override` instead (queued per call). */
  once(activity: keyof ClusterActivities, override: Override): void {
    const queue = this.overrides.get(activity) ?? [];
    queue.push(override);
    this.overrides.set(activity, queue);
  }

  /** A client write on `node`, replicated at once to every node following it. */
  write(node: string, row: string): void {
    const origin = this.node(node);
    origin.data.push(row);
    const address = `127.0.0.1:${origin.privatePort}`;
    for (const other of this.nodes.values()) {
      if (other !== origin && other.role === 'replica' && other.replicatingFrom === address)
        this.write(other.name, row);
    }
  }

  node(name: string): FakeNode {
    const node = this.nodes.get(name);
    if (!node)
      throw ApplicationFailure.create({
        type: 'UnknownNodeError',
        message: `node ${name} is not provisioned`,
        nonRetryable: true,
      });
    return node;
  }

  private nodeOf(target: NodeTarget): FakeNode {
    return this.node(target.node.name);
  }

  activities(): ClusterActivities {
    const impl: ClusterActivities = {
      checkEngineAvailable: async (engine) => {
        if (engine === 'keydb' || engine === 'valkey') {
          throw ApplicationFailure.create({
            type: 'EngineUnavailableError',
            message: `${engine}-server is not installed`,
            nonRetryable: true,
          });
        }
      },
      provisionNode: async ({ node }) => {
        const existing = this.nodes.get(node);
        const privatePort = existing?.privatePort ?? this.nextPort++;
        if (!existing) {
          this.nodes.set(node, {
            name: node,
            up: false,
            role: 'primary',
            fenced: false,
            data: [],
            lagBytes: 0,
            lagSeconds: 0,
            privatePort,
          });
        }
        return {
          host: '127.0.0.1',
          port: privatePort + 10000,
          privateHost: '127.0.0.1',
          privatePort,
          dataDir: `/fake/${node}`,
        };
      },
      isolateNode: async (node) => void this.isolated.add(node),
      reconnectNode: async (node) => void this.isolated.delete(node),
      deprovisionNode: async (node) => {
        this.nodes.delete(node);
      },
      applyAllowlist: async (nodes, allowlist) => {
        for (const node of nodes) this.allowlists.set(node, allowlist);
      },
      pointEndpoint: async (cluster, target) => {
        this.endpoints.set(cluster, `${target.host}:${target.port}`);
        return { host: '127.0.0.1', port: 40000 };
      },
      removeEndpoint: async (cluster) => {
        this.endpoints.delete(cluster);
      },
      freeDiskBytes: async () => 10 * 1024 ** 3,
      initialiseNode: async (target) => void this.nodeOf(target),
      startNode: async (target) => {
        this.nodeOf(target).up = true;
      },
      stopNode: async (target) => {
        const node = this.nodes.get(target.node.name);
        if (node) node.up = false;
      },
      nodeHealth: async (target): Promise<NodeHealthReport> => {
        const node = this.nodes.get(target.node.name);
        if (!node?.up)
          return {
            node: target.node.name,
            up: false,
            role: 'unknown',
            readOnly: true,
            lagBytes: null,
            lagSeconds: null,
            error: 'connection refused',
          };
        return {
          node: node.name,
          up: true,
          role: node.role,
          readOnly: node.role === 'replica' || node.fenced,
          replicatingFrom: node.replicatingFrom,
          replicationState: node.role === 'replica' ? 'streaming' : undefined,
          lagBytes: node.role === 'replica' ? node.lagBytes : 0,
          lagSeconds: node.role === 'replica' ? node.lagSeconds : 0,
          position: String(node.data.length),
        };
      },
      configurePrimary: async (target) => {
        const node = this.nodeOf(target);
        Object.assign(node, { role: 'primary', fenced: false, replicatingFrom: undefined, up: true });
      },
      ensureOwner: async (target) => void this.nodeOf(target),
      configureReplica: async (target, primary) => {
        const node = this.nodeOf(target);
        const source = this.nodeOf(primary);
        Object.assign(node, {
          role: 'replica',
          fenced: false,
          replicatingFrom: `${primary.node.privateHost}:${primary.node.privatePort}`,
          up: true,
        });
        node.data = [...source.data];
      },
      configureMultiMaster: async (a, b) => {
        this.nodeOf(a).replicatingFrom = `${b.node.privateHost}:${b.node.privatePort}`;
        this.nodeOf(b).replicatingFrom = `${a.node.privateHost}:${a.node.privatePort}`;
      },
      fenceNode: async (target) => {
        const node = this.nodeOf(target);
        if (!node.up) throw ApplicationFailure.create({ type: 'NodeNotReadyError', message: `${node.name} is down` });
        node.fenced = true;
        return String(node.data.length);
      },
      waitForPosition: async () => undefined,
      promoteNode: async (target) => {
        Object.assign(this.nodeOf(target), { role: 'primary', fenced: false, replicatingFrom: undefined });
      },
      eraseNode: async (target) => {
        this.nodeOf(target).data = [];
      },
      forgetReplica: async () => undefined,
      takeBackup: async (target, key): Promise<BackupResult> => {
        const node = this.nodeOf(target);
        this.backups.set(key, [...node.data]);
        return {
          key,
          location: `/fake-backups/${key}`,
          sizeBytes: 100 + node.data.length,
          sha256: 'f'.repeat(64),
          position: String(node.data.length),
        };
      },
      restoreBackup: async (target, backup) => {
        const data = this.backups.get(backup.key);
        if (!data)
          throw ApplicationFailure.create({
            type: 'BackupChecksumError',
            message: `backup ${backup.key} is missing`,
            nonRetryable: true,
          });
        const node = this.nodeOf(target);
        node.data = [...data];
        node.up = true;
      },
      verifyBackup: async (backup) => {
        if (!this.backups.has(backup.key))
          throw ApplicationFailure.create({
            type: 'BackupChecksumError',
            message: `backup ${backup.key} is missing`,
            nonRetryable: true,
          });
      },
      deleteBackup: async (key) => {
        this.backups.delete(key);
      },
      checkSource: async (_engine, _version, source) => {
        const found = this.sources.get(`${source.host}:${source.port}`);
        if (!found)
          throw ApplicationFailure.create({
            type: 'SourceUnreachableError',
            message: `${source.host}:${source.port} did not answer`,
            nonRetryable: true,
          });
        if (found.password !== source.password) {
          throw ApplicationFailure.create({
            type: 'BadCredentialsError',
            message: `authentication failed for user ${source.user}`,
            nonRetryable: true,
          });
        }
        return { version: '15.4', sizeBytes: found.rows.length * 10, blockers: found.blockers ?? [], warnings: [] };
      },
      copyFromSource: async (target, source) => {
        const found = this.sources.get(`${source.host}:${source.port}`)!;
        this.nodeOf(target).data = [...found.rows];
        return { copied: found.rows.length, unit: 'rows', durationMs: 1 };
      },
      upsertBackupSchedule: (request) => this.upsertSchedule(request),
      deleteBackupSchedule: async (cluster, scheduleId) => {
        await this.client?.schedule
          .getHandle(`backup:${cluster}:${scheduleId}`)
          .delete()
          .catch(() => undefined);
      },
      triggerBackupSchedule: async (cluster, scheduleId) => {
        await this.client?.schedule.getHandle(`backup:${cluster}:${scheduleId}`).trigger();
      },
      notify: async (event) => {
        this.notifications.push(event);
      },
      recordAudit: async (_cluster, entries) => {
        this.audit.push(...entries);
      },
    };
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(impl) as [
      keyof ClusterActivities,
      (...args: unknown[]) => Promise<unknown>,
    ][]) {
      wrapped[name] = async (...args: unknown[]) => {
        this.calls.push({ name, args });
        const override = this.overrides.get(name)?.shift();
        if (override) return override(...args);
        return fn(...args);
      };
    }
    return wrapped as unknown as ClusterActivities;
  }

  private async upsertSchedule({ cluster, schedule, taskQueue }: ScheduleRequest): Promise<void> {
    if (!this.client) return;
    const scheduleId = `backup:${cluster}:${schedule.id}`;
    const spec = schedule.intervalMinutes
      ? { intervals: [{ every: `${schedule.intervalMinutes}m` }] }
      : { cronExpressions: [schedule.cron!] };
    const exists = await this.client.schedule
      .getHandle(scheduleId)
      .describe()
      .then(() => true)
      .catch(() => false);
    if (exists) {
      const handle = this.client.schedule.getHandle(scheduleId);
      if (schedule.paused) await handle.pause('paused by the cluster');
      else await handle.unpause('unpaused by the cluster');
      return;
    }
    await this.client.schedule.create({
      scheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: 'scheduledBackupWorkflow',
        taskQueue,
        workflowId: `backup:${cluster}:${schedule.id}`,
        args: [{ cluster, scheduleId: schedule.id }],
      },
      policies: { overlap: 'ALLOW_ALL' },
      state: { paused: schedule.paused },
    });
  }

  /** Heartbeat-free gate an activity override can await, released by the test. */
  static gate(): { wait: () => Promise<void>; open: () => void } {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    return { wait: () => promise, open };
  }
}
