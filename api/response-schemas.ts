/**
 * Every response shape of the API, declared once with zod: documented in the OpenAPI document and
 * checked against real answers in the API's tests (not at run time).
 */
import { z } from 'zod';
import { OPERATION_WORKFLOWS } from '../workflows/operation-params';
import type { OperationType as OperationTypeName } from '../workflows/types';
import { ClusterMode, Engine, named, NodePlan } from './schemas';

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

export const ConnectionInfo = named(
  'ConnectionInfo',
  z.object({
    cluster: z.string(),
    engine: Engine,
    host: z.string().describe('the cluster endpoint: always reaches the current primary'),
    port: z.int(),
    user: z
      .string()
      .describe("the cluster's application owner (never the product's admin or replication user; see SECURITY.md)"),
    password: z.string(),
    database: z.string().optional().describe('PostgreSQL flavours: the database every cluster has'),
    uri: z
      .string()
      .describe(
        'postgresql://, mysql:// or redis:// URI with user and password percent-encoded (psql, mysql, redis-cli -u)',
      ),
  }),
  'How to connect to a cluster as its application owner. Secret: served to admin tokens only, with Cache-Control: no-store.',
);

export const Health = named(
  'Health',
  z.object({ status: z.literal('ok'), temporal: z.object({ serverVersion: z.string().optional() }) }),
);
