/**
 * Starts, adopts, watches and stops the local provider's long-running processes (engines, node
 * firewalls, cluster endpoints). Processes run detached in their own process group with a pid file, like
 * little VMs: they outlive the orchestrator process, and a later supervisor over the same state adopts
 * them (pid + start time + command verified) or restarts the ones that died meanwhile.
 *
 * While a supervisor is alive, a process that dies without being asked to is restarted with exponential
 * backoff. `stop` means stopped: the process leaves supervision first, then gets its stop signal, then
 * SIGKILL for its whole group after the grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

import { childEnvironment } from '../../engines/child-environment';
import type { ProcessSpec } from '../types';
import { ProcessStartError } from '../errors';
import { KeyedMutex } from './keyed-mutex';
import { groupMembers, identify, processStatus, sendSignal, type ProcessIdentity } from './proc';
import { spawnIdentity } from './run-as-user';
import type { ProcessRecord, StateStore } from './state-store';

export type Logger = (message: string, fields?: object) => void;

export const DEFAULT_STOP_GRACE_MS = 10_000;
const POLL_INTERVAL_MS = 500;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A process that ran this long before dying is restarted without accumulated backoff. */
const STABLE_RUN_MS = 30_000;

interface Runtime {
  child?: ChildProcess;
  /** Set while a (re)start is pending or in progress: polling leaves the process alone then. */
  busy: boolean;
  restartTimer?: NodeJS.Timeout;
  failures: number;
  startedAt: number;
}

