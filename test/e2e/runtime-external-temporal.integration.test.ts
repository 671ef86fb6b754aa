/**
 * The product's main command on someone else's Temporal (TEMPORAL_ADDRESS) with configured tokens
 * (API_TOKENS): no embedded server and no journal of its own, the search attributes registered in
 * that namespace, the tokens' roles enforced on the credentials route; and a bad variable stops it
 * at once with exit code 2 and the variable's name.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalEnv } from '../temporal-env';
import { cleanupProduct, makeDataDir, PROJECT_ROOT, startProductProcess, type ProductProcess } from './runtime-product';

const ADMIN = 'admin-token-0123456789abcdef';
const READER = 'read-token-0123456789abcdef';
const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

let env: TestWorkflowEnvironment | undefined;
let dataDir: string | undefined;
let product: ProductProcess | undefined;

beforeAll(async () => {
  [env, dataDir] = await Promise.all([createLocalEnv(), makeDataDir('runtime-external-')]);
  product = await startProductProcess({
    dataDir,
    env: { TEMPORAL_ADDRESS: env.address, API_TOKENS: `ops:admin:${ADMIN},grafana:read:${READER}` },
  });
}, 120_000);

afterAll(async () => {
  await cleanupProduct(product, dataDir);
  await env?.teardown();
});

describe('the product on an external Temporal', () => {
  it('uses it instead of starting its own, and registers the search attributes there', async () => {
    expect(product!.temporalAddress).toBe(env!.address);
    expect(product!.output()).toContain('"embedded":false');
    const files = await fs.readdir(dataDir!);
    expect(files).not.toContain('temporal.db');
    expect(files).not.toContain('api-token');
    const { customAttributes } = await env!.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const name of ['ClusterName', 'ClusterEngine', 'ClusterOperation'])
      expect(customAttributes?.[name]).toBe(KEYWORD);
    expect((await product!.api<{ status: string }>('GET', '/healthz')).body.status).toBe('ok');
  });

  it('serves credentials to admin tokens only, as problem documents otherwise', async () => {
    const unknown = await product!.api<{ status: number; detail: string }>('GET', '/v1/clusters/nosuch/credentials');
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toContain('application/problem+json');
    expect(unknown.body.detail).toContain('nosuch');

    const reader = await product!.api<{ detail: string }>('GET', '/v1/clusters/nosuch/credentials', undefined, READER);
    expect(reader.status).toBe(403);
    expect(reader.body.detail).toMatch(/grafana has the read role/);
    expect((await product!.api('GET', '/v1/clusters', undefined, READER)).status).toBe(200);

    const stranger = await product!.api('GET', '/v1/clusters/nosuch/credentials', undefined, 'not-a-token-at-all');
    expect(stranger.status).toBe(401);
    const badName = await product!.api<{ status: number }>('GET', '/v1/clusters/No_Such/credentials');
    expect(badName.status).toBe(400);
  });

  it('stops with exit 0 and leaves the external server running', async () => {
    expect(await product!.stop('SIGTERM')).toBe(0);
    const { serverVersion } = await env!.connection.workflowService.getSystemInfo({});
    expect(typeof serverVersion).toBe('string');
  });
});

/** Runs the main command to its end (a start that fails), with its output. */
function runMain(variables: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'api', 'main.ts')], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, ...variables },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.once('close', (status) => resolve({ status, output }));
  });
}

describe('a bad configuration', () => {
  it('stops the product before it starts anything, naming the variable', async () => {
    const run = await runMain({ DATA_DIR: path.join(dataDir!, 'never-created'), PORT: 'eighty' });
    expect(run.status).toBe(2);
    expect(run.output).toContain('configuration error: PORT must be a port number from 0 to 65535, not "eighty"');
    expect(existsSync(path.join(dataDir!, 'never-created'))).toBe(false);
  });

  it('refuses a port in use, cleaning up what it started, with a message saying what to do', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = await runMain({
        DATA_DIR: path.join(dataDir!, 'busy'),
        PORT: String(port),
        TEMPORAL_ADDRESS: env!.address,
      });
      expect(run.status).toBe(2);
      expect(run.output).toContain(`PORT ${port} on 127.0.0.1 is in use; set PORT (and HOST) to a free address`);
      expect(run.output).toMatch(/"reason":"startup failed"/);
    } finally {
      blocker.close();
    }
  });
});
