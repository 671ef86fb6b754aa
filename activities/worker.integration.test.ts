/**
 * The worker on the devserver: failures reach workflows with their type and retry behaviour, and
 * shutting the worker down lets a running activity finish and report its result.
 */
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeNotReadyError } from '../engines/errors';
import { depsFor, notUsedHere } from '../test/activities-support';
import type { probeNotify, probeUnavailableEngine } from '../test/activities-probe-workflows';
import { createLocalEnv, workflowBundle } from '../test/temporal-env';
import type { ProcessSupervisor } from '../vm/types';
import type { NotificationEvent } from './contract';
import { createEngineRegistry } from './engine-registry';
import { createActivities } from './index';
import type { Notifier } from './notifier';
import { createWorker } from './worker';

// Quiet: the failures these tests provoke are expected. Must come before anything uses the runtime.
Runtime.install({ logger: new DefaultLogger('ERROR') });

const PROBES = path.join(__dirname, '..', 'test', 'activities-probe-workflows.ts');

const event = (operationId: string): NotificationEvent => ({
  cluster: 'orders',
  operation: 'backup',
  operationId,
  outcome: 'succeeded',
  detail: 'done',
  at: '2026-03-01T10:00:00.000Z',
});

describe('createWorker', () => {
  let env: TestWorkflowEnvironment;
  let bundle: Awaited<ReturnType<typeof workflowBundle>>;
  let taskQueueCount = 0;

  beforeAll(async () => {
    [env, bundle] = await Promise.all([createLocalEnv(), workflowBundle(PROBES)]);
  });

  afterAll(async () => {
    await env?.teardown();
  });

  const workerWith = (notifier: Notifier, taskQueue: string, shutdownGraceMs?: number): Promise<Worker> =>
    createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      activities: createActivities(
        depsFor({
          engines: createEngineRegistry({ supervisor: notUsedHere<ProcessSupervisor>('supervisor') }),
          notifier,
        }),
      ),
      workflowBundle: bundle,
      ...(shutdownGraceMs !== undefined ? { shutdownGraceMs } : {}),
    });

  const nextTaskQueue = () => `activities-worker-${process.pid}-${++taskQueueCount}`;

  it("builds the product's workflows by default, and refuses a path and a bundle together", async () => {
    const base = {
      connection: env.nativeConnection,
      namespace: env.namespace,
      activities: createActivities(depsFor({})),
    };
    const product = await createWorker({ ...base, taskQueue: nextTaskQueue() });
    await product.runUntil(Promise.resolve());
    await expect(
      createWorker({ ...base, taskQueue: 'x', workflowsPath: PROBES, workflowBundle: bundle }),
    ).rejects.toThrow(/workflowsPath or workflowBundle, not both/);
  });

  it('delivers a final failure once, by type, and retries a passing one until it succeeds', async () => {
    let attempts = 0;
    const flaky: Notifier = {
      async notify() {
        attempts++;
        if (attempts < 3) throw new NodeNotReadyError('the webhook relay is starting');
      },
    };
    const taskQueue = nextTaskQueue();
    const worker = await workerWith(flaky, taskQueue);
    const outcome = await worker.runUntil(async () => {
      const unavailable = await env.client.workflow.execute<typeof probeUnavailableEngine>('probeUnavailableEngine', {
        taskQueue,
        workflowId: `${taskQueue}-unavailable`,
      });
      const notified = await env.client.workflow.execute<typeof probeNotify>('probeNotify', {
        taskQueue,
        workflowId: `${taskQueue}-notify`,
        args: [event('op-flaky')],
      });
      return { unavailable, notified };
    });
    expect(outcome.unavailable).toMatchObject({
      type: 'EngineUnavailableError',
      nonRetryable: true,
      retryState: 'NON_RETRYABLE_FAILURE',
    });
    expect(outcome.notified).toBe('notified');
    expect(attempts).toBe(3);
  });

  it('lets a running activity finish when the worker shuts down, and records its result', async () => {
    let calls = 0;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const slow: Notifier = {
      // Gives up when the worker cancels it, as backups and restores do.
      async notify() {
        calls++;
        started();
        await Promise.race([released, Context.current().cancelled]);
        finished = true;
      },
    };
    const taskQueue = nextTaskQueue();
    const first = await workerWith(slow, taskQueue, 30_000);
    const firstRun = first.run();
    try {
      const handle = await env.client.workflow.start<typeof probeNotify>('probeNotify', {
        taskQueue,
        workflowId: `${taskQueue}-slow`,
        args: [event('op-slow')],
      });
      await running;
      first.shutdown();
      expect(first.getState()).not.toBe('RUNNING');
      // Time for a worker without a grace period to cancel the activity (this one must not: 30 s grace).
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await firstRun;
      expect(finished).toBe(true);

      // The result reached the server: a new worker completes the workflow without running notify again.
      const second = await workerWith(slow, taskQueue);
      expect(await second.runUntil(handle.result())).toBe('notified');
      expect(calls).toBe(1);
    } finally {
      release();
      if (first.getState() === 'RUNNING') first.shutdown();
      await firstRun.catch(() => undefined);
    }
  });
});
