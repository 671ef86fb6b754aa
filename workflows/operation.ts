/**
 * What every operation workflow shares: the context the cluster entity hands it, the outcome it
 * returns, its progress Query, and the activity proxies with their timeouts and retry policies.
 */
import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BackupResult, ClusterActivities, NodeTarget } from '../activities/contract';
import type {
  BackupEntry,
  ClusterSettings,
  ClusterSpec,
  Credentials,
  Endpoint,
  NodeInfo,
  OperationProgress,
  OperationType,
} from './types';

/** A snapshot of the cluster the entity gives an operation when it starts it. */
export interface OperationContext {
  operationId: string;
  type: OperationType;
  actor: string;
  spec: ClusterSpec;
  nodes: NodeInfo[];
  credentials: Credentials;
  endpoint?: Endpoint;
  allowlist: string[];
  settings: ClusterSettings;
}

/** What changed; the entity applies it to its state when the operation ends. */
export interface OperationOutcome {
  summary: string;
  nodes?: NodeInfo[];
  endpoint?: Endpoint;
  allowlist?: string[];
  backupsAdded?: BackupEntry[];
  backupsRemoved?: string[];
}

export const progressQuery = defineQuery<OperationProgress>('progress');

export interface Progress {
  /** Starts the next step (also counts the previous one as done). */
  step(name: string): void;
  log(line: string): void;
  readonly current: OperationProgress;
}

export function trackProgress(context: Pick<OperationContext, 'operationId' | 'type'>, stepsTotal: number): Progress {
  const current: OperationProgress = {
    operationId: context.operationId,
    type: context.type,
    step: 'starting',
    stepsDone: 0,
    stepsTotal,
    log: [],
  };
  let started = false;
  setHandler(progressQuery, () => current);
  return {
    current,
    step(name) {
      if (started) current.stepsDone++;
      started = true;
      current.step = name;
    },
    log(line) {
      current.log!.push(line);
    },
  };
}

export function targetOf(context: Pick<OperationContext, 'spec' | 'credentials'>, node: NodeInfo): NodeTarget {
  return {
    cluster: context.spec.name,
    engine: context.spec.engine,
    version: context.spec.version,
    node: {
      name: node.name,
      number: node.number,
      privateHost: node.privateHost,
      privatePort: node.privatePort,
      dataDir: node.dataDir,
    },
    credentials: context.credentials,
  };
}

export function primaryOf(nodes: readonly NodeInfo[]): NodeInfo | undefined {
  return nodes.find((n) => n.role === 'primary');
}

/** The catalogue entry the entity planned (status running), completed with what the store recorded. */
export function completedBackup(planned: BackupEntry, result: BackupResult, sourceNode?: string): BackupEntry {
  return {
    ...planned,
    ...(sourceNode ? { sourceNode } : {}),
    status: 'completed',
    finishedAt: new Date().toISOString(),
    sizeBytes: result.sizeBytes,
    sha256: result.sha256,
    location: result.location,
    position: result.position,
  };
}

/** Errors no retry can fix; activities raise them as non-retryable failures. */
const FINAL_ERRORS = [
  'EngineUnavailableError',
  'UnsupportedOperationError',
  'SourceUnreachableError',
  'BadCredentialsError',
  'InsufficientDiskError',
  'InvalidAddressError',
  'BackupChecksumError',
  'ReplicaDivergedError',
];

/** Quick engine and VM calls. */
export const acts = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '2 minutes',
  // Every activity heartbeats (activities/heartbeat.ts): a worker that dies mid-step is noticed in
  // seconds, which matters most after a fence, when the cluster takes no writes until the step resumes.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 8, nonRetryableErrorTypes: FINAL_ERRORS },
});

/** Backups, restores and copies: long, heartbeating. */
export const longActs = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2s',
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: FINAL_ERRORS,
  },
});
