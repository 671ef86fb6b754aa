/**
 * Every request and response shape of the API, declared once with zod: routes validate requests
 * with them and `openapi.ts` turns them into the OpenAPI document. Requests are strict (unknown
 * fields are refused); the shared request rules (`workflows/cluster-rules.ts`) run on top.
 */
import { z } from 'zod';
import { CLUSTER_NAME_PATTERN, MAX_REPLICAS } from '../workflows/cluster-rules';
import { OPERATION_WORKFLOWS } from '../workflows/operation-params';
import { CLUSTER_MODES, ENGINES, type OperationType as OperationTypeName } from '../workflows/types';

/** Named schemas: each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const components = z.registry<{ id: string; description?: string }>();

function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  components.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

// ---- building blocks ----

export const ClusterName = named(
  'ClusterName',
  z
    .string()
    .regex(
      CLUSTER_NAME_PATTERN,
      'must be 3 to 40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen',
    ),
  'DNS label: 3 to 40 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen.',
);
export const NodeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9][0-9]*$/, 'must be a node name like orders2')
  .max(50);
const ResourceId = (what: string) =>
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, `must be a ${what} id (letters, digits, _ and -)`);
export const BackupId = ResourceId('backup');
export const ScheduleId = ResourceId('schedule');
/** Only the operations' own workflows (not the failover monitor or other helpers). */
export const OperationId = z
  .string()
  .regex(
    new RegExp(`^cluster:[a-z][a-z0-9-]{1,38}[a-z0-9]:(${Object.keys(OPERATION_WORKFLOWS).join('|')}):[0-9]{1,9}$`),
    'must be an operation id like cluster:orders:backup:3',
  );
export const Engine = named('Engine', z.enum(ENGINES));
export const ClusterMode = named('ClusterMode', z.enum(CLUSTER_MODES));
export const Version = z
  .string()
  .max(32)
  .regex(/^[0-9][0-9a-z.-]*$/i, 'must be a version string like "15" or "10.11"');

export const NodePlan = named(
  'NodePlan',
  z.strictObject({
    cpu: z.int().min(1).max(256),
    ramMb: z.int().min(128).max(4_194_304),
    diskGb: z.int().min(1).max(1_048_576),
  }),
);

/** Each entry is checked again by the shared rules, which name a malformed entry. */
export const Allowlist = named(
  'Allowlist',
  z.array(z.string().min(1).max(64)).max(1000),
  'IPv4/IPv6 addresses and CIDR ranges; empty = open to all. Entries are normalised (203.0.113.7/24 → 203.0.113.0/24).',
);

export const Notifications = named(
  'NotificationSettings',
  z.strictObject({
    webhookUrl: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')
      .optional(),
    emails: z
      .array(
        z
          .string()
          .max(254)
          .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address'),
      )
      .max(50)
      .optional(),
  }),
);

export const SettingsPatch = named(
  'SettingsPatch',
  z.strictObject({
    supportLevel: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    terminationProtection: z.boolean().optional(),
    autoFailover: z.boolean().optional(),
    failoverThreshold: z.int().min(1).max(1000).optional(),
    healthCheckIntervalSeconds: z.int().min(1).max(86_400).optional(),
    maxFailoverLagBytes: z.int().min(0).optional(),
    maxPromotionLagSeconds: z.int().min(0).optional(),
    notifications: Notifications.optional(),
  }),
);

const Confirm = z.string().max(64);

// ---- requests ----

export const RestoreFrom = z.strictObject({ cluster: ClusterName, backupId: BackupId });

export const CreateClusterRequest = named(
  'CreateClusterRequest',
  z.strictObject({
    name: ClusterName,
    engine: Engine,
    version: Version,
    mode: ClusterMode,
    replicas: z
      .int()
      .min(1)
      .max(MAX_REPLICAS)
      .optional()
      .describe('replicas of a primary-replica cluster (required there)'),
    plan: NodePlan,
    allowlist: Allowlist.optional(),
    settings: SettingsPatch.optional(),
    restoreFrom: RestoreFrom.optional().describe(
      "start the new cluster with this backup's data; the plan's disk must be at least the source's",
    ),
  }),
);

export const RestoreToNewClusterRequest = named(
  'RestoreToNewClusterRequest',
  z.strictObject({
    name: ClusterName,
    mode: ClusterMode.optional().describe("default: the source cluster's"),
    replicas: z.int().min(1).max(MAX_REPLICAS).optional(),
    plan: NodePlan.optional().describe("default: the source cluster's; the disk must be at least the source's"),
    version: Version.optional().describe("default: the source cluster's"),
    allowlist: Allowlist.optional(),
    settings: SettingsPatch.optional(),
  }),
);

