/**
 * Temporal's HTTP API on the devserver's UI port: the calls the Web UI and scripts make, answered by
 * the same handlers as gRPC (a run started over gRPC is read, queried, signalled and terminated over
 * HTTP), errors as Temporal's HTTP API returns them, the embedder's authorization hook, and the site
 * (index.html for the UI's own paths, no path out of the site directory).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowBundle } from '../../test/temporal-env';
import type { ApiAccess } from '../src/http/api';
import { DevServer } from '../src/server';
import * as activities from './fixtures/activities';
import * as workflows from './fixtures/workflows';

const TASK_QUEUE = 'http-api';
const READ_TOKEN = 'reader';
let server: DevServer;
let client: Client;
let connection: Connection;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let base: string;
let siteDir: string;
const seen: ApiAccess[] = [];

beforeAll(async () => {
  siteDir = await fs.mkdtemp(path.join(tmpdir(), 'http-api-site-'));
  await fs.mkdir(path.join(siteDir, '_app'));
  await fs.writeFile(path.join(siteDir, 'index.html'), '<!doctype html><title>ui</title>');
  await fs.writeFile(path.join(siteDir, '_app', 'app.js'), 'console.log(1)');
  await fs.writeFile(path.join(path.dirname(siteDir), 'outside-the-site.txt'), 'secret');
  server = new DevServer({
    port: 0,
    ip: '127.0.0.1',
    namespaces: ['default'],
    timeSkipping: false,
    searchAttributes: [{ name: 'ClusterName', type: 'Keyword' }],
    ui: {
      host: '127.0.0.1',
      port: 0,
      siteDir,
      settings: () => ({ DefaultNamespace: 'default' }),
      // A read-only caller (by header) may not write; everyone else may.
      authorize: (req, access) => {
        seen.push(access);
        return req.headers['x-caller'] === READ_TOKEN && access.write
          ? { allow: false, status: 403, message: 'read only' }
          : { allow: true };
      },
    },
  });
  await server.start();
  base = `http://127.0.0.1:${server.uiPort}`;
  connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  client = new Client({ connection });
  nativeConnection = await NativeConnection.connect({ address: `127.0.0.1:${server.port}` });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(path.join(__dirname, 'fixtures', 'workflows')),
    activities,
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
  await server?.stop();
  await fs.rm(siteDir, { recursive: true, force: true });
  await fs.rm(path.join(path.dirname(siteDir), 'outside-the-site.txt'), { force: true });
});

async function call<T = Record<string, unknown>>(
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(base + urlPath, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
}

describe('reading what the gRPC side wrote', () => {
  it('lists, counts, describes and reads the history of a run, in proto3 JSON', async () => {
    const handle = await client.workflow.start(workflows.updatable, {
      taskQueue: TASK_QUEUE,
      workflowId: 'cluster:shop:http/1',
      searchAttributes: { ClusterName: ['shop'] },
    });
    await handle.executeUpdate(workflows.setValueUpdate, { args: [41] });

    const query = encodeURIComponent('ClusterName = "shop"');
    const listed = await call<{ executions: { execution: { workflowId: string }; status: string }[] }>(
      'GET',
      `/api/v1/namespaces/default/workflows?query=${query}`,
    );
    expect(listed.status).toBe(200);
    expect(listed.body.executions.map((e) => [e.execution.workflowId, e.status])).toEqual([
      ['cluster:shop:http/1', 'WORKFLOW_EXECUTION_STATUS_RUNNING'],
    ]);
    const none = await call(
      'GET',
      `/api/v1/namespaces/default/workflows?query=${encodeURIComponent('ClusterName = "x"')}`,
    );
    expect(none.body).toEqual({});
    const counted = await call<{ count: string; groups: unknown[] }>(
      'GET',
      `/api/v1/namespaces/default/workflow-count?query=${encodeURIComponent('GROUP BY ExecutionStatus')}`,
    );
    expect(Number(counted.body.count)).toBeGreaterThanOrEqual(1);

    const id = encodeURIComponent('cluster:shop:http/1');
    type Describe = { workflowExecutionInfo: { startTime: string; historyLength: string; type: { name: string } } };
    const described = await call<Describe>('GET', `/api/v1/namespaces/default/workflows/${id}`);
    expect(described.status).toBe(200);
    expect(described.body.workflowExecutionInfo.type.name).toBe('updatable');
    expect(described.body.workflowExecutionInfo.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(described.body.workflowExecutionInfo.historyLength).toMatch(/^\d+$/);

    type History = { history: { events: { eventType: string; eventId: string; [k: string]: unknown }[] } };
    const history = await call<History>('GET', `/api/v1/namespaces/default/workflows/${id}/history`);
    const events = history.body.history.events;
    expect(events[0]).toMatchObject({ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' });
    const accepted = events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED') as unknown as {
      workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { input: { args: { payloads: unknown[] } } } };
    };
    const [payload] = accepted.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads as {
      metadata: { encoding: string };
      data: string;
    }[];
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(payload.data, 'base64').toString()).toBe('41');
  });

  it('queries, signals and terminates over HTTP, the writes through the authorization hook', async () => {
    const handle = await client.workflow.start(workflows.updatable, { taskQueue: TASK_QUEUE, workflowId: 'http-2' });
    await handle.executeUpdate(workflows.setValueUpdate, { args: [7] });
    seen.length = 0;
    const queried = await call<{ queryResult: { payloads: { data: string }[] } }>(
      'POST',
      '/api/v1/namespaces/default/workflows/http-2/query/value',
      { query: {} },
      { 'x-caller': READ_TOKEN },
    );
    expect(queried.status).toBe(200);
    expect(Buffer.from(queried.body.queryResult.payloads[0].data, 'base64').toString()).toBe('7');
    expect(seen).toEqual([{ method: 'QueryWorkflow', write: false }]);

    const refused = await call(
      'POST',
      '/api/v1/namespaces/default/workflows/http-2/terminate',
      {},
      { 'x-caller': READ_TOKEN },
    );
    expect(refused).toMatchObject({ status: 403, body: { code: 7, message: 'read only' } });

    const signalled = await call('POST', '/api/v1/namespaces/default/workflows/http-2/signal/finish', {});
    expect(signalled.status).toBe(200);
    expect(await handle.result()).toBe(7);

    const other = await client.workflow.start(workflows.updatable, { taskQueue: TASK_QUEUE, workflowId: 'http-3' });
    const terminated = await call('POST', '/api/v1/namespaces/default/workflows/http-3/terminate', {
      reason: 'by HTTP',
    });
    expect(terminated.status).toBe(200);
    expect((await other.describe()).status.name).toBe('TERMINATED');
  });
});

describe('errors, as Temporal HTTP API answers them', () => {
  it('answers an unknown run 404 with its typed detail', async () => {
    const answer = await call(
      'GET',
      '/api/v1/namespaces/default/workflows/nope?execution.runId=00000000-0000-0000-0000-000000000000',
    );
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({
      code: 5,
      details: [{ '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NotFoundFailure' }],
    });
  });

  it('answers bad input 400 naming it, and never 5xx', async () => {
    const badQuery = await call(
      'GET',
      `/api/v1/namespaces/default/workflows?query=${encodeURIComponent('Nope = 1 AND')}`,
    );
    expect(badQuery.status).toBe(400);
    expect(badQuery.body).toMatchObject({ code: 3 });
    const badField = await call('GET', '/api/v1/namespaces/default/workflows?pageSize=many');
    expect(badField).toMatchObject({ status: 400, body: { code: 3, message: 'pageSize: expected an integer' } });
    const badJson = await call('POST', '/api/v1/namespaces/default/workflows/http-2/terminate', '{not json');
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ code: 3, message: expect.stringContaining('not JSON') });
    const badEnum = await call('POST', '/api/v1/namespaces/default/workflows/http-2/reset', {
      resetReapplyType: 'SOMETIMES',
    });
    expect(badEnum).toMatchObject({ status: 400, body: { message: expect.stringContaining('resetReapplyType') } });
  });

  it('answers a method the devserver lacks 404 (code 12), a wrong HTTP method 405, an unknown path 404', async () => {
    const nexus = await call('GET', '/api/v1/nexus/endpoints');
    expect(nexus).toMatchObject({
      status: 404,
      body: { code: 12, message: expect.stringContaining('ListNexusEndpoints') },
    });
    const wrongMethod = await call('DELETE', '/api/v1/namespaces/default/workflows');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect((await call('GET', '/api/v1/no/such/thing')).status).toBe(404);
  });
});

describe('the site', () => {
  it("answers the UI's settings with its version", async () => {
    const settings = await call<{ Version: string; DefaultNamespace: string }>('GET', '/api/v1/settings');
    expect(settings.body).toMatchObject({ Version: '2.38.0', DefaultNamespace: 'default' });
  });

  it("serves files, index.html for the UI's own paths, and nothing outside the site", async () => {
    const asset = await fetch(`${base}/_app/app.js`);
    expect(asset.headers.get('content-type')).toContain('javascript');
    const page = await fetch(`${base}/namespaces/default/workflows/x/y/history`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>ui</title>');
    for (const escape of ['/../outside-the-site.txt', '/%2e%2e/outside-the-site.txt', '/..%2foutside-the-site.txt']) {
      const answer = await fetch(`${base}${escape}`);
      expect(await answer.text(), escape).not.toContain('secret');
    }
    expect((await fetch(`${base}/anything`, { method: 'POST' })).status).toBe(405);
  });
});
