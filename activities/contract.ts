/**
 * The activities workflows may call, and their input/output types. Workflows import this file as
 * types only (`proxyActivities<ClusterActivities>`); `activities/index.ts` implements it from
 * injected dependencies. Every activity is idempotent: a retried or replayed call does no harm.
 */
import type {
  AuditEntry,
  BackupEntry,
  BackupSchedule,
  Credentials,
  Endpoint,
  Engine,
  ExternalSourceInput,
  NodeInfo,
  NodePlan,
} from '../workflows/types';

/** Everything an activity needs to reach one node's engine. */
export interface NodeTarget {
  cluster: string;
  engine: Engine;
  version: string;
  node: Pick<NodeInfo, 'name' | 'number' | 'privateHost' | 'privatePort' | 'dataDir'>;
  credentials: Credentials;
}

export interface ProvisionedNodeInfo {
  host: string;
  port: number;
  privateHost: string;
  privatePort: number;
  dataDir: string;
}

export interface NodeHealthReport {
  node: string;
  up: boolean;
  role: 'primary' | 'replica' | 'unknown';
  readOnly: boolean;
  /** host:port of the node it replicates from, for replicas. */
  replicatingFrom?: string;
  replicationState?: 'streaming' | 'connecting' | 'stopped' | 'error';
  lagBytes: number | null;
  lagSeconds: number | null;
  position?: string;
  error?: string;
}

export interface BackupResult {
  key: string;
  location: string;
  sizeBytes: number;
  sha256: string;
  position?: string;
}

export interface SourceCheckReport {
  version: string;
  sizeBytes: number;
  blockers: string[];
  warnings: string[];
}

export interface CopyResult {
  copied: number;
  unit: 'rows' | 'keys' | 'bytes';
  durationMs: number;
}

export interface NotificationEvent {
  cluster: string;
  operation: string;
  operationId: string;
  outcome: 'succeeded' | 'failed';
  detail: string;
  at: string;
  webhookUrl?: string;
  emails?: string[];
}

/** A schedule as the activities create it in Temporal (Schedules start `scheduledBackupWorkflow`). */
export interface ScheduleRequest {
  cluster: string;
  schedule: BackupSchedule;
  taskQueue: string;
}

export interface ClusterActivities {
  checkEngineAvailable(engine: Engine, version: string): Promise<void>;

  // VM provider
  /**
   * Provisions a node whose firewall starts with `allowlist` (the cluster's); without one it admits
   * nobody until `applyAllowlist`.
   */
  provisionNode(request: {
    cluster: string;
    node: string;
    plan: NodePlan;
    allowlist?: string[];
  }): Promise<ProvisionedNodeInfo>;
  deprovisionNode(node: string): Promise<void>;
  applyAllowlist(nodes: string[], allowlist: string[]): Promise<void>;
  /**
   * Cuts the node off from every client at its firewall and at the cluster endpoint when it points
   * there (deny all, whatever the allowlist), closing open client connections; it holds across
   * restarts of the engine, the firewall and the worker. Replication and the product's own sessions
   * are not affected. Idempotent.
   */
  isolateNode(node: string): Promise<void>;
  /** Lifts `isolateNode`: the node's allowlist applies again. Idempotent. */
  reconnectNode(node: string): Promise<void>;
  pointEndpoint(cluster: string, target: Pick<NodeInfo, 'host' | 'port'>): Promise<Endpoint>;
  removeEndpoint(cluster: string): Promise<void>;
  freeDiskBytes(node: string): Promise<number>;

  // Engines
  initialiseNode(target: NodeTarget): Promise<void>;
  startNode(target: NodeTarget): Promise<void>;
  stopNode(target: NodeTarget): Promise<void>;
  nodeHealth(target: NodeTarget): Promise<NodeHealthReport>;
  /** Makes the node a writable primary; also creates or updates the owner when the credentials name one. */
  configurePrimary(target: NodeTarget): Promise<void>;
  /**
   * Makes the cluster's owner (`target.credentials.ownerUser` / `ownerPassword`) exist with the owner's
   * privileges and that password, leaving its open sessions alone. Call it for every node, primary
   * first (PostgreSQL replicas take it from the primary and return unchanged; MySQL and Redis nodes
   * each get it). Idempotent; UnsupportedOperationError when the credentials name no owner.
   */
  ensureOwner(target: NodeTarget): Promise<void>;
  configureReplica(target: NodeTarget, primary: NodeTarget): Promise<void>;
  configureMultiMaster(a: NodeTarget, b: NodeTarget): Promise<void>;
  fenceNode(target: NodeTarget): Promise<string>;
  waitForPosition(target: NodeTarget, position: string, timeoutMs: number): Promise<void>;
  promoteNode(target: NodeTarget): Promise<void>;
  eraseNode(target: NodeTarget): Promise<void>;
  /** Releases what a removed replica held on the primary (PostgreSQL replication slot); no-op elsewhere. */
  forgetReplica(primary: NodeTarget, replicaName: string): Promise<void>;
  takeBackup(target: NodeTarget, key: string): Promise<BackupResult>;
  restoreBackup(
    target: NodeTarget,
    backup: Pick<BackupEntry, 'key' | 'sizeBytes' | 'sha256' | 'position'>,
  ): Promise<void>;
  /**
   * Reads the whole stored backup and checks it against the recorded size and checksum, touching no
   * node (BackupChecksumError when missing, altered or incomplete). Restores call it before stopping anything.
   */
  verifyBackup(backup: Pick<BackupEntry, 'key' | 'sizeBytes' | 'sha256'>): Promise<void>;
  deleteBackup(key: string): Promise<void>;
  checkSource(engine: Engine, version: string, source: ExternalSourceInput): Promise<SourceCheckReport>;
  copyFromSource(target: NodeTarget, source: ExternalSourceInput): Promise<CopyResult>;

  // Temporal Schedules for backups
  upsertBackupSchedule(request: ScheduleRequest): Promise<void>;
  deleteBackupSchedule(cluster: string, scheduleId: string): Promise<void>;
  triggerBackupSchedule(cluster: string, scheduleId: string): Promise<void>;

  // Notifications and audit
  notify(event: NotificationEvent): Promise<void>;
  recordAudit(cluster: string, entries: AuditEntry[]): Promise<void>;
}
