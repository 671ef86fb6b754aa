/**
 * The product as its users run it: `api/main.ts` in a child process (from the sources, through tsx,
 * so a test never runs a stale build) with a temp DATA_DIR and free ports. Its output is captured for
 * assertions (secrets must never appear in it).
 *
 *   const product = await startProduct({ dataDir });
 *   await product.api('GET', '/v1/clusters');
 *   expect(await product.stop('SIGTERM')).toBe(0);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processStatus } from '../../vm/local/proc';
import { readStateFile } from '../../vm/local/state-store';
import { reapAll } from '../../vm/local';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** A free TCP port on loopback (released before it is used: a small race other tests could lose). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A data directory as the product wants it: engine users (postgres, mysql) must reach the nodes below it. */
export async function makeDataDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), prefix));
  await fs.chmod(dir, 0o755);
  return dir;
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  contentType: string;
}

export interface ProductProcess {
  child: ChildProcess;
  url: string;
  temporalAddress: string;
  /** The Web UI and its HTTP API (embedded server only). */
  uiUrl?: string;
  dataDir: string;
  /** Everything the product wrote to stdout and stderr so far. */
  output(): string;
  /** The admin token the product generated (or was given). */
  token: string;
  api<T = unknown>(method: string, urlPath: string, body?: unknown, token?: string): Promise<ApiAnswer<T>>;
  /** Sends the signal and waits for the exit; resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  dataDir: string;
  env?: Record<string, string>;
  /** How long the product may take to say it is ready (it bundles the workflows on start). */
  readyTimeoutMs?: number;
}

export async function startProductProcess(options: StartOptions): Promise<ProductProcess> {
  const [port, temporalPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'api', 'main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      DATA_DIR: options.dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      TEMPORAL_PORT: String(temporalPort),
      // Any free port: the default 8233 may be another product's or Temporal dev server's.
      UI_PORT: '0',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const ready = await waitForLine(
    () => output,
    (line) => typeof line.msg === 'string' && line.msg.startsWith('ready:'),
    exited,
    options.readyTimeoutMs ?? 90_000,
  ).catch(async (err: Error) => {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${err.message}\n--- product output ---\n${output}`);
  });
  const token =
    options.env?.API_TOKENS?.split(',')[0].split(':').slice(2).join(':') ??
    (await fs.readFile(path.join(options.dataDir, 'api-token'), 'utf8')).trim();
  const url = String(ready.api);

  return {
    child,
    url,
    temporalAddress: String(ready.temporal),
    uiUrl: typeof ready.ui === 'string' ? ready.ui : undefined,
    dataDir: options.dataDir,
    token,
    output: () => output,
    async api<T>(method: string, urlPath: string, body?: unknown, asToken = token): Promise<ApiAnswer<T>> {
      const response = await fetch(`${url}${urlPath}`, {
        method,
        headers: {
          authorization: `Bearer ${asToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      const contentType = response.headers.get('content-type') ?? '';
      return {
        status: response.status,
        body: (text && contentType.includes('json') ? JSON.parse(text) : text) as T,
        contentType,
      };
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits for a JSON log line matching `predicate`; fails early when the process exits. */
async function waitForLine(
  output: () => string,
  predicate: (line: Record<string, unknown>) => boolean,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code ?? -1));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const text of output().split('\n')) {
      if (!text.startsWith('{')) continue;
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        if (predicate(line)) return line;
      } catch {
        // A line still being written.
      }
    }
    if (exitCode !== undefined) throw new Error(`the product exited (code ${exitCode}) before it was ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the product was not ready within ${timeoutMs} ms`);
}

/** Every process the local provider recorded under the data directory, with whether it still runs. */
export async function recordedProcesses(dataDir: string): Promise<{ key: string; pid: number; alive: boolean }[]> {
  const state = await readStateFile(path.join(dataDir, 'vm'));
  return Object.entries(state.processes)
    .filter(([, record]) => record.identity !== undefined)
    .map(([key, record]) => ({
      key,
      pid: record.identity!.pid,
      alive: processStatus(record.identity!, record.spec.command) === 'alive',
    }));
}

/** Test teardown: whatever is left of a product (process, engines) is killed and the directory removed. */
export async function cleanupProduct(product: ProductProcess | undefined, dataDir: string | undefined) {
  if (product && product.child.exitCode === null && product.child.signalCode === null) {
    await product.stop('SIGKILL');
  }
  if (!dataDir) return;
  try {
    await reapAll(path.join(dataDir, 'vm'), 2_000);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** Polls `read` until `done` holds; the last value is in the error otherwise. */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 120_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
