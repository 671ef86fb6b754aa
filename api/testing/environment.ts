/**
 * The API over real HTTP against the real stack, for the API's tests and benchmark: the devserver
 * (through `test/temporal-env.ts`), a worker running the product's workflows with the real
 * activities over a temp data directory (nodes are local processes), and `createApp` listening on
 * 127.0.0.1 on a free port. `teardown()` stops every process and removes the directory.
 * With `captureLog`, the API's log lines (debug and up, redaction as in the product) are kept for the
 * test to read.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createActivities, createDefaultDeps, readActivitiesConfig, type DefaultDeps } from '../../activities';
import { createWorker } from '../../activities/worker';
import { createLocalEnv, PROJECT_ROOT, workflowBundle } from '../../test/temporal-env';
import { PRODUCT_SEARCH_ATTRIBUTES } from '../../test/workflow-harness';
import { reapAll } from '../../vm/local';
import { createApp } from '../app';
import type { AuthConfig } from '../auth';
import { createLogger } from '../logger';

export const TASK_QUEUE = 'api-test';
export const ADMIN = { name: 'ops-admin', token: 'admin-token-0123456789abcdef' };
export const READER = { name: 'dashboard', token: 'read-token-0123456789abcdef' };
export const AUTH: AuthConfig = {
  tokens: [
    { name: ADMIN.name, role: 'admin', token: ADMIN.token },
    { name: READER.name, role: 'read', token: READER.token },
  ],
};

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body (undefined when the body is not JSON). */
  body: unknown;
}

export interface RequestOptions {
  /** Bearer token; default the admin token; null sends no Authorization header. */
  token?: string | null;
  body?: unknown;
  /** Sent as is (overrides `body`). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface ApiEnvironmentOptions {
  /** Keep the API's log lines (JSON, at debug) in memory; `logLines()` returns them. */
  captureLog?: boolean;
}

export interface ApiEnvironment {
  baseUrl: string;
  env: TestWorkflowEnvironment;
  metrics: Registry;
  /** The API's log lines so far (empty unless started with `captureLog`). */
  logLines(): string[];
  request(method: string, urlPath: string, options?: RequestOptions): Promise<HttpAnswer>;
  teardown(): Promise<void>;
}

/** The SDK's own logging stays quiet; install once per process, before anything uses the runtime. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by an earlier environment in this process.
  }
}

export async function startApiEnvironment(options: ApiEnvironmentOptions = {}): Promise<ApiEnvironment> {
  quietRuntime();
  const cleanups: (() => Promise<unknown>)[] = [];
  const teardown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const dataDir = await fs.mkdtemp(path.join(tmpdir(), 'api-test-'));
    // Engine users (postgres, mysql) must reach their nodes inside it.
    await fs.chmod(dataDir, 0o755);
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));

    const env = await createLocalEnv();
    cleanups.push(() => env.teardown());
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: PRODUCT_SEARCH_ATTRIBUTES,
    });

    const deps: DefaultDeps = await createDefaultDeps(readActivitiesConfig({ DATA_DIR: dataDir }), {
      temporalClient: env.client,
      logger: () => undefined,
    });
    cleanups.push(async () => {
      await deps.vm.shutdown();
      await reapAll(path.join(dataDir, 'vm'));
      await deps.close();
    });

    const worker: Worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: TASK_QUEUE,
      activities: createActivities(deps),
      workflowBundle: await workflowBundle(path.join(PROJECT_ROOT, 'workflows', 'index.ts'), [
        path.join(PROJECT_ROOT, 'activities'),
        path.join(PROJECT_ROOT, 'vm'),
        path.join(PROJECT_ROOT, 'engines'),
      ]),
      shutdownGraceMs: 1_000,
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });

    const metrics = new Registry();
    const lines: string[] = [];
    const app = createApp({
      client: env.client,
      taskQueue: TASK_QUEUE,
      auth: AUTH,
      auditLog: deps.audit,
      logger: apiLogger(options, lines),
      metrics,
    });
    const server: Server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    );
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
      baseUrl,
      env,
      metrics,
      logLines: () => [...lines],
      request: (m, p, o) => request(baseUrl, m, p, o),
      teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** The product's logger (its redaction included); quiet unless captured or API_TEST_LOG is set. */
function apiLogger(options: ApiEnvironmentOptions, lines: string[]) {
  const echo = Boolean(process.env.API_TEST_LOG);
  if (!options.captureLog && !echo) return createLogger({ level: 'silent', pretty: false });
  return createLogger({
    level: 'debug',
    pretty: false,
    destination: {
      write(line: string) {
        if (options.captureLog) lines.push(line);
        if (echo) process.stderr.write(line);
      },
    },
  });
}

async function request(baseUrl: string, method: string, urlPath: string, options: RequestOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN.token : options.token;
  if (token !== null) headers.authorization ??= `Bearer ${token}`;
  let body: string | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${baseUrl}${urlPath}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}