export const EmptyBody = z.strictObject({});
export const AddNodeRequest = named('AddNodeRequest', z.strictObject({ plan: NodePlan.optional() }));
export const RemoveNodeRequest = named(
  'RemoveNodeRequest',
  z.strictObject({
    confirm: Confirm.describe("the node's name"),
    allowSinglePrimary: z.boolean().optional(),
  }),
);
export const PromoteRequest = named('PromoteRequest', z.strictObject({ confirm: Confirm.describe("the node's name") }));
export const DeleteClusterRequest = named(
  'DeleteClusterRequest',
  z.strictObject({
    confirm: Confirm.describe("the cluster's name"),
    skipFinalBackup: z.boolean().optional().describe('skip the final backup (kept 15 days otherwise)'),
  }),
);
export const CreateBackupRequest = named(
  'CreateBackupRequest',
  z.strictObject({ label: z.string().max(200).optional() }),
);
export const CreateScheduleRequest = named(
  'CreateScheduleRequest',
  z.strictObject({
    intervalMinutes: z.int().min(60).max(525_600).optional().describe('every N minutes, at least 60'),
    cron: z.string().max(100).optional().describe('5 fields, one fixed minute: "15 */6 * * *"'),
    keep: z.int().min(1).max(100).describe("how many of this schedule's backups to keep"),
  }),
  'Exactly one of intervalMinutes or cron.',
);
export const AllowlistRequest = named('AllowlistRequest', z.strictObject({ allowlist: Allowlist }));
export const MigrationSource = named(
  'MigrationSource',
  z.strictObject({
    host: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be a host name or address'),
    port: z.int().min(1).max(65535),
    user: z.string().min(1).max(128),
    password: z.string().max(1024).describe('never shown again nor logged'),
    database: z.string().max(63).optional(),
  }),
);
export const ConfigureMigrationRequest = named(
  'ConfigureMigrationRequest',
  z.strictObject({ source: MigrationSource }),
);

// ---- path and query parameters ----

export const ClusterParams = z.strictObject({ name: ClusterName });
export const NodeParams = z.strictObject({ name: ClusterName, node: NodeName });
export const BackupParams = z.strictObject({ name: ClusterName, backupId: BackupId });
export const ScheduleParams = z.strictObject({ name: ClusterName, scheduleId: ScheduleId });
export const MigrationParams = z.strictObject({
  name: ClusterName,
  migrationId: z.string().regex(/^[0-9]{1,9}$/, 'must be the number of the migration'),
});
export const OperationParams = z.strictObject({ operationId: OperationId });

const PositiveIntText = (max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(1).max(max));

export const ListClustersQuery = z.strictObject({
  engine: Engine.optional(),
  limit: PositiveIntText(1000).optional(),
});
export const AuditQuery = z.strictObject({
  limit: PositiveIntText(500).optional(),
  before: PositiveIntText(1_000_000_000).optional(),
});

// ---- responses ----

export const Problem = named(
  'Problem',
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string().optional().describe('the refusal type, e.g. ClusterBusyError'),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
  'RFC 9457 problem details.',
);

export const OperationType = z.enum(Object.keys(OPERATION_WORKFLOWS) as [OperationTypeName, ...OperationTypeName[]]);

export const OperationAccepted = named(
  'OperationAccepted',
  z.object({
    operationId: z.string(),
    operationUrl: z.string().describe('poll this for progress and outcome'),
    type: OperationType,
    cluster: z.string(),
    startedAt: z.string().optional(),
    clusterUrl: z.string().optional().describe('creating a cluster: where its state is'),
  }),
);

export const MigrationView = named(
  'MigrationView',
  z.object({
    migrationId: z.string(),
    operationId: z.string(),
    step: z.enum(['configure', 'validate', 'migrate', 'migrating', 'done', 'cancelled']),
    guide: z.string(),
    source: z.object({ host: z.string(), port: z.int(), user: z.string(), database: z.string().optional() }).optional(),
    sourceSizeBytes: z.number().optional(),
    targetFreeBytes: z.number().optional(),
    report: z
      .object({
        version: z.string(),
        sizeBytes: z.number(),
        blockers: z.array(z.string()),
        warnings: z.array(z.string()),
      })
      .optional(),
    log: z.array(z.string()),
  }),
);

export const MigrationAccepted = named(
  'MigrationAccepted',
  OperationAccepted.extend({ migrationId: z.string(), migrationUrl: z.string() }),
);

const NodeInfo = named(
  'NodeInfo',
  z.object({
    name: z.string(),
    number: z.int(),
    role: z.enum(['primary', 'replica']),
    status: z.enum(['provisioning', 'running', 'stopped', 'resetting', 'failed']),
    plan: NodePlan,
    host: z.string(),
    port: z.int(),
    privateHost: z.string(),
    privatePort: z.int(),
    dataDir: z.string(),
    createdAt: z.string(),
  }),
);