export class LocalSupervisor {
  private readonly runtimes = new Map<string, Runtime>();
  private readonly mutex = new KeyedMutex();
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly log: Logger,
  ) {}

  /**
   * Starts the process under `key`, or adopts it when the recorded one is still running; then supervises
   * it. When a new process cannot be spawned, nothing is left recorded and the error is thrown.
   */
  ensure(key: string, spec: ProcessSpec, pidFile: string): Promise<void> {
    return this.mutex.run(key, async () => {
      const record = this.store.state.processes[key];
      const identity = record?.identity ?? (await readPidFile(pidFile))?.identity;
      if (record !== undefined && identity !== undefined && processStatus(identity, record.spec.command) === 'alive') {
        if (JSON.stringify(record.spec) !== JSON.stringify(spec)) {
          this.log('process already running with a different spec; the new spec applies from its next start', {
            key,
            pid: identity.pid,
          });
        }
        await this.store.update((state) => (state.processes[key] = { ...record, spec, pidFile, identity }));
        this.supervise(key).busy = false;
        return;
      }
      // Record the wish to run before spawning, so a crash in between still leaves a record to resume.
      await this.store.update((state) => (state.processes[key] = { spec, pidFile, identity }));
      const runtime = this.supervise(key);
      try {
        await this.launch(key);
      } catch (error) {
        this.unsupervise(key);
        await this.store.update((state) => delete state.processes[key]);
        throw error;
      }
      runtime.busy = false;
    });
  }

  /** Stops the process and forgets it. A process that is not known is left alone. */
  async stop(key: string, graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.unsupervise(key);
    await this.mutex.run(key, async () => {
      const record = this.store.state.processes[key];
      if (record === undefined) return;
      await terminate(record, graceMs);
      await fs.rm(record.pidFile, { force: true });
      await this.store.update((state) => delete state.processes[key]);
      this.log('process stopped', { key });
    });
  }

  isRunning(key: string): boolean {
    const record = this.store.state.processes[key];
    if (!this.runtimes.has(key) || record?.identity === undefined) return false;
    return processStatus(record.identity, record.spec.command) === 'alive';
  }

  keys(prefix: string): string[] {
    return Object.keys(this.store.state.processes).filter((key) => key.startsWith(prefix));
  }

  /**
   * Adopts every recorded process that still runs and restarts the others. A process that cannot be
   * started now stays recorded and supervised, so it is retried with backoff (and logged).
   */
  async resumeAll(): Promise<void> {
    for (const [key, record] of Object.entries(this.store.state.processes)) {
      const identity = record.identity ?? (await readPidFile(record.pidFile))?.identity;
      await this.mutex.run(key, async () => {
        if (identity !== undefined && processStatus(identity, record.spec.command) === 'alive') {
          if (record.identity === undefined) await this.store.update(() => (record.identity = identity));
          this.supervise(key).busy = false;
          return;
        }
        const runtime = this.supervise(key);
        try {
          await this.launch(key);
          this.log('process restarted on resume', { key, pid: this.store.state.processes[key]?.identity?.pid });
          runtime.busy = false;
        } catch (error) {
          runtime.busy = false;
          this.scheduleRestart(key, `cannot start on resume: ${(error as Error).message}`);
        }
      });
    }
  }

  /**
   * Stops every recorded process but keeps the records, so a later `resumeAll` starts them again (the
   * machine was shut down, the VMs were not deleted).
   */
  async shutdown(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.detach();
    await Promise.all(
      Object.keys(this.store.state.processes).map((key) =>
        this.mutex.run(key, async () => {
          // Read inside the lock: a restart that held it may have replaced the process.
          const record = this.store.state.processes[key];
          if (record === undefined) return;
          await terminate(record, graceMs);
          await fs.rm(record.pidFile, { force: true });
        }),
      ),
    );
  }

  /** Forgets every process without touching it (another supervisor may adopt them). */
  detach(): void {
    for (const key of [...this.runtimes.keys()]) this.unsupervise(key);
  }

  /** Puts the process under supervision (busy until its caller has a running process recorded). */
  private supervise(key: string): Runtime {
    let runtime = this.runtimes.get(key);
    if (runtime === undefined) {
      runtime = { busy: true, failures: 0, startedAt: Date.now() };
      this.runtimes.set(key, runtime);
    }
    if (this.pollTimer === undefined) {
      this.pollTimer = setInterval(() => this.poll(), POLL_INTERVAL_MS);
      this.pollTimer.unref();
    }
    return runtime;
  }

  private unsupervise(key: string): void {
    const runtime = this.runtimes.get(key);
    if (runtime === undefined) return;
    clearTimeout(runtime.restartTimer);
    this.runtimes.delete(key);
    if (this.runtimes.size === 0) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  /** Adopted processes are not our children, so their deaths are only seen by polling. */
  private poll(): void {
    for (const [key, runtime] of this.runtimes) {
      const record = this.store.state.processes[key];
      if (runtime.busy || record === undefined) continue;
      if (record.identity === undefined || processStatus(record.identity, record.spec.command) !== 'alive') {
        this.scheduleRestart(key, 'process is no longer running');
      }
    }
  }

  private scheduleRestart(key: string, reason: string): void {
    const runtime = this.runtimes.get(key);
    if (runtime === undefined || runtime.busy) return;
    runtime.busy = true;
    runtime.failures = Date.now() - runtime.startedAt >= STABLE_RUN_MS ? 1 : runtime.failures + 1;
    const delayMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (runtime.failures - 1));
    this.log('supervised process died unexpectedly; restarting', { key, reason, delayMs, failures: runtime.failures });
    runtime.restartTimer = setTimeout(() => void this.restart(key), delayMs);
    runtime.restartTimer.unref();
  }

  private async restart(key: string): Promise<void> {
    await this.mutex.run(key, async () => {
      const runtime = this.runtimes.get(key);
      if (runtime === undefined) return; // stopped meanwhile
      runtime.restartTimer = undefined;
      const record = this.store.state.processes[key];
      if (record === undefined) return;
      let failure: Error | undefined;
      if (record.identity === undefined || processStatus(record.identity, record.spec.command) !== 'alive') {
        try {
          await this.launch(key);
          this.log('supervised process restarted', { key, pid: this.store.state.processes[key]?.identity?.pid });
        } catch (error) {
          failure = error as Error;
        }
      }
      runtime.busy = false;
      if (failure !== undefined) this.scheduleRestart(key, `restart failed: ${failure.message}`);
    });
  }

  /** Spawns the recorded process (after killing leftovers of a previous incarnation) and records it. */
  private async launch(key: string): Promise<void> {
    const record = this.store.state.processes[key];
    await terminate(record, 0);
    const { child, identity } = await spawnDetached(record.spec, (child, code, signal) => {
      const current = this.runtimes.get(key);
      if (current?.child === child) this.scheduleRestart(key, `exited with ${signal ?? `code ${code}`}`);
    });
    await writePidFile(record.pidFile, identity, record.spec.command);
    await this.store.update(
      (state) => (state.processes[key] = { ...record, identity, startedAt: new Date().toISOString() }),
    );
    const runtime = this.runtimes.get(key);
    if (runtime !== undefined) {
      runtime.child = child;
      runtime.startedAt = Date.now();
    }
  }
}

