import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowBundle } from '../../test/temporal-env';
import * as activities from './fixtures/activities';
import { type DevserverProcess, freePort, startDevserver } from './fixtures/devserver-process';
import * as workflows from './fixtures/workflows';

const taskQueue = 'journal';
let dir: string;
let port: number;
let server: DevserverProcess;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'devserver-journal-'));
  port = await freePort();
  server = await startDevserver(port, ['--db-filename', path.join(dir, 'journal.db')]);
  nativeConnection = await NativeConnection.connect({ address: server.address });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(path.join(__dirname, 'fixtures', 'workflows')),
    activities,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
  await server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

describe('crash-safe journal', () => {
  it('loses nothing acknowledged when the devserver is SIGKILLed mid-workflow', async () => {
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { CrashTag: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
    const handle = await client.workflow.start(workflows.survivesCrash, {
      taskQueue,
      workflowId: 'crash-1',
      args: [1500],
      searchAttributes: { CrashTag: ['before-crash'] },
    });
    await handle.signal(workflows.noteSignal, 'one');
    // Activity in flight and the 3 s timer pending.
    await waitUntil(async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.state === 2) ?? false);
    await handle.signal(workflows.noteSignal, 'two');
    await server.kill('SIGKILL');

    server = await startDevserver(port, ['--db-filename', path.join(dir, 'journal.db')]);
    expect(server.output()).toMatch(/journal recovered/);

    await handle.signal(workflows.noteSignal, 'three');
    await handle.signal(workflows.doneSignal);
    const result = await handle.result();
    expect(result.notes).toEqual(['one', 'two', 'three']);
    expect(result.activity).toBe('activity result');
    expect(result.timerFired).toBe(true);

    // Registered search attributes and the run's visibility survived too.
    const listed = [];
    for await (const wf of client.workflow.list({ query: "CrashTag = 'before-crash'" })) listed.push(wf.workflowId);
    expect(listed).toEqual(['crash-1']);
  });

  it('keeps completed workflows and their histories across restarts', async () => {
    const result = await client.workflow.execute(workflows.greeting, {
      taskQueue,
      workflowId: 'kept-1',
      args: ['journal'],
    });
    expect(result).toBe('Hello, journal!');
    const before = await client.workflow.getHandle('kept-1').fetchHistory();
    await server.kill('SIGKILL');
    server = await startDevserver(port, ['--db-filename', path.join(dir, 'journal.db')]);
    const after = await client.workflow.getHandle('kept-1').fetchHistory();
    expect(after.events).toEqual(before.events);
    expect(await client.workflow.getHandle('kept-1').result()).toBe('Hello, journal!');
  });

  it('answers queries after a restart although the worker that held the run in its sticky cache is gone', async () => {
    const queryQueue = 'journal-query';
    const bundle = await workflowBundle(path.join(__dirname, 'fixtures', 'workflows'));
    const firstWorker = await Worker.create({
      connection: nativeConnection,
      taskQueue: queryQueue,
      workflowBundle: bundle,
    });
    const handle = await firstWorker.runUntil(async () => {
      const started = await client.workflow.start(workflows.accumulator, {
        taskQueue: queryQueue,
        workflowId: 'query-1',
      });
      await started.signal(workflows.addSignal, 2);
      expect(await started.query(workflows.totalQuery)).toBe(2);
      return started;
    });
    await server.kill('SIGKILL');
    server = await startDevserver(port, ['--db-filename', path.join(dir, 'journal.db')]);

    // A different worker (another sticky queue) now serves the task queue: the query must reach it.
    const secondWorker = await Worker.create({
      connection: nativeConnection,
      taskQueue: queryQueue,
      workflowBundle: bundle,
    });
    await secondWorker.runUntil(async () => {
      expect(await handle.query(workflows.totalQuery)).toBe(2);
      await handle.signal(workflows.doneSignal);
      expect(await handle.result()).toBe(2);
    });
  });

  it('keeps schedules (and their changes) across a SIGKILL', async () => {
    const handle = await client.schedule.create({
      scheduleId: 'journal-schedule',
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'greeting', taskQueue, args: ['schedule'] },
    });
    await handle.pause('paused before the crash');
    await server.kill('SIGKILL');
    server = await startDevserver(port, ['--db-filename', path.join(dir, 'journal.db')]);
    const described = await client.schedule.getHandle('journal-schedule').describe();
    expect(described.state.paused).toBe(true);
    expect(described.state.note).toBe('paused before the crash');
    expect(described.spec.intervals?.[0]?.every).toBe(3_600_000);
  });
});
