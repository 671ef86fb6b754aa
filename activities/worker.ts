/**
 * The product's Temporal worker: the cluster workflows and the activities on one task queue.
 *
 * Shutdown (SIGINT/SIGTERM, or `worker.shutdown()`): the worker stops polling, running activities
 * get `shutdownGraceMs` to finish; then they are cancelled (backups and restores abort their
 * streams) and whatever has not finished is retried by the server on another worker after its
 * heartbeat or start-to-close timeout. After `shutdownForceMs` the worker stops waiting.
 */
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import path from 'node:path';
import { WORKER_DEFAULTS } from './config';
import type { ClusterActivities } from './contract';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  activities: ClusterActivities;
  /** Module exporting the workflows; default the product's (`workflows/`). Or give a prebuilt `workflowBundle`. */
  workflowsPath?: string;
  workflowBundle?: WorkflowBundleOption;
  /** Must match the client's (e.g. the codec that encrypts credentials in payloads). */
  dataConverter?: DataConverter;
  maxCachedWorkflows?: number;
  maxConcurrentActivities?: number;
  shutdownGraceMs?: number;
  shutdownForceMs?: number;
}

/**
 * A worker that died without saying so (SIGKILL, lost host) still owns its workflows' sticky queue;
 * their next task waits this long before another worker gets it. The SDK's default, 10 s, is paid by
 * every operation that was running (with a fenced primary, in client downtime). A live worker takes
 * a task within milliseconds, so a short wait costs at most a full-history replay now and then.
 */
const STICKY_QUEUE_SCHEDULE_TO_START_MS = 3_000;

/** The product's workflows (sources under tsx, compiled JavaScript under dist/); the bundler finds the index. */
export const DEFAULT_WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows');

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  if (options.workflowsPath !== undefined && options.workflowBundle !== undefined) {
    throw new TypeError('createWorker takes workflowsPath or workflowBundle, not both');
  }
  const shutdownGraceMs = options.shutdownGraceMs ?? WORKER_DEFAULTS.shutdownGraceMs;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.workflowBundle !== undefined
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: options.workflowsPath ?? DEFAULT_WORKFLOWS_PATH }),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    maxCachedWorkflows: options.maxCachedWorkflows ?? WORKER_DEFAULTS.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? WORKER_DEFAULTS.maxConcurrentActivities,
    stickyQueueScheduleToStartTimeout: STICKY_QUEUE_SCHEDULE_TO_START_MS,
    shutdownGraceTime: shutdownGraceMs,
    shutdownForceTime: Math.max(options.shutdownForceMs ?? WORKER_DEFAULTS.shutdownForceMs, shutdownGraceMs),
  });
}
