/**
 * The API over real HTTP against the real stack, for the API's tests and benchmark: the devserver
 * (through `test/temporal-env.ts`), a worker running the product's workflows with the real
 * activities over a temp data directory (nodes are local processes), and `createApp` listening on
 * 127.0.0.1 on a free port. `teardown()` stops every process and removes the directory.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createActivities, createDefaultDeps, readActivitiesConfig, type DefaultDeps } from '../../activities';
import { createWorker } from '../../activities/worker';
import { createLocalEnv, PROJECT_ROOT, workflowBundle } from '../../test/temporal-env';
import { PRODUCT_SEARCH_ATTRIBUTES } from '../../test/workflow-harness';
import { reapAll } from '../../vm/local';
import { createApp } from '../app';
import type { AuthConfig } from '../auth';

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

export interface ApiEnvironment {
  baseUrl: string;
  env: TestWorkflowEnvironment;
  metrics: Registry;
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

export async function startApiEnvironment(): Promise<ApiEnvironment> {
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
    const app = createApp({
      client: env.client,
      taskQueue: TASK_QUEUE,
      auth: AUTH,
      auditLog: deps.audit,
      logger: pino({ level: process.env.API_TEST_LOG ? 'debug' : 'silent' }),
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

    return { baseUrl, env, metrics, request: (m, p, o) => request(baseUrl, m, p, o), teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
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
