import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './fixtures/env';
import * as workflows from './fixtures/workflows';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('updates-children');
});
afterAll(async () => {
  await h?.teardown();
});

const start = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, workflowId: string, ...args: A) =>
  h.env.client.workflow.start(fn, { taskQueue: h.taskQueue, workflowId, args });

describe('updates', () => {
  it('runs an update to completion and returns its result', async () => {
    const handle = await start(workflows.updatable, 'update-1');
    expect(await handle.executeUpdate(workflows.setValueUpdate, { args: [5] })).toBe(0);
    expect(await handle.executeUpdate(workflows.setValueUpdate, { args: [9] })).toBe(5);
    expect(await handle.query(workflows.valueQuery)).toBe(9);
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(2);
    expect(history.events!.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toHaveLength(2);
    await handle.signal(workflows.finishSignal);
    expect(await handle.result()).toBe(9);
  });

  it('returns a validator rejection to the caller and writes nothing to history', async () => {
    const handle = await start(workflows.updatable, 'update-reject');
    await handle.executeUpdate(workflows.setValueUpdate, { args: [1] });
    const before = (await handle.fetchHistory()).events!.length;
    const err = await handle.executeUpdate(workflows.setValueUpdate, { args: [-3] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(/must not be negative, got -3/);
    const after = (await handle.fetchHistory()).events!.length;
    expect(after).toBe(before);
    expect(await handle.query(workflows.valueQuery)).toBe(1);
    await handle.terminate();
  });

  it('waits for the accepted stage only when asked, then the result can be fetched', async () => {
    const handle = await start(workflows.updatable, 'update-accepted');
    const updateHandle = await handle.startUpdate(workflows.slowUpdate, { args: ['a'], waitForStage: 'ACCEPTED' });
    const history = await handle.fetchHistory();
    expect(history.events!.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(true);
    expect(history.events!.some((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toBe(false);
    // The handler sleeps an hour of workflow time: let the clock run past it.
    await h.env.sleep('2h');
    expect(await updateHandle.result()).toBe('slow a done');
    await handle.signal(workflows.finishSignal);
    await handle.result();
  });

  it('deduplicates an update by its id', async () => {
    const handle = await start(workflows.updatable, 'update-dedup');
    const first = await handle.executeUpdate(workflows.setValueUpdate, { args: [7], updateId: 'same-id' });
    const second = await handle.executeUpdate(workflows.setValueUpdate, { args: [8], updateId: 'same-id' });
    expect(second).toBe(first);
    expect(await handle.query(workflows.valueQuery)).toBe(7);
    await handle.terminate();
  });

  it('update-with-start starts the workflow and runs the update in one call', async () => {
    const startOp = new WithStartWorkflowOperation(workflows.updatable, {
      workflowId: 'update-with-start',
      taskQueue: h.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const previous = await h.env.client.workflow.executeUpdateWithStart(workflows.setValueUpdate, {
      args: [11],
      startWorkflowOperation: startOp,
    });
    expect(previous).toBe(0);
    const handle = await startOp.workflowHandle();
    // Again: the running workflow is used.
    const again = await h.env.client.workflow.executeUpdateWithStart(workflows.setValueUpdate, {
      args: [12],
      startWorkflowOperation: new WithStartWorkflowOperation(workflows.updatable, {
        workflowId: 'update-with-start',
        taskQueue: h.taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    expect(again).toBe(11);
    await handle.signal(workflows.finishSignal);
    expect(await handle.result()).toBe(12);
  });

  it('refuses an update of a completed workflow', async () => {
    const handle = await start(workflows.greeting, 'update-closed', 'x');
    await handle.result();
    await expect(handle.executeUpdate(workflows.setValueUpdate, { args: [1] })).rejects.toThrow(/completed/);
  });

  it('delivers an update again to a worker that restarts mid-update', async () => {
    const workflowId = 'update-restart';
    const queue = `${h.taskQueue}-restart`;
    const first = await h.startWorker({ taskQueue: queue, maxCachedWorkflows: 0 });
    const handle = await h.env.client.workflow.start(workflows.updatable, { taskQueue: queue, workflowId });
    await handle.executeUpdate(workflows.setValueUpdate, { args: [1] });
    await h.stopWorker(first);
    // Admitted while no worker polls; the new worker picks it up.
    const pending = handle.executeUpdate(workflows.setValueUpdate, { args: [2] });
    await new Promise((r) => setTimeout(r, 200));
    await h.startWorker({ taskQueue: queue });
    expect(await pending).toBe(1);
    await handle.signal(workflows.finishSignal);
    expect(await handle.result()).toBe(2);
  });

  it('completes an accepted update on a new worker after the first one stops mid-update', async () => {
    const queue = `${h.taskQueue}-restart-accepted`;
    const first = await h.startWorker({ taskQueue: queue });
    const handle = await h.env.client.workflow.start(workflows.updatable, {
      taskQueue: queue,
      workflowId: 'update-restart-2',
    });
    const updateHandle = await handle.startUpdate(workflows.slowUpdate, { args: ['b'], waitForStage: 'ACCEPTED' });
    await h.stopWorker(first);
    await h.startWorker({ taskQueue: queue });
    await h.env.sleep('2h');
    expect(await updateHandle.result()).toBe('slow b done');
    await handle.signal(workflows.finishSignal);
    await handle.result();
  });
});

describe('child workflows', () => {
  it('runs a child and returns its result to the parent', async () => {
    const result = await h.env.client.workflow.execute(workflows.parentOfGreeter, {
      taskQueue: h.taskQueue,
      workflowId: 'parent-1',
    });
    expect(result).toBe('child says hi to parent');
    const history = await h.env.client.workflow.getHandle('parent-1').fetchHistory();
    const types = history.events!.map((e) => e.eventType);
    const { EventType } = temporal.api.enums.v1;
    for (const t of [
      EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    ]) {
      expect(types).toContain(t);
    }
    const child = await h.env.client.workflow.getHandle('parent-1-child').describe();
    expect(child.parentExecution?.workflowId).toBe('parent-1');
  });

  it('reports a failed child to its parent', async () => {
    const result = await h.env.client.workflow.execute(workflows.parentOfFailingChild, {
      taskQueue: h.taskQueue,
      workflowId: 'parent-2',
    });
    expect(result).toBe('caught ChildError');
  });

  it.each([
    ['TERMINATE', 'TERMINATED'],
    ['REQUEST_CANCEL', 'CANCELLED'],
    ['ABANDON', 'RUNNING'],
  ] as const)('applies parent close policy %s', async (policy, childStatus) => {
    const workflowId = `parent-policy-${policy}`;
    await h.env.client.workflow.execute(workflows.parentThatLeaves, {
      taskQueue: h.taskQueue,
      workflowId,
      args: [policy],
    });
    const child = h.env.client.workflow.getHandle(`${workflowId}-child`);
    let status = '';
    for (let i = 0; i < 100; i++) {
      status = (await child.describe()).status.name;
      if (status === childStatus) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(childStatus);
    if (status === 'RUNNING') await child.terminate();
  });

  it('fails to start a child whose id is already running', async () => {
    const blocker = await start(workflows.accumulator, 'taken-child-id');
    const result = await h.env.client.workflow.execute(workflows.parentWithDuplicateChild, {
      taskQueue: h.taskQueue,
      workflowId: 'parent-dup',
      args: ['taken-child-id'],
    });
    expect(result).toBe('already started');
    await blocker.terminate();
  });

  it('signals and cancels other workflows', async () => {
    const target = await start(workflows.accumulator, 'signal-target');
    expect(
      await h.env.client.workflow.execute(workflows.signalsAnother, {
        taskQueue: h.taskQueue,
        workflowId: 'signaller',
        args: ['signal-target'],
      }),
    ).toBe('signalled');
    expect(await target.query(workflows.totalQuery)).toBe(42);
    expect(
      await h.env.client.workflow.execute(workflows.cancelsAnother, {
        taskQueue: h.taskQueue,
        workflowId: 'canceller',
        args: ['signal-target'],
      }),
    ).toBe('cancel requested');
    const err = await target.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
  });
});

describe('continue-as-new', () => {
  it('follows the chain of runs to the final result', async () => {
    const handle = await start(workflows.countsDown, 'can-1', 3);
    expect(await handle.result()).toBe('done after continuing, run continued');
    const latest = await h.env.client.workflow.getHandle('can-1').describe();
    expect(latest.runId).not.toBe(handle.firstExecutionRunId);
    const first = await h.env.client.workflow.getHandle('can-1', handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    const history = await h.env.client.workflow.getHandle('can-1').fetchHistory();
    const started = history.events![0].workflowExecutionStartedEventAttributes!;
    expect(started.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(started.continuedExecutionRunId).toBeTruthy();
  });
});
