/**
 * The environment of an end-to-end or crash test file: the devserver in real time (search
 * attributes registered), the product's worker in a process of its own over a temp data directory,
 * and, at the end, proof that nothing is left: every engine, firewall and endpoint process the local
 * provider ever recorded is dead, and the directory is gone.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reapAll } from '../../vm/local';
import { createLocalEnv, PROJECT_ROOT, workflowBundle } from '../temporal-env';
import { PRODUCT_SEARCH_ATTRIBUTES } from '../workflow-harness';
import { ProcessTracker } from './e2e-processes';
import { startWorkerProcess, type WorkerProcess } from './e2e-worker';

export const TASK_QUEUE = 'clusters';

export interface E2eEnv {
  env: TestWorkflowEnvironment;
  /** Root of everything this file writes: `data/` (the worker's DATA_DIR), `logs/`, the workflow bundle. */
  root: string;
  dataDir: string;
  /** The local provider's base directory. */
  vmDir: string;
  logDir: string;
  processes: ProcessTracker;
  /** The running worker process, if any. */
  worker: WorkerProcess | undefined;
  /** Starts a worker process (the previous one must have been stopped or killed). */
  startWorker(): Promise<WorkerProcess>;
  /**
   * Stops the worker, reaps whatever is left of the nodes, and says which recorded processes were
   * still alive before the reaping (empty when every cluster was deleted properly).
   */
  teardown(): Promise<string[]>;
}

export async function createE2eEnv(label: string): Promise<E2eEnv> {
  const root = await fs.mkdtemp(path.join(tmpdir(), `dbco-e2e-${label}-`));
  // mkdtemp makes the directory private; engine users (postgres, mysql, redis) must reach their nodes.
  await fs.chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  const logDir = path.join(root, 'logs');
  await fs.mkdir(dataDir, { mode: 0o755 });
  await fs.mkdir(logDir);
  const vmDir = path.join(dataDir, 'vm');
  const workflowCodePath = path.join(root, 'workflows.js');

  let env: TestWorkflowEnvironment | undefined;
  const processes = new ProcessTracker(vmDir);
  /** Every worker this environment started (other files' and tests' workers are not ours to end). */
  const workers: WorkerProcess[] = [];
  const e2e: E2eEnv = {
    get env() {
      return env!;
    },
    root,
    dataDir,
    vmDir,
    logDir,
    processes,
    worker: undefined,
    async startWorker() {
      const worker = await startWorkerProcess(
        { address: env!.address, namespace: 'default', taskQueue: TASK_QUEUE, workflowCodePath, dataDir },
        logDir,
      );
      workers.push(worker);
      e2e.worker = worker;
      return worker;
    },
    async teardown() {
      let leftovers: string[];
      try {
        await e2e.worker?.stop();
        await Promise.all(workers.map((worker) => worker.kill()));
        leftovers = await processes.alive();
        await reapAll(vmDir);
        await env?.teardown();
      } finally {
        if (process.env.E2E_KEEP) console.log(`e2e ${label}: kept ${root}`);
        else await fs.rm(root, { recursive: true, force: true });
      }
      return leftovers;
    },
  };

  try {
    const [testEnv, bundle] = await Promise.all([
      createLocalEnv(),
      workflowBundle(path.join(PROJECT_ROOT, 'workflows', 'index.ts'), [
        path.join(PROJECT_ROOT, 'activities'),
        path.join(PROJECT_ROOT, 'vm'),
        path.join(PROJECT_ROOT, 'engines'),
      ]),
    ]);
    env = testEnv;
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: PRODUCT_SEARCH_ATTRIBUTES,
    });
    await fs.writeFile(workflowCodePath, bundle.code);
    await e2e.startWorker();
  } catch (err) {
    await e2e.teardown();
    throw err;
  }
  return e2e;
}
