import { ActivityFailure, ApplicationFailure, TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { TimeoutType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimeSkippingEnv, workflowBundle } from '../../test/temporal-env';
import * as activities from './fixtures/activities';
import * as workflows from './fixtures/workflows';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'activities';

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(path.join(__dirname, 'fixtures', 'workflows')),
    activities,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('activities through the official SDK', () => {
  it('runs an activity and returns its result', async () => {
    const result = await env.client.workflow.execute(workflows.greeting, {
      taskQueue,
      workflowId: 'greeting-1',
      args: ['devserver'],
    });
    expect(result).toBe('Hello, devserver!');
  });

  it('retries a failing activity until it succeeds, counting attempts', async () => {
    const attempt = await env.client.workflow.execute(workflows.retriedActivity, {
      taskQueue,
      workflowId: 'retried-1',
      args: [2],
    });
    expect(attempt).toBe(3);
    const history = await env.client.workflow.getHandle('retried-1').fetchHistory();
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
    // Retries leave no trace in history: one started event, recorded with the final attempt.
    expect(started).toHaveLength(1);
    expect(started[0].activityTaskStartedEventAttributes!.attempt).toBe(3);
  });

  it('surfaces a non-retryable ApplicationFailure with its type', async () => {
    const err = await env.client.workflow
      .execute(workflows.nonRetryableActivity, { taskQueue, workflowId: 'non-retryable-1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const cause = (activityFailure as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('BadInput');
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('times out an activity that stops heartbeating', async () => {
    const err = await env.client.workflow
      .execute(workflows.heartbeatTimeoutActivity, { taskQueue, workflowId: 'heartbeat-timeout-1' })
      .catch((e: unknown) => e);
    const activityFailure = (err as WorkflowFailedError).cause as ActivityFailure;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect(activityFailure.cause).toBeInstanceOf(TimeoutFailure);
    expect((activityFailure.cause as TimeoutFailure).timeoutType).toBe(TimeoutType.HEARTBEAT);
  });
});
