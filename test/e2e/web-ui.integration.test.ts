/**
 * The Temporal Web UI as a person uses it, in headless Chromium, against the product's main command
 * (real API, embedded devserver, UI server, worker and Redis nodes): sign in; find a cluster's runs
 * by ClusterName; read a promote's history decoded as an admin and encrypted as a reader; a backup
 * schedule's spec; a running operation's pending activity; the entity's `state` query. Screenshots
 * land in test-artifacts/web-ui/.
 */
import net from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProduct, makeDataDir, pollUntil, startProductProcess, type ProductProcess } from './runtime-product';
import {
  launchBrowser,
  openSession,
  pageText,
  screenshot,
  signIn,
  waitForText,
  type UiSession,
} from './web-ui-browser';

const CLUSTER = 'webui';
const ADMIN_TOKEN = 'webui-admin-token-0123456789abcdef';
const READ_TOKEN = 'webui-read-token-0123456789abcdef';
const NS = '/namespaces/default';

let dataDir: string | undefined;
let product: ProductProcess | undefined;
let browser: Browser | undefined;
const sessions: UiSession[] = [];
let ui: string;

async function operationEnds(id: string): Promise<void> {
  await pollUntil(
    `operation ${id}`,
    () => product!.api<{ status: string }>('GET', `/v1/operations/${encodeURIComponent(id)}`),
    (answer) => answer.status === 200 && answer.body.status !== 'running',
    120_000,
  );
}

