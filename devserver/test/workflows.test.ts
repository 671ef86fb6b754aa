import {
  CancelledFailure,
  TerminatedFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  ApplicationFailure,
  ActivityFailure,
} from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './fixtures/env';
import * as workflows from './fixtures/workflows';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('workflows');
});
afterAll(async () => {
  await h?.teardown();
});

const start = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, workflowId: string, ...args: A) =>
  h.env.client.workflow.start(fn, { taskQueue: h.taskQueue, workflowId, args });

describe('signals and queries', () => {
  it('delivers signals in order and answers queries while running and after completion', async () => {
    const handle = await start(workflows.accumulator, 'accumulator-1');
    await handle.signal(workflows.addSignal, 2);
    await handle.signal(workflows.addSignal, 5);
    expect(await handle.query(workflows.totalQuery)).toBe(7);
    await handle.signal(workflows.doneSignal);
    expect(await handle.result()).toBe(7);
    // A completed workflow is queried by replaying its history.
    expect(await handle.query(workflows.totalQuery)).toBe(7);
  });

  it('signal-with-start starts a workflow with the signal, then signals the running one', async () => {
    const options = {
      taskQueue: h.taskQueue,
      workflowId: 'sws-1',
      signal: workflows.addSignal,
      signalArgs: [3] as [number],
    };
    const first = await h.env.client.workflow.signalWithStart(workflows.accumulator, options);
    const second = await h.env.client.workflow.signalWithStart(workflows.accumulator, { ...options, signalArgs: [4] });
    expect(second.signaledRunId).toBe(first.signaledRunId);
    expect(await first.query(workflows.totalQuery)).toBe(7);
    await first.signal(workflows.doneSignal);
    expect(await first.result()).toBe(7);
    const history = await first.fetchHistory();
    const types = history.events!.slice(0, 3).map((e) => e.eventType);
    // Started, Signaled, WorkflowTaskScheduled: the first signal is recorded with the start.
    expect(types).toEqual([1, 26, 5]);
  });

  it('rejects a query when the reject condition says so', async () => {
    const handle = await start(workflows.greeting, 'reject-1', 'x');
    await handle.result();
    const err = await h.env.client.workflow
      .getHandle('reject-1')
      .query('anything')
      .catch((e: unknown) => e);
    // No handler registered for 'anything': the worker answers with a failure.
    expect(String(err)).toMatch(/anything/);
  });
});

describe('closing workflows', () => {
  it('refuses a second start with the same workflow id while the first runs', async () => {
    const first = await start(workflows.accumulator, 'dup-1');
    await expect(start(workflows.accumulator, 'dup-1')).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await first.terminate('test over');
  });

  it('terminates a workflow with its reason', async () => {
    const handle = await start(workflows.accumulator, 'terminate-1');
    await handle.terminate('no longer needed');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((err as WorkflowFailedError).cause?.message).toBe('no longer needed');
    const description = await handle.describe();
    expect(description.status.name).toBe('TERMINATED');
  });

  it('fails a workflow that throws an ApplicationFailure', async () => {
    const err = await h.env.client.workflow
      .execute(workflows.failsWithApplicationFailure, { taskQueue: h.taskQueue, workflowId: 'app-failure-1' })
      .catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe('RuleViolation');
  });

  it('treats a plain Error in workflow code as a failed workflow task, not a failed workflow', async () => {
    const handle = await start(workflows.throwsPlainError, 'plain-error-1');
    // Wait until the first workflow task failure is recorded.
    let failedEvents = 0;
    for (let i = 0; i < 100 && failedEvents === 0; i++) {
      const history = await handle.fetchHistory();
      failedEvents = history.events!.filter((e) => e.workflowTaskFailedEventAttributes).length;
      if (failedEvents === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(failedEvents).toBe(1);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('done');
  });

  it('cancels a workflow and the cancellation reaches its heartbeating activity', async () => {
    const handle = await start(workflows.cancellableActivity, 'cancel-1');
    // Wait for the activity to be running before cancelling.
    for (let i = 0; i < 100; i++) {
      const { raw } = await handle.describe();
      if (raw.pendingActivities?.some((a) => a.state === 2)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const history = await handle.fetchHistory();
    const canceled = history.events!.find((e) => e.activityTaskCanceledEventAttributes);
    // The activity itself saw the cancellation and reported it (WAIT_CANCELLATION_COMPLETED).
    expect(canceled).toBeDefined();
    expect(history.events!.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
    expect(history.events!.at(-1)!.workflowExecutionCanceledEventAttributes).toBeDefined();
  });

  it('cancels a timer from a cancellation scope', async () => {
    const result = await h.env.client.workflow.execute(workflows.timerCancelledInScope, {
      taskQueue: h.taskQueue,
      workflowId: 'timer-cancel-1',
    });
    expect(result).toBe('timer cancelled');
    const history = await h.env.client.workflow.getHandle('timer-cancel-1').fetchHistory();
    expect(history.events!.some((e) => e.timerCanceledEventAttributes)).toBe(true);
  });

  it('retries a failing workflow under its retry policy as new runs of the same chain', async () => {
    const handle = await h.env.client.workflow.start(workflows.attemptCounter, {
      taskQueue: h.taskQueue,
      workflowId: 'wf-retry-1',
      args: [3],
      retry: { initialInterval: '1s', maximumAttempts: 5 },
    });
    expect(await handle.result()).toBe(3);
    const latest = await h.env.client.workflow.getHandle('wf-retry-1').describe();
    expect(latest.runId).not.toBe(handle.firstExecutionRunId);
    const first = await h.env.client.workflow.getHandle('wf-retry-1', handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('FAILED');
  });

  it('gives up retrying a workflow after its maximum attempts', async () => {
    const err = await h.env.client.workflow
      .execute(workflows.attemptCounter, {
        taskQueue: h.taskQueue,
        workflowId: 'wf-retry-2',
        args: [10],
        retry: { initialInterval: '1s', maximumAttempts: 2 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).message).toBe('attempt 2 fails');
  });

  it('times out a workflow at its run timeout', async () => {
    const err = await h.env.client.workflow
      .execute(workflows.sleeper, {
        taskQueue: h.taskQueue,
        workflowId: 'run-timeout-1',
        args: ['2h'],
        workflowRunTimeout: '1h',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const description = await h.env.client.workflow.getHandle('run-timeout-1').describe();
    expect(description.status.name).toBe('TIMED_OUT');
  });

  it('reports an activity failure after retries are exhausted', async () => {
    const err = await h.env.client.workflow
      .execute(workflows.nonRetryableActivity, { taskQueue: h.taskQueue, workflowId: 'act-fail-1' })
      .catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(ActivityFailure);
  });
});
