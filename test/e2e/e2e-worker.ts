/**
 * Starts and ends the product's worker processes (e2e-worker-process.ts) for the end-to-end and
 * crash tests. Each worker's output goes to `<logDir>/worker-<n>.log`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../temporal-env';
import type { WorkerProcessConfig, WorkerProcessMessage } from './e2e-worker-process';

/** A safety net for a worker that never comes up (bundle load, connections, resuming nodes). */
const READY_TIMEOUT_MS = 120_000;
/** After "shutdown", how long a worker may take before it is killed. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

export class WorkerProcessError extends Error {
  override name = 'WorkerProcessError';
}

export interface WorkerProcess {
  pid: number;
  logFile: string;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Graceful shutdown (SIGKILL if it takes too long); resolves once the process is gone. */
  stop(): Promise<void>;
}

let started = 0;

export async function startWorkerProcess(config: WorkerProcessConfig, logDir: string): Promise<WorkerProcess> {
  const logFile = path.join(logDir, `worker-${++started}.log`);
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = fork(path.join(__dirname, 'e2e-worker-process.ts'), [JSON.stringify(config)], {
      cwd: PROJECT_ROOT,
      // vitest's own loader does not reach forked processes: tsx runs the TypeScript.
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', log, log, 'ipc'],
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new WorkerProcessError(`worker ${child.pid} was not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      child.on('message', (message: WorkerProcessMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve();
        else reject(new WorkerProcessError(`worker ${child.pid} failed to start: ${message.error}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new WorkerProcessError(`worker ${child.pid} exited while starting (${code ?? signal}); see ${logFile}`));
      });
    });
  } catch (err) {
    if (!gone()) child.kill('SIGKILL');
    await exited;
    throw err;
  }
  return {
    pid: child.pid!,
    logFile,
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return exited;
      if (child.connected) child.send('shutdown');
      const force = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
      await exited;
      clearTimeout(force);
    },
  };
}