export const BackupEntry = named(
  'BackupEntry',
  z.object({
    id: z.string(),
    label: z.string(),
    kind: z.enum(['manual', 'scheduled', 'post-promote', 'pre-delete', 'pre-migration']),
    scheduleId: z.string().optional(),
    status: z.enum(['running', 'completed', 'defunct']),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    sizeBytes: z.number().optional(),
    sha256: z.string().optional(),
    engine: Engine,
    sourceNode: z.string(),
    key: z.string(),
    location: z.string().optional(),
    position: z.string().optional(),
    expiresAt: z.string().optional(),
    error: z.string().optional(),
  }),
);

export const BackupSchedule = named(
  'BackupSchedule',
  z.object({
    id: z.string(),
    kind: z.enum(['default', 'user']),
    intervalMinutes: z.int().optional(),
    cron: z.string().optional(),
    keep: z.int().optional(),
    paused: z.boolean(),
    createdAt: z.string(),
  }),
);

export const AuditEntry = named(
  'AuditEntry',
  z.object({
    seq: z.int().optional().describe('position in the durable audit log (absent when served from the cluster state)'),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    outcome: z.enum(['started', 'succeeded', 'failed', 'refused', 'changed']),
    detail: z.string().optional(),
  }),
);

const OperationRef = named(
  'OperationRef',
  z.object({ type: OperationType, id: z.string(), startedAt: z.string(), actor: z.string() }),
);
const OperationRecord = named(
  'OperationRecord',
  OperationRef.extend({
    finishedAt: z.string().optional(),
    outcome: z.enum(['succeeded', 'failed']).optional(),
    error: z.string().optional(),
  }),
);

const Settings = named(
  'ClusterSettings',
  z.object({
    supportLevel: z.int(),
    terminationProtection: z.boolean(),
    autoFailover: z.boolean(),
    failoverThreshold: z.int(),
    healthCheckIntervalSeconds: z.int(),
    maxFailoverLagBytes: z.int(),
    maxPromotionLagSeconds: z.int(),
    notifications: z.object({ webhookUrl: z.string().optional(), emails: z.array(z.string()).optional() }),
  }),
);

export const ClusterView = named(
  'Cluster',
  z.object({
    spec: z.object({
      name: z.string(),
      engine: Engine,
      version: z.string(),
      mode: ClusterMode,
      replicas: z.int(),
      plan: NodePlan,
    }),
    status: z.enum(['deploying', 'running', 'failed', 'deleting', 'deleted']),
    createdAt: z.string(),
    nodes: z.array(NodeInfo),
    nextNodeNumber: z.int(),
    endpoint: z.object({ host: z.string(), port: z.int() }).optional(),
    allowlist: z.array(z.string()),
    settings: Settings,
    backups: z.array(BackupEntry),
    schedules: z.array(BackupSchedule),
    audit: z.array(AuditEntry),
    operation: OperationRef.optional(),
    history: z.array(OperationRecord),
    operationCounter: z.int(),
  }),
);

export const ClusterSummary = named(
  'ClusterSummary',
  z.object({
    name: z.string(),
    engine: z.string().optional(),
    operation: z.string().optional().describe('the operation running now'),
    startedAt: z.string(),
    url: z.string(),
  }),
);

export const ClusterList = named('ClusterList', z.object({ clusters: z.array(ClusterSummary) }));
export const NodeList = named('NodeList', z.object({ nodes: z.array(NodeInfo) }));
export const BackupList = named('BackupList', z.object({ backups: z.array(BackupEntry) }));
export const ScheduleList = named('ScheduleList', z.object({ schedules: z.array(BackupSchedule) }));
export const AllowlistView = named('AllowlistView', z.object({ allowlist: z.array(z.string()) }));
export const OperationList = named(
  'OperationList',
  z.object({ current: OperationRef.optional(), history: z.array(OperationRecord) }),
);
export const AuditPage = named(
  'AuditPage',
  z.object({
    entries: z.array(AuditEntry),
    nextBefore: z.int().optional().describe('pass as ?before= for the next (older) page'),
  }),
);
export const MigrationLog = named('MigrationLog', z.object({ log: z.array(z.string()) }));
export const ScheduleTriggered = named(
  'ScheduleTriggered',
  z.object({ scheduleId: z.string(), backupsUrl: z.string() }),
);

export const OperationStatus = named(
  'OperationStatus',
  z.object({
    operationId: z.string(),
    type: OperationType,
    cluster: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'cancelled', 'terminated', 'timed-out']),
    startedAt: z.string().optional(),
    closedAt: z.string().optional(),
    progress: z
      .object({
        step: z.string(),
        stepsDone: z.int(),
        stepsTotal: z.int(),
        percent: z.number().optional().describe('of the current step, when known'),
        log: z.array(z.string()).optional(),
      })
      .optional()
      .describe('absent when the workflow could not be asked (e.g. no worker)'),
    result: z.object({ summary: z.string() }).loose().optional().describe("the operation's outcome, when it succeeded"),
    failure: z.object({ type: z.string().optional(), message: z.string() }).optional(),
  }),
);

export const Health = named(
  'Health',
  z.object({ status: z.literal('ok'), temporal: z.object({ serverVersion: z.string().optional() }) }),
);
