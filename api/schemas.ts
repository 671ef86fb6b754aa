/**
 * Every request shape of the API (bodies, path and query parameters), declared once with zod: routes
 * validate requests with them and `openapi.ts` turns them into the OpenAPI document. Requests are
 * strict (unknown fields are refused); the shared request rules (`workflows/cluster-rules.ts`) run
 * on top. Responses are in `response-schemas.ts`.
 */
import { z } from 'zod';
import { CLUSTER_NAME_PATTERN, MAX_REPLICAS } from '../workflows/cluster-rules';
import { OPERATION_WORKFLOWS } from '../workflows/operation-params';
import { CLUSTER_MODES, ENGINES } from '../workflows/types';

/** Named schemas: each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const components = z.registry<{ id: string; description?: string }>();

export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
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
    user: z
      .string()
      .max(128)
      .default('')
      .describe('required except for Redis, KeyDB and Valkey sources, whose `default` user is used when empty'),
    password: z.string().max(1024).default('').describe('never shown again nor logged; empty when the source has none'),
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
