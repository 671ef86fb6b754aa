/** Starts and stops the benchmark's worker processes (worker-process.ts), all on one task queue. */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { endProcess } from './devserver';
import { WorkerProcessError } from './errors';
import { cpuSecondsOf } from './proc-stat';
import type { WorkerProcessConfig, WorkerProcessMessage } from './worker-process';

const READY_TIMEOUT_MS = 60_000;
/** Time a worker gets to finish its tasks and exit after "shutdown" before it is killed. */
const SHUTDOWN_GRACE_MS = 15_000;

export interface WorkerProcess {
  pid: number;
  /** Rejects if the process exits before stop() was called (never resolves). */
  died: Promise<never>;
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Forks one worker process and resolves once it polls. The child inherits this process's execArgv
 * (tsx's loader when the benchmark runs from source). `track` receives the child at once so a caller
 * can clean it up even if the start fails.
 */
export async function startWorkerProcess(
  config: WorkerProcessConfig,
  track: (child: ChildProcess) => void,
): Promise<WorkerProcess> {
  const child = fork(path.join(__dirname, `worker-process${path.extname(__filename)}`), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new WorkerProcessError(`worker process ${child.pid} was not ready within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.on('message', (message: WorkerProcessMessage) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve();
      else reject(new WorkerProcessError(`worker process ${child.pid} failed to start: ${message.error}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new WorkerProcessError(`worker process ${child.pid} exited during start (${code ?? signal})`));
    });
  });
  let stopping = false;
  const died = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      if (!stopping)
        reject(new WorkerProcessError(`worker process ${child.pid} died during the run (${code ?? signal})`));
    }),
  );
  died.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  return {
    pid: child.pid!,
    died,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.send('shutdown');
      const force = setTimeout(() => void endProcess(child, 'SIGKILL', 0), SHUTDOWN_GRACE_MS);
      await exited;
      clearTimeout(force);
    },
  };
}
