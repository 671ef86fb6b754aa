/**
 * The devserver under test, run as its own process exactly as users run it
 * (`temporal-devserver server start-dev ...`), so its CPU time can be read from /proc.
 */
import { Connection } from '@temporalio/client';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { compiledDevserverIsCurrent, ensureCompiledDevserver } from './build';
import { DevserverProcessError } from './errors';
import { DEVSERVER_BIN } from './paths';
import { cpuSecondsOf } from './proc-stat';

/** How long a start may take before the benchmark gives up (recovery of a large journal included). */
const START_TIMEOUT_MS = 60_000;
/** Connection polling interval; small, because startup time is one of the figures. */
const POLL_INTERVAL_MS = 2;
const STOP_GRACE_MS = 5_000;

export interface StartedDevserver {
  address: string;
  pid: number;
  /** Milliseconds from spawn until the port accepted a TCP connection. */
  listeningMs: number;
  /** The bin ran the compiled JavaScript (false: the TypeScript sources through tsx). */
  compiled: boolean;
  /** Rejects if the process exits before stop() was called (never resolves). */
  died: Promise<never>;
  /** stderr so far (the devserver logs there). */
  output(): string;
  cpuSeconds(): number | undefined;
  /** Stops it: SIGTERM (graceful, journal closed) or SIGKILL (a crash); SIGKILL after a grace period. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Ends a child process and waits for it; SIGKILL if it has not gone after the grace period. */
export async function endProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(force);
}

/**
 * Starts the devserver on a free port (in memory, or on `dbFilename`) at log level info and resolves
 * once it accepts connections. Rebuilds first if its sources changed since the last build.
 * `track` receives the child at once so a caller can clean it up even if the start fails.
 */
export async function startDevserver(options: {
  dbFilename?: string;
  track: (child: ChildProcess) => void;
  log?: (message: string) => void;
  /** Rebuild first when the sources are newer than dist/ (default true; tests never build). */
  rebuild?: boolean;
}): Promise<StartedDevserver> {
  const compiled =
    options.rebuild === false ? compiledDevserverIsCurrent() : ensureCompiledDevserver(options.log ?? (() => {}));
  const port = await freePort();
  const args = [
    'server',
    'start-dev',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--headless',
    '--log-level',
    'info',
  ];
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [DEVSERVER_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  options.track(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

  let listeningMs: number | undefined;
  while (listeningMs === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new DevserverProcessError(
        `the devserver exited during start (${child.exitCode ?? child.signalCode}): ${output}`,
      );
    }
    if (performance.now() - spawnedAt > START_TIMEOUT_MS) {
      await endProcess(child, 'SIGKILL', 0);
      throw new DevserverProcessError(
        `the devserver did not accept connections within ${START_TIMEOUT_MS} ms: ${output}`,
      );
    }
    if (await accepts(port)) listeningMs = performance.now() - spawnedAt;
    else await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  let stopping = false;
  const died = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      if (!stopping)
        reject(new DevserverProcessError(`the devserver died during the run (${code ?? signal}): ${output}`));
    }),
  );
  died.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  return {
    address: `127.0.0.1:${port}`,
    pid: child.pid!,
    listeningMs,
    compiled,
    died,
    output: () => output,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop: (signal = 'SIGTERM') => {
      stopping = true;
      return endProcess(child, signal, STOP_GRACE_MS);
    },
  };
}

/**
 * Startup time: spawn until the port accepts TCP, and spawn until the first gRPC call
 * (GetSystemInfo, what the SDK's Connection.connect sends) is answered. In memory, no journal.
 */
export async function measureStartup(
  track: (child: ChildProcess) => void,
  rebuild = true,
): Promise<{ listeningMs: number; firstRpcMs: number; compiled: boolean }> {
  const server = await startDevserver({ track, rebuild });
  const listenedAt = performance.now();
  try {
    const connection = await Connection.connect({ address: server.address });
    const firstRpcMs = server.listeningMs + (performance.now() - listenedAt);
    await connection.close();
    return { listeningMs: server.listeningMs, firstRpcMs, compiled: server.compiled };
  } finally {
    await server.stop('SIGKILL');
  }
}
