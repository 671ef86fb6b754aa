/**
 * A time-skipping environment with the product's workflows on a worker whose activities are the
 * in-memory FakeInfra, for workflow unit tests.
 */
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FakeInfra } from './fake-activities';
import { createTimeSkippingEnv, PROJECT_ROOT, workflowBundle } from './temporal-env';
import { clusterWorkflowId, stateQuery, type ClusterInput } from '../workflows/cluster-api';
import type { ClusterSpec, ClusterView } from '../workflows/types';

export const TASK_QUEUE = 'clusters-test';

/** Search attributes the product's workflows set; a Temporal namespace must know them. */
export const PRODUCT_SEARCH_ATTRIBUTES = {
  ClusterName: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  ClusterEngine: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  ClusterOperation: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  infra: FakeInfra;
  worker: Worker;
  teardown(): Promise<void>;
}

export async function createWorkflowHarness(): Promise<WorkflowHarness> {
  const env = await createTimeSkippingEnv();
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: PRODUCT_SEARCH_ATTRIBUTES,
  });
  const infra = new FakeInfra(env.client);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(path.join(PROJECT_ROOT, 'workflows', 'index.ts'), [
      path.join(PROJECT_ROOT, 'activities'),
      path.join(PROJECT_ROOT, 'vm'),
      path.join(PROJECT_ROOT, 'engines'),
    ]),
    activities: infra.activities(),
    ...(process.env.WF_DEBUG ? { debugMode: true } : {}),
  });
  const running = worker.run();
  return {
    env,
    infra,
    worker,
    async teardown() {
      if (process.env.RECORD_HISTORIES) await recordHistories(env);
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

export function spec(name: string, overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    name,
    engine: 'postgresql',
    version: '15',
    mode: 'primary-replica',
    replicas: 2,
    plan: { cpu: 1, ramMb: 512, diskGb: 10 },
    ...overrides,
  };
}

/**
 * Starts a cluster entity and waits until its deploy finished. Auto-failover is off unless the
 * test turns it on: its health checks every 30 s would make days of skipped time slow.
 */
export async function createCluster(
  h: WorkflowHarness,
  clusterSpec: ClusterSpec,
  input: Partial<ClusterInput> = {},
): Promise<ClusterView> {
  const handle = await h.env.client.workflow.start('clusterWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: clusterWorkflowId(clusterSpec.name),
    args: [
      {
        spec: clusterSpec,
        actor: 'test',
        ...input,
        settings: { autoFailover: false, ...input.settings },
      } satisfies ClusterInput,
    ],
  });
  return waitForState(h, clusterSpec.name, (s) => s.status !== 'deploying' && !s.operation, handle.workflowId);
}

/** Polls the entity's state until `predicate` holds, letting time run meanwhile. */
export async function waitForState(
  h: WorkflowHarness,
  cluster: string,
  predicate: (state: ClusterView) => boolean,
  workflowId = clusterWorkflowId(cluster),
): Promise<ClusterView> {
  const handle = h.env.client.workflow.getHandle(workflowId);
  for (let i = 0; i < 400; i++) {
    const state = await handle.query(stateQuery);
    if (predicate(state)) return state;
    await h.env.sleep(1000);
  }
  throw new Error(`cluster ${cluster} never reached the expected state`);
}

/** Ends a test's cluster: its schedules stop firing and its entity is terminated, so later skipped time stays cheap. */
export async function retireCluster(h: WorkflowHarness, cluster: string): Promise<void> {
  for await (const schedule of h.env.client.schedule.list()) {
    if (schedule.scheduleId.startsWith(`backup:${cluster}:`))
      await h.env.client.schedule.getHandle(schedule.scheduleId).delete();
  }
  await h.env.client.workflow
    .getHandle(clusterWorkflowId(cluster))
    .terminate('test finished')
    .catch(() => undefined);
}

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'histories');
/** New histories saved per workflow type and test file: enough to vary, few enough to review. */
const HISTORIES_PER_TYPE = 2;
/** Histories already recorded by this test file, per workflow type. */
const recordedHere = new Map<string, number>();

/**
 * With RECORD_HISTORIES=1 (every workflow type) or RECORD_HISTORIES=promoteWorkflow,… (those types),
 * saves closed runs the tests made to `test/histories/` as `<type>-<n>.json`, numbered after the ones
 * already there: old histories stay, because running workflows were started on the old code and the
 * replay test must keep proving the new code can continue them.
 */
async function recordHistories(env: TestWorkflowEnvironment): Promise<void> {
  const wanted = process.env.RECORD_HISTORIES === '1' ? undefined : new Set(process.env.RECORD_HISTORIES?.split(','));
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for await (const execution of env.client.workflow.list({ query: "ExecutionStatus != 'Running'" })) {
    if (wanted && !wanted.has(execution.type)) continue;
    const count = recordedHere.get(execution.type) ?? 0;
    if (count >= HISTORIES_PER_TYPE) continue;
    const history = await env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    saveUnderNextNumber(execution.type, historyToJSON(history));
    recordedHere.set(execution.type, count + 1);
  }
}

/** `wx` so that test files recording in parallel never overwrite each other's (or older) histories. */
function saveUnderNextNumber(type: string, json: string): void {
  const numbers = readdirSync(HISTORIES_DIR)
    .map((file) => new RegExp(`^${type}-(\\d+)\\.json$`).exec(file)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
  for (let n = Math.max(0, ...numbers) + 1; ; n++) {
    try {
      writeFileSync(path.join(HISTORIES_DIR, `${type}-${n}.json`), json, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