async function startOperation(path: string, body: unknown): Promise<string> {
  const answer = await product!.api<{ operationId: string }>('POST', path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.body.operationId;
}

/** Temporal's HTTP API on the UI port, as a script calls it. */
async function httpApi<T>(path: string, token?: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${ui}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function session(token: string, startPath = '/'): Promise<UiSession> {
  const opened = await openSession(browser!);
  sessions.push(opened);
  await signIn(opened, ui, token, startPath);
  return opened;
}

async function runIdOf(workflowId: string): Promise<string> {
  const described = await httpApi<{ workflowExecutionInfo: { execution: { runId: string } } }>(
    `/api/v1${NS}/workflows/${encodeURIComponent(workflowId)}`,
    ADMIN_TOKEN,
  );
  expect(described.status).toBe(200);
  return described.body.workflowExecutionInfo.execution.runId;
}

beforeAll(async () => {
  dataDir = await makeDataDir('web-ui-');
  product = await startProductProcess({
    dataDir,
    env: { API_TOKENS: `admin:admin:${ADMIN_TOKEN},viewer:read:${READ_TOKEN}` },
  });
  ui = product.uiUrl!;
  const [deploy] = await Promise.all([
    startOperation('/v1/clusters', {
      name: CLUSTER,
      engine: 'redis',
      version: '7',
      mode: 'primary-replica',
      replicas: 1,
      plan: { cpu: 1, ramMb: 256, diskGb: 1 },
    }),
    launchBrowser().then((b) => (browser = b)),
  ]);
  await operationEnds(deploy);
  await operationEnds(
    await startOperation(`/v1/clusters/${CLUSTER}/nodes/${CLUSTER}2/promote`, { confirm: `${CLUSTER}2` }),
  );
}, 240_000);

afterAll(async () => {
  for (const opened of sessions) await opened.context.close().catch(() => undefined);
  await browser?.close();
  await cleanupProduct(product, dataDir);
});

describe('the Web UI served by the product', { timeout: 120_000 }, () => {
  it('is announced at start-up and answers nobody without a token', async () => {
    expect(product!.output()).toContain(`Temporal Web UI on ${ui}`);
    expect((await httpApi(`/api/v1${NS}/workflows`)).status).toBe(401);
    expect((await httpApi(`/api/v1${NS}/workflows`, 'not-a-token-at-all-00000')).status).toBe(401);
    expect((await httpApi('/api/v1/settings')).status).toBe(401);
    const page = await fetch(`${ui}${NS}/workflows`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/signin?next=${encodeURIComponent(`${NS}/workflows`)}`);
  });

  it('signs in with a token into an HttpOnly SameSite=Strict session cookie, and signs out', async () => {
    const opened = await openSession(browser!);
    sessions.push(opened);
    const { page, context } = opened;
    await page.goto(`${ui}${NS}/workflows`);
    await page.waitForURL(/\/signin/);
    await page.fill('#token', 'wrong-token-0123456789');
    await page.click('button[type=submit]');
    await waitForText(page, 'That token is not valid');
    await screenshot(page, '01-sign-in-refused');

    await page.fill('#token', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${ui}${NS}/workflows`), page.click('button[type=submit]')]);
    await waitForText(page, `cluster:${CLUSTER}`);
    const cookies = await context.cookies(ui);
    const sessionCookie = cookies.find((c) => c.name === 'dbco_ui_session')!;
    expect(sessionCookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(sessionCookie.value).not.toContain(ADMIN_TOKEN);
    expect(cookies.find((c) => c.name === '_csrf')).toMatchObject({ httpOnly: false, sameSite: 'Strict' });

    // The cookie alone reads; a write with it also needs the CSRF header the UI sends.
    const cookieHeader = `dbco_ui_session=${sessionCookie.value}`;
    expect((await httpApi(`/api/v1${NS}/workflows`, undefined, { headers: { cookie: cookieHeader } })).status).toBe(
      200,
    );
    const forged = await httpApi(`/api/v1${NS}/workflows/cluster:${CLUSTER}/signal/nothing`, undefined, {
      method: 'POST',
      headers: { cookie: cookieHeader, 'content-type': 'application/json' },
      body: JSON.stringify({ workflowExecution: {} }),
    });
    expect(forged.status).toBe(403);

    await Promise.all([page.waitForURL(/\/signin$/), page.click('[data-testid=sign-out]')]);
    expect((await httpApi(`/api/v1${NS}/workflows`, undefined, { headers: { cookie: cookieHeader } })).status).toBe(
      401,
    );
  });

  it("lists the cluster's run and its operations' runs, filtered by ClusterName", async () => {
    const { page } = await session(ADMIN_TOKEN);
    await page.goto(`${ui}${NS}/workflows?query=${encodeURIComponent(`ClusterName="${CLUSTER}"`)}`);
    for (const id of [`cluster:${CLUSTER}:promote:2`, `cluster:${CLUSTER}:deploy:1`]) await waitForText(page, id);
    const text = await pageText(page);
    expect(text).toMatch(new RegExp(`Running cluster:${CLUSTER} `));
    expect(text).toContain(`ClusterName = "${CLUSTER}"`);
    await screenshot(page, '02-workflows-by-cluster-name');

    await page.goto(`${ui}${NS}/workflows?query=${encodeURIComponent('ClusterName="some-other-cluster"')}`);
    await waitForText(page, 'No Results');
    expect(await pageText(page)).not.toContain(`cluster:${CLUSTER}`);
  });

  it("renders a promote run's history with decoded inputs for an admin and encrypted ones for a read token", async () => {
    const run = await runIdOf(`cluster:${CLUSTER}:promote:2`);
    const historyPath = `${NS}/workflows/${encodeURIComponent(`cluster:${CLUSTER}:promote:2`)}/${run}/history`;

    const admin = await session(ADMIN_TOKEN, historyPath);
    await waitForText(admin.page, `"operationId": "cluster:${CLUSTER}:promote:2"`);
    await waitForText(admin.page, 'promoteNode');
    expect(admin.failures.filter((f) => f.url.includes('/codec/'))).toEqual([]);
    await screenshot(admin.page, '03-promote-history-admin');

    const reader = await session(READ_TOKEN, historyPath);
    // The payload as stored: encoding binary/encrypted (the UI shows metadata base64-encoded).
    await waitForText(reader.page, Buffer.from('binary/encrypted').toString('base64'));
    const text = await pageText(reader.page);
    expect(text).not.toContain('"operationId"');
    // A reader's UI is not pointed at the codec endpoint, and the endpoint refuses its session anyway.
    expect(text).not.toContain('Codec Server could not connect');
    const decode = await reader.page.evaluate(async () => {
      const answer = await fetch('/codec/decode', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
        body: JSON.stringify({ payloads: [] }),
      });
      return answer.status;
    });
    expect(decode).toBe(403);
    await screenshot(reader.page, '04-promote-history-read-token');
  });

  it("shows a backup schedule's spec", async () => {
    const { page } = await session(ADMIN_TOKEN, `${NS}/schedules`);
    await waitForText(page, `backup:${CLUSTER}:daily`);
    await page.goto(`${ui}${NS}/schedules/${encodeURIComponent(`backup:${CLUSTER}:daily`)}`);
    await waitForText(page, 'Schedule Spec');
    await waitForText(page, 'Upcoming Runs');
    const text = await pageText(page);
    expect(text).toContain('scheduledBackupWorkflow');
    expect(text).toMatch(/"hour": \[ \{ "start": \d+, "end": \d+/);
    await screenshot(page, '05-backup-schedule');
  });

  it("shows a running operation's pending activity", async () => {
    // A migration source that accepts connections and never answers: the migration's source check
    // stays pending for as long as it is up.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = await product!.api<{ migrationId: string }>('POST', `/v1/clusters/${CLUSTER}/migrations`);
      expect(started.status).toBe(202);
      const migration = `/v1/clusters/${CLUSTER}/migrations/${started.body.migrationId}`;
      const source = { host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, user: 'default' };
      const configuring = product!.api('POST', `${migration}/configure`, { source });
      const workflowId = `cluster:${CLUSTER}:migration:${started.body.migrationId}`;
      type Described = { pendingActivities?: { activityType: { name: string } }[] };
      const described = await pollUntil(
        'a pending activity',
        () => httpApi<Described>(`/api/v1${NS}/workflows/${encodeURIComponent(workflowId)}`, READ_TOKEN),
        (answer) => (answer.body.pendingActivities ?? []).length > 0,
        60_000,
        200,
      );
      const activity = described.body.pendingActivities![0].activityType.name;
      const run = await runIdOf(workflowId);
      const path = `${NS}/workflows/${encodeURIComponent(workflowId)}/${run}/pending-activities`;
      const { page } = await session(READ_TOKEN, path);
      await waitForText(page, activity);
      expect(await pageText(page)).toMatch(/Pending Activities 1/);
      await screenshot(page, '06-pending-activity');
      for (const socket of sockets) socket.destroy();
      await configuring;
      expect((await product!.api('POST', `${migration}/cancel`)).status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it("answers the cluster's `state` query from the UI", async () => {
    const run = await runIdOf(`cluster:${CLUSTER}`);
    const { page } = await session(
      ADMIN_TOKEN,
      `${NS}/workflows/${encodeURIComponent(`cluster:${CLUSTER}`)}/${run}/query`,
    );
    await waitForText(page, 'Query Type');
    await page.getByTestId('query-select-button').click();
    await page.getByRole('option', { name: 'state', exact: true }).click();
    await page.getByRole('button', { name: 'Run Query' }).click();
    await waitForText(page, `"name": "${CLUSTER}"`);
    expect(await pageText(page)).toContain('"engine": "redis"');
    await screenshot(page, '07-state-query');
  });

  it('says "not available" for the pages of server parts the devserver lacks, and shows the task queue', async () => {
    const opened = await session(READ_TOKEN);
    for (const path of ['/nexus', `${NS}/worker-deployments`, `${NS}/batch-operations`, `${NS}/archival`]) {
      await opened.page.goto(ui + path);
      await waitForText(opened.page, 'Not available here');
    }
    await screenshot(opened.page, '08-not-available');
    await opened.page.goto(`${ui}${NS}/task-queues/clusters`);
    await waitForText(opened.page, 'Workflow Task Handler');
    await screenshot(opened.page, '09-task-queue');
    expect(opened.errors).toEqual([]);
  });
});