type ExitListener = (child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => void;

async function spawnDetached(
  spec: ProcessSpec,
  onExit: ExitListener,
): Promise<{ child: ChildProcess; identity: ProcessIdentity }> {
  const ids = spawnIdentity(spec.runAsUser);
  await fs.mkdir(dirname(spec.logFile), { recursive: true });
  const log = await fs.open(spec.logFile, 'a', 0o640);
  let child: ChildProcess;
  try {
    // The process may reopen its log itself (PostgreSQL's logging collector does), so it must own it.
    if (ids !== undefined) await log.chown(ids.uid, ids.gid);
    child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      cwd: spec.cwd,
      // Nothing of the product's environment: only what the process needs, plus what its spec adds.
      env: childEnvironment(spec.env),
      uid: ids?.uid,
      gid: ids?.gid,
    });
    const spawned = child;
    spawned.on('exit', (code, signal) => onExit(spawned, code, signal));
    await new Promise<void>((resolve, reject) => {
      spawned.once('spawn', resolve);
      spawned.once('error', reject);
    });
  } catch (error) {
    throw new ProcessStartError(`cannot start ${spec.command}: ${(error as Error).message}`, { cause: error });
  } finally {
    await log.close();
  }
  child.unref();
  const pid = child.pid as number; // set once 'spawn' has fired
  // A process that exited at once has no /proc entry left; its identity is still unique to it.
  const identity = identify(pid) ?? { pid, startTime: 'exited', bootId: '' };
  return { child, identity };
}

/**
 * Stops a recorded process: its stop signal, up to `graceMs` for it to exit, then SIGKILL for its whole
 * process group, which also removes leftovers (e.g. children of a crashed engine). Nothing is signalled
 * when the pid now belongs to another process: the kernel does not reuse a pid while a group with that
 * id still exists, so no group of ours can be left in that case.
 */
export async function terminate(record: ProcessRecord, graceMs: number): Promise<void> {
  const identity = record.identity;
  if (identity === undefined) return;
  const status = () => processStatus(identity, record.spec.command);
  if (status() === 'foreign') return;
  if (status() === 'alive' && graceMs > 0) {
    sendSignal(identity.pid, record.spec.stopSignal ?? 'SIGTERM');
    await waitFor(() => status() !== 'alive', graceMs);
  }
  if (status() === 'alive' || groupMembers(identity.pid).length > 0) {
    sendSignal(-identity.pid, 'SIGKILL');
    await waitFor(() => groupMembers(identity.pid).length === 0, 10_000);
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** Pid file: pid, start time, boot id and command, one per line (the pid first, as tools expect). */
async function writePidFile(path: string, identity: ProcessIdentity, command: string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  await fs.writeFile(path, `${identity.pid}\n${identity.startTime}\n${identity.bootId}\n${command}\n`);
}

/** What a pid file records; undefined when it is absent or not one of ours. */
export async function readPidFile(path: string): Promise<{ identity: ProcessIdentity; command: string } | undefined> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const [pid, startTime, bootId, command] = lines;
  if (!/^[0-9]+$/.test(pid) || !startTime || !bootId || !command) return undefined;
  return { identity: { pid: Number(pid), startTime, bootId }, command };
}
