/**
 * The product's main command as a process: it starts on a fresh data directory (token and key
 * generated, private), deploys a Redis cluster over HTTP, keeps every secret out of Temporal's
 * histories (raw bytes, no codec) and out of its own log, stops on SIGTERM with exit 0 leaving no
 * engine process behind, and on the next start resumes the cluster with its data.
 */
import { Connection, Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import Redis from 'ioredis';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPayloadCodec } from '../../activities/codec';
import { clusterWorkflowId, credentialsQuery } from '../../workflows/cluster-api';
import type { ClusterView, Credentials } from '../../workflows/types';
import {
  cleanupProduct,
  freePort,
  makeDataDir,
  pollUntil,
  recordedProcesses,
  startProductProcess,
  type ProductProcess,
} from './runtime-product';

const CLUSTER = 'runtime-cache';
const SOURCE_PASSWORD = `src-${randomBytes(12).toString('hex')}`;

let dataDir: string | undefined;
let product: ProductProcess | undefined;
/** Every product process started, so a failed test cannot leave one running. */
const started: ProductProcess[] = [];
let source: ChildProcess | undefined;
let sourcePort: number;
/** Output of product runs that already ended (the log check covers every run). */
const pastOutput: string[] = [];

beforeAll(async () => {
  dataDir = await makeDataDir('runtime-lifecycle-');
  sourcePort = await freePort();
  // The external source of the migration: a Redis with a password nobody else knows.
  source = spawn(
    'redis-server',
    [
      '--port',
      String(sourcePort),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      SOURCE_PASSWORD,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  await pollUntil(
    'source redis up',
    async () => {
      const client = new Redis({
        port: sourcePort,
        password: SOURCE_PASSWORD,
        lazyConnect: true,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined); // refused while the server starts: polled again
      try {
        await client.connect();
        await client.set('legacy:key', 'value');
        return true;
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    },
    Boolean,
    20_000,
    200,
  );
});

afterAll(async () => {
  source?.kill('SIGKILL');
  for (const run of started.slice(0, -1)) await cleanupProduct(run, undefined);
  await cleanupProduct(started.at(-1), dataDir);
});

async function startProduct(): Promise<ProductProcess> {
  const run = await startProductProcess({ dataDir: dataDir! });
  started.push(run);
  return run;
}

const state = (p: ProductProcess) => p.api<ClusterView>('GET', `/v1/clusters/${CLUSTER}`);
const idle = (view: ClusterView) => view.status === 'running' && !view.operation;

async function readThroughEndpoint(info: { host: string; port: number; user: string; password: string }) {
  const client = new Redis({
    host: info.host,
    port: info.port,
    username: info.user,
    password: info.password,
    lazyConnect: true,
  });
  try {
    await client.connect();
    return await client.get('greeting');
  } finally {
    client.disconnect();
  }
}

describe('the product process', { timeout: 240_000 }, () => {
  let credentials: Credentials;
  let connection: { host: string; port: number; user: string; password: string };

  it('starts on a fresh data directory with a private token and key, and says how to use the token', async () => {
    product = await startProduct();
    for (const file of ['api-token', 'codec.key']) {
      expect((await fs.stat(path.join(dataDir!, file))).mode & 0o777).toBe(0o600);
    }
    expect(logMessages(product.output()).join('\n')).toContain(
      `curl -H "Authorization: Bearer $(cat ${path.join(dataDir!, 'api-token')})" ${product.url}/v1/clusters`,
    );
    expect(product.output()).not.toContain(product.token);
    expect(await fs.stat(path.join(dataDir!, 'temporal.db'))).toBeTruthy();
  });

  it('deploys a Redis cluster over HTTP and serves its credentials to admin tokens only', async () => {
    const created = await product!.api<{ operationId: string }>('POST', '/v1/clusters', {
      name: CLUSTER,
      engine: 'redis',
      version: '7',
      mode: 'primary-replica',
      replicas: 1,
      plan: { cpu: 1, ramMb: 256, diskGb: 1 },
    });
    expect(created.status).toBe(202);
    expect(created.body.operationId).toBe(`cluster:${CLUSTER}:deploy:1`);
    const view = await pollUntil(
      'cluster running',
      () => state(product!),
      (a) => idle(a.body),
    );
    expect(view.body.nodes).toHaveLength(2);

    const answer = await product!.api<typeof connection & { uri: string }>(
      'GET',
      `/v1/clusters/${CLUSTER}/credentials`,
    );
    expect(answer.status).toBe(200);
    connection = answer.body;
    // The application owner, never the product's admin.
    expect(connection).toMatchObject({
      host: view.body.endpoint!.host,
      port: view.body.endpoint!.port,
      user: 'owner',
    });
    expect(answer.body.uri).toBe(
      `redis://owner:${encodeURIComponent(connection.password)}@${connection.host}:${connection.port}`,
    );
    const client = new Redis({ ...connection, username: connection.user, lazyConnect: true });
    await client.connect();
    await client.set('greeting', 'hello');
    client.disconnect();

    // The codec key is the product's; with it the full credentials (replication's too) can be read.
    const { codec } = await loadPayloadCodec({ dataDir: dataDir! });
    const temporalConnection = await Connection.connect({ address: product!.temporalAddress });
    try {
      const client = new Client({ connection: temporalConnection, dataConverter: { payloadCodecs: [codec] } });
      credentials = await client.workflow.getHandle(clusterWorkflowId(CLUSTER)).query(credentialsQuery);
    } finally {
      await temporalConnection.close();
    }
    expect(credentials.ownerPassword).toBe(connection.password);
    expect(credentials.adminPassword).not.toBe(connection.password);
    expect(credentials.replicationPassword.length).toBeGreaterThanOrEqual(16);
  });

  it("keeps its files to itself and the product's environment out of every engine and front", async () => {
    const mode = async (file: string) => (await fs.stat(path.join(dataDir!, file))).mode & 0o777;
    // DATA_DIR is the product user's; as root, the database users may only pass through it (ACL).
    expect((await mode('.')) & 0o067 & ~0o010).toBe(0);
    for (const file of ['temporal.db', 'api-token', 'codec.key', 'vm/state.json', `audit/${CLUSTER}.jsonl`]) {
      expect(await mode(file), file).toBe(0o600);
    }
    for (const dir of ['audit', 'backups']) expect(await mode(dir), dir).toBe(0o700);
    if (process.getuid?.() === 0) {
      // Neither another local user nor a database server's user reads the journal, keys, audit or backups.
      for (const user of ['nobody', 'redis']) {
        for (const target of ['temporal.db', 'codec.key', 'api-token', `audit/${CLUSTER}.jsonl`, 'backups', '.']) {
          const read = spawnSync('runuser', ['-u', user, '--', 'cat', path.join(dataDir!, target)], {
            encoding: 'utf8',
          });
          expect(read.status, `${user} reads ${target}`).not.toBe(0);
          expect(read.stderr).toMatch(/Permission denied|Is a directory/);
        }
        const list = spawnSync('runuser', ['-u', user, '--', 'ls', dataDir!], { encoding: 'utf8' });
        expect(list.stderr, `${user} lists DATA_DIR`).toMatch(/Permission denied/);
      }
    }
    const allowed = new Set(['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ']);
    const processes = (await recordedProcesses(dataDir!)).filter((p) => p.alive);
    expect(processes.length).toBeGreaterThanOrEqual(5);
    for (const { key, pid } of processes) {
      const names = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((entry) => entry.slice(0, entry.indexOf('=')));
      expect(
        names.filter((name) => !allowed.has(name)),
        key,
      ).toEqual([]);
    }
  });

  it('takes the source password of a migration and keeps it, and the generated passwords, out of every history', async () => {
    const started = await product!.api<{ migrationId: string }>('POST', `/v1/clusters/${CLUSTER}/migrations`);
    expect(started.status).toBe(202);
    const migration = `/v1/clusters/${CLUSTER}/migrations/${started.body.migrationId}`;
    const configured = await product!.api<{ step: string }>('POST', `${migration}/configure`, {
      source: { host: '127.0.0.1', port: sourcePort, user: 'default', password: SOURCE_PASSWORD },
    });
    expect(configured.status).toBe(200);
    expect(configured.body.step).toBe('validate');
    expect((await product!.api('POST', `${migration}/cancel`)).status).toBe(200);
    await pollUntil(
      'migration ended',
      () => state(product!),
      (a) => idle(a.body),
    );

    const secrets = [
      credentials.adminPassword,
      credentials.replicationPassword,
      credentials.ownerPassword!,
      SOURCE_PASSWORD,
    ];
    const histories = await rawHistories(product!.temporalAddress);
    const ids = histories.map((h) => h.workflowId);
    expect(ids).toEqual(
      expect.arrayContaining([
        clusterWorkflowId(CLUSTER),
        `cluster:${CLUSTER}:deploy:1`,
        `cluster:${CLUSTER}:migration:${started.body.migrationId}`,
      ]),
    );
    for (const { workflowId, bytes, encryptedPayloads } of histories) {
      for (const secret of secrets) {
        expect(bytes.includes(Buffer.from(secret)), `${workflowId} holds a secret`).toBe(false);
      }
      if (workflowId.startsWith(`cluster:${CLUSTER}`)) expect(encryptedPayloads).toBeGreaterThan(0);
    }
    // The migration's history did carry the source (encrypted): it ran the check with it.
    const migrationHistory = histories.find((h) => h.workflowId.includes(':migration:'))!;
    expect(migrationHistory.bytes.includes(Buffer.from('checkSource'))).toBe(true);

    for (const secret of [...secrets, product!.token]) expect(product!.output()).not.toContain(secret);
  });

  it('stops on SIGTERM with exit 0, and no engine process outlives it', async () => {
    const before = await recordedProcesses(dataDir!);
    expect(before.filter((p) => p.alive).length).toBeGreaterThanOrEqual(5); // 2 engines, 2 firewalls, 1 endpoint
    const code = await product!.stop('SIGTERM');
    pastOutput.push(product!.output());
    expect(code, product!.output().slice(-3000)).toBe(0);
    expect(product!.output()).toMatch(/"msg":"stopped"/);
    const after = await recordedProcesses(dataDir!);
    expect(after.filter((p) => p.alive)).toEqual([]);
    for (const { pid } of before) expect(isRunning(pid), `pid ${pid}`).toBe(false);
  });

  it('starts again on the same data directory: same token, the cluster and its data back', async () => {
    const firstToken = product!.token;
    product = await startProduct();
    expect(product.token).toBe(firstToken);
    expect(product.output()).not.toContain('generated an admin API token');
    const view = await pollUntil(
      'cluster answers',
      () => state(product!),
      (a) => a.status === 200 && idle(a.body),
    );
    expect(view.body.nodes.every((n) => n.status === 'running')).toBe(true);
    expect(await readThroughEndpoint(connection)).toBe('hello');
    expect((await recordedProcesses(dataDir!)).filter((p) => p.alive).length).toBeGreaterThanOrEqual(5);
  });

  it('deletes the cluster and stops again, leaving nothing running', async () => {
    const deleted = await product!.api('DELETE', `/v1/clusters/${CLUSTER}`, {
      confirm: CLUSTER,
      skipFinalBackup: true,
    });
    expect(deleted.status).toBe(202);
    await pollUntil(
      'cluster deleted',
      () => state(product!),
      (a) => a.status === 404 || (a.body as ClusterView).status === 'deleted',
    );
    expect(await product!.stop('SIGINT')).toBe(0);
    pastOutput.push(product!.output());
    expect((await recordedProcesses(dataDir!)).filter((p) => p.alive)).toEqual([]);
    for (const output of pastOutput) {
      for (const secret of [
        credentials.adminPassword,
        credentials.replicationPassword,
        credentials.ownerPassword!,
        SOURCE_PASSWORD,
        product!.token,
      ]) {
        expect(output).not.toContain(secret);
      }
    }
  });
});

/** The `msg` of every JSON log line. */
function logMessages(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

interface RawHistory {
  workflowId: string;
  /** The history exactly as the server sends it (protobuf), no codec applied. */
  bytes: Buffer;
  encryptedPayloads: number;
}

/** Every execution's history in the namespace, read with a client that has no codec. */
async function rawHistories(address: string): Promise<RawHistory[]> {
  const connection = await Connection.connect({ address });
  try {
    const service = connection.workflowService;
    const executions: temporal.api.common.v1.IWorkflowExecution[] = [];
    let pageToken: Uint8Array | undefined;
    do {
      const page = await service.listWorkflowExecutions({ namespace: 'default', nextPageToken: pageToken });
      executions.push(...(page.executions ?? []).map((e) => e.execution!));
      pageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (pageToken);
    const histories: RawHistory[] = [];
    for (const execution of executions) {
      const chunks: Buffer[] = [];
      let encryptedPayloads = 0;
      let historyToken: Uint8Array | undefined;
      do {
        const response = await service.getWorkflowExecutionHistory({
          namespace: 'default',
          execution,
          nextPageToken: historyToken,
        });
        const bytes = Buffer.from(
          temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(response).finish(),
        );
        chunks.push(bytes);
        encryptedPayloads += bytes.toString('latin1').split('binary/encrypted').length - 1;
        historyToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
      } while (historyToken);
      histories.push({ workflowId: execution.workflowId!, bytes: Buffer.concat(chunks), encryptedPayloads });
    }
    return histories;
  } finally {
    await connection.close();
  }
}
