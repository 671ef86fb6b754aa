/**
 * A benchmark worker: its own Node process (forked by workers.ts) running one SDK Worker with default
 * settings on the benchmark's task queue. It tells its parent "ready" once polling, stops on
 * "shutdown", and exits if the parent goes away so no worker outlives a benchmark.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './workload/activities';

export interface WorkerProcessConfig {
  address: string;
  taskQueue: string;
  /** A file holding the bundled workflow code (bundled once by the parent, shared by all workers). */
  workflowCodePath: string;
}

export type WorkerProcessMessage = { type: 'ready' } | { type: 'failed'; error: string };

async function run(config: WorkerProcessConfig): Promise<void> {
  // The SDK logs every worker state change at INFO; the report is the benchmark's output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue: config.taskQueue,
      workflowBundle: { codePath: config.workflowCodePath },
      activities,
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
