/**
 * The product's codec with the real worker on the devserver: its own client works as before (memo
 * and search attributes included, and the server's own unencrypted cancellation details), while a
 * client without the key, sending plain payloads, gets nothing acted on: its Update is rejected, its
 * query fails, its signal and its start fail their workflow task and change nothing.
 */
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depsFor, notUsedHere } from '../test/activities-support';
import {
  infoQuery,
  noteQuery,
  noteSignal,
  setNoteUpdate,
  type cancelNotStarted,
  type codecProbe,
} from '../test/codec-probe-workflows';
import { PRODUCT_SEARCH_ATTRIBUTES } from '../test/workflow-harness';
import { createLocalEnv, workflowBundle } from '../test/temporal-env';
import type { ProcessSupervisor } from '../vm/types';
import { loadPayloadCodec, REFUSED_ENCODING } from './codec';
import { createEngineRegistry } from './engine-registry';
import { createActivities } from './index';
import { createWorker } from './worker';

// The refused payloads fail workflow tasks on purpose; keep the runtime quiet about it.
Runtime.install({
  logger: new DefaultLogger('ERROR', () => undefined),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

const PROBES = path.join(__dirname, '..', 'test', 'codec-probe-workflows.ts');
const TASK_QUEUE = `codec-${randomBytes(4).toString('hex')}`;
const CLUSTER_NAME = defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD);

let env: TestWorkflowEnvironment;
let dataDir: string;
let worker: Worker;
let running: Promise<void>;
/** The product's client: encrypts, and refuses what it did not encrypt. */
let product: Client;
/** Anyone else who reaches the Temporal service: plain JSON payloads. */
let stranger: Client;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'codec-it-'));
  const [testEnv, bundle, { codec }] = await Promise.all([
    createLocalEnv(),
    workflowBundle(PROBES),
    loadPayloadCodec({ dataDir }),
  ]);
  env = testEnv;
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: PRODUCT_SEARCH_ATTRIBUTES,
  });
  const dataConverter = { payloadCodecs: [codec] };
  product = new Client({ connection: env.connection, namespace: 'default', dataConverter });
  stranger = new Client({ connection: env.connection, namespace: 'default' });
  worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    activities: createActivities(
      depsFor({ engines: createEngineRegistry({ supervisor: notUsedHere<ProcessSupervisor>('supervisor') }) }),
    ),
    workflowBundle: bundle,
    dataConverter,
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
  await rm(dataDir, { recursive: true, force: true });
});

/** Resolves once the run's history shows a failed workflow task; returns its failure message. */
async function workflowTaskFailure(workflowId: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const history = await product.workflow.getHandle(workflowId).fetchHistory();
    const failed = history.events?.find((event) => event.workflowTaskFailedEventAttributes);
    if (failed) return failed.workflowTaskFailedEventAttributes!.failure?.message ?? '';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no failed workflow task in ${workflowId} within 30 s`);
}

describe("the product's codec with the real worker", () => {
  it("works for the product's own client: start, Update, signal, query, memo and search attributes", async () => {
    const handle = await product.workflow.start<typeof codecProbe>('codecProbe', {
      taskQueue: TASK_QUEUE,
      workflowId: `codec-own-${randomBytes(3).toString('hex')}`,
      args: ['first'],
      memo: { owner: 'the product' },
      typedSearchAttributes: [{ key: CLUSTER_NAME, value: 'orders' }],
    });
    expect(await handle.executeUpdate(setNoteUpdate, { args: ['second'] })).toBe('second');
    await handle.signal(noteSignal, 'third');
    await expect.poll(() => handle.query(noteQuery, '!')).toBe('third!');
    expect(await handle.query(infoQuery)).toEqual({
      memo: { owner: 'the product' },
      searchAttributes: [['ClusterName', 'orders']],
    });
    await handle.signal(noteSignal, 'done');
    expect(await handle.result()).toBe('done');
  });

  it("accepts the server's own unencrypted cancellation details of an activity that never started", async () => {
    const result = await product.workflow.execute<typeof cancelNotStarted>('cancelNotStarted', {
      taskQueue: TASK_QUEUE,
      workflowId: `codec-cancel-${randomBytes(3).toString('hex')}`,
      args: [`${TASK_QUEUE}-nobody-polls`],
    });
    expect(result).toBe('cancelled');
  });

  it('rejects an Update with plain arguments and changes nothing', async () => {
    const workflowId = `codec-update-${randomBytes(3).toString('hex')}`;
    const handle = await product.workflow.start<typeof codecProbe>('codecProbe', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: ['kept'],
    });
    const forged = stranger.workflow.getHandle(workflowId);
    const error = await forged.executeUpdate(setNoteUpdate, { args: ['forged'] }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((error as WorkflowUpdateFailedError).cause?.message)).toContain(REFUSED_ENCODING);
    // A query with plain arguments fails too; the product's own query shows nothing changed.
    await expect(forged.query(noteQuery, '!')).rejects.toThrow(REFUSED_ENCODING);
    expect(await handle.query(noteQuery)).toBe('kept');
    await handle.signal(noteSignal, 'done');
    expect(await handle.result()).toBe('done');
  });

  it('fails the workflow task of a plain signal instead of acting on it', async () => {
    const workflowId = `codec-signal-${randomBytes(3).toString('hex')}`;
    const handle = await product.workflow.start<typeof codecProbe>('codecProbe', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: ['kept'],
    });
    expect(await handle.query(noteQuery)).toBe('kept');
    await stranger.workflow.getHandle(workflowId).signal(noteSignal, 'done');
    expect(await workflowTaskFailure(workflowId)).toContain(REFUSED_ENCODING);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test over');
  });

  it('never runs a workflow started with plain arguments', async () => {
    const workflowId = `codec-start-${randomBytes(3).toString('hex')}`;
    await stranger.workflow.start<typeof codecProbe>('codecProbe', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: ['done'],
    });
    expect(await workflowTaskFailure(workflowId)).toContain(REFUSED_ENCODING);
    const handle = product.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test over');
  });
});
