/**
 * The cluster model (SPEC §2) and the inputs and results of every operation, shared by workflows,
 * activities and the API. Plain data only: this file is imported by deterministic workflow code.
 */

export const ENGINES = ['mysql', 'postgresql', 'redis', 'keydb', 'valkey', 'timescaledb', 'hydra'] as const;
export type Engine = (typeof ENGINES)[number];

export const CLUSTER_MODES = ['single', 'primary-replica', 'multi-master'] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

/** Engines that can run two primaries replicating to each other. */
export const MULTI_MASTER_ENGINES: readonly Engine[] = ['mysql', 'keydb'];

export type NodeRole = 'primary' | 'replica';
export type NodeStatus = 'provisioning' | 'running' | 'stopped' | 'resetting' | 'failed';
export type SupportLevel = 1 | 2 | 3;

/** Automated-backup retention per support level (SPEC §2). */
export const RETENTION_DAYS: Record<SupportLevel, number> = { 1: 7, 2: 14, 3: 30 };

/** The final backup of a deleted cluster is kept this long. */
export const PRE_DELETE_RETENTION_DAYS = 15;

export interface NodePlan {
  cpu: number;
  ramMb: number;
  diskGb: number;
}

export interface NodeInfo {
  /** `<cluster><number>`, e.g. `orders2`. */
  name: string;
  number: number;
  role: NodeRole;
  status: NodeStatus;
  plan: NodePlan;
  /** Public address clients use (the node firewall). */
  host: string;
  port: number;
  /** Where the engine itself listens (for replication and the orchestrator). */
  privateHost: string;
  privatePort: number;
  dataDir: string;
  createdAt: string;
}

/**
 * The cluster's engine users. Admin and replication stay inside the product; the owner is what
 * `GET …/credentials` hands out. Clusters created before owners existed carry no owner fields until
 * their upgrade creates the owner (`ensureOwner`).
 */
export interface Credentials {
  adminUser: string;
  adminPassword: string;
  replicationUser: string;
  replicationPassword: string;
  ownerUser?: string;
  ownerPassword?: string;
}

export type BackupKind = 'manual' | 'scheduled' | 'post-promote' | 'pre-delete' | 'pre-migration';
export type BackupStatus = 'running' | 'completed' | 'defunct';

export interface BackupEntry {
  id: string;
  label: string;
  kind: BackupKind;
  scheduleId?: string;
  status: BackupStatus;
  startedAt: string;
  finishedAt?: string;
  sizeBytes?: number;
  sha256?: string;
  engine: Engine;
  sourceNode: string;
  /** Store key and human-readable location. */
  key: string;
  location?: string;
  /** Engine position the backup is consistent with. */
  position?: string;
  expiresAt?: string;
  /** Why a defunct backup failed. */
  error?: string;
}

export interface BackupSchedule {
  id: string;
  /** `daily` is the default schedule every cluster gets; users add their own. */
  kind: 'default' | 'user';
  /** Every N minutes (at least 60), or a cron expression. */
  intervalMinutes?: number;
  cron?: string;
  /** User schedules: how many of its backups to keep. */
  keep?: number;
  paused: boolean;
  createdAt: string;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: 'started' | 'succeeded' | 'failed' | 'refused' | 'changed';
  detail?: string;
}

export interface NotificationSettings {
  webhookUrl?: string;
  emails?: string[];
}

export interface ClusterSettings {
  supportLevel: SupportLevel;
  terminationProtection: boolean;
  autoFailover: boolean;
  /** Consecutive failed health checks before auto-failover promotes a replica. */
  failoverThreshold: number;
  /** Seconds between health checks of the primary. */
  healthCheckIntervalSeconds: number;
  /** A replica further behind than this is never promoted automatically (bytes of log). */
  maxFailoverLagBytes: number;
  /** Replicas lagging more than this are refused as promotion targets (seconds). */
  maxPromotionLagSeconds: number;
  notifications: NotificationSettings;
}

export const DEFAULT_SETTINGS: ClusterSettings = {
  supportLevel: 1,
  terminationProtection: false,
  autoFailover: true,
  failoverThreshold: 3,
  healthCheckIntervalSeconds: 30,
  maxFailoverLagBytes: 16 * 1024 * 1024,
  maxPromotionLagSeconds: 30,
  notifications: {},
};

export interface ClusterSpec {
  name: string;
  engine: Engine;
  version: string;
  mode: ClusterMode;
  /** Replicas for primary-replica (≥ 1); ignored otherwise. */
  replicas: number;
  plan: NodePlan;
}

export interface Endpoint {
  host: string;
  port: number;
}

export type OperationType =
  | 'deploy'
  | 'add-node'
  | 'remove-node'
  | 'promote'
  | 'resync'
  | 'backup'
  | 'restore'
  | 'migration'
  | 'allowlist'
  | 'delete';

export interface OperationRef {
  type: OperationType;
  /** Workflow id of the operation's child workflow: `cluster:<name>:<type>:<n>`. */
  id: string;
  startedAt: string;
  actor: string;
}

export interface OperationRecord extends OperationRef {
  finishedAt?: string;
  outcome?: 'succeeded' | 'failed';
  error?: string;
}

/** What the entity workflow knows about its cluster. `credentials` never leaves it through a query. */
export interface ClusterState {
  spec: ClusterSpec;
  status: 'deploying' | 'running' | 'failed' | 'deleting' | 'deleted';
  createdAt: string;
  nodes: NodeInfo[];
  /** Next node number; numbers are never reused. */
  nextNodeNumber: number;
  endpoint?: Endpoint;
  allowlist: string[];
  settings: ClusterSettings;
  backups: BackupEntry[];
  schedules: BackupSchedule[];
  audit: AuditEntry[];
  operation?: OperationRef;
  /** Recent finished operations, newest last. */
  history: OperationRecord[];
  /** Counts operations per type, for child workflow ids. */
  operationCounter: number;
}

/** The public view of a cluster (state without secrets). */
export type ClusterView = ClusterState;

export interface OperationProgress {
  operationId: string;
  type: OperationType;
  step: string;
  stepsDone: number;
  stepsTotal: number;
  /** Percent of the current step when known (long copies). */
  percent?: number;
  /** Log lines (migrations keep theirs queryable). */
  log?: string[];
}

/** Where a restore into a new cluster takes its data from. */
export interface RestoreSource {
  cluster: string;
  backup: BackupEntry;
}

export interface ExternalSourceInput {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}
