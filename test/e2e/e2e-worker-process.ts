/**
 * The product's worker in a process of its own, as the end-to-end and crash tests run it: the
 * product's workflows (a prebuilt bundle) with the real activities over a data directory. It tells
 * its parent "ready" once polling, shuts down gracefully on "shutdown", and exits when the parent
 * goes away, so no worker outlives a test. The crash tests SIGKILL it; the nodes it started keep
 * running and the next worker process adopts them (`createDefaultDeps` resumes the provider).
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities, createDefaultDeps, readActivitiesConfig } from '../../activities';
import { createWorker } from '../../activities/worker';

export interface WorkerProcessConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The product's workflows, bundled once by the parent. */
  workflowCodePath: string;
  /** DATA_DIR of the product's worker: nodes, backups, audit logs. */
  dataDir: string;
}

export type WorkerProcessMessage = { type: 'ready' } | { type: 'failed'; error: string };

async function run(config: WorkerProcessConfig): Promise<void> {
  // Workflow task failures and retried activities are logged at WARN: what a crash test wants to read afterwards.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const [connection, clientConnection] = await Promise.all([
    NativeConnection.connect({ address: config.address }),
    Connection.connect({ address: config.address }),
  ]);
  const temporalClient = new Client({ connection: clientConnection, namespace: config.namespace });
  const deps = await createDefaultDeps(readActivitiesConfig({ DATA_DIR: config.dataDir }), { temporalClient });
  try {
    const worker = await createWorker({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      activities: createActivities(deps),
      workflowBundle: { codePath: config.workflowCodePath },
      // A test stops its worker only when nothing runs; a long grace would only slow a failing test down.
      shutdownGraceMs: 5_000,
      shutdownForceMs: 10_000,
    });
    const stop = () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    };
    process.on('message', (message) => {
      if (message === 'shutdown') stop();
    });
    process.on('disconnect', stop);
    const running = worker.run();
    process.send!({ type: 'ready' } satisfies WorkerProcessMessage);
    await running;
  } finally {
    // Nodes keep running (like VMs); the test reaps them when it ends.
    await deps.close();
    await clientConnection.close();
    await connection.close();
  }
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
run(config).then(
  () => process.exit(0),
  (err: unknown) => {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (process.connected)
      process.send!({ type: 'failed', error } satisfies WorkerProcessMessage, () => process.exit(1));
    else process.exit(1);
  },
);
