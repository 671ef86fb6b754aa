/** Server behaviour the SDK relies on, checked through the official client and raw gRPC. */
import {
  ActivityFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './fixtures/env';
import * as workflows from './fixtures/workflows';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('conformance');
});
afterAll(async () => {
  await h?.teardown();
});

const raw = () => h.env.connection.workflowService;
const startRequest = (
  workflowId: string,
  extra: Partial<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest> = {},
) => ({
  namespace: 'default',
  workflowId,
  workflowType: { name: 'accumulator' },
  taskQueue: { name: h.taskQueue },
  requestId: crypto.randomUUID(),
  identity: 'conformance-test',
  ...extra,
});

describe('gRPC surface', () => {
  it('answers a method it does not implement with UNIMPLEMENTED naming the method', async () => {
    const err = await raw()
      .resetWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'x' } })
      .catch((e: { code: number; details: string }) => e);
    expect(err).toMatchObject({ code: 12 });
    expect((err as { details: string }).details).toContain('ResetWorkflowExecution');
  });

  it('reports its capabilities', async () => {
    const info = await raw().getSystemInfo({});
    expect(info.capabilities?.signalAndQueryHeader).toBe(true);
    expect(info.capabilities?.supportsSchedules).toBe(true);
    const cluster = await raw().getClusterInfo({});
    expect(cluster.clusterName).toBe('active');
  });
});

describe('starting workflows', () => {
  it('is idempotent by request id', async () => {
    const request = startRequest('idempotent-1');
    const first = await raw().startWorkflowExecution(request);
    const second = await raw().startWorkflowExecution(request);
    expect(second.runId).toBe(first.runId);
    expect(second.started).toBe(true);
    await h.env.client.workflow.getHandle('idempotent-1').terminate();
  });

  it('applies id conflict policies: fail, use existing, terminate existing', async () => {
    const first = await raw().startWorkflowExecution(startRequest('conflict-1'));
    await expect(raw().startWorkflowExecution(startRequest('conflict-1'))).rejects.toMatchObject({ code: 6 });
    const useExisting = await raw().startWorkflowExecution(
      startRequest('conflict-1', {
        workflowIdConflictPolicy:
          temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
      }),
    );
    expect(useExisting).toMatchObject({ runId: first.runId, started: false });
    const replaced = await raw().startWorkflowExecution(
      startRequest('conflict-1', {
        workflowIdConflictPolicy:
          temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING,
      }),
    );
    expect(replaced.runId).not.toBe(first.runId);
    const old = await h.env.client.workflow.getHandle('conflict-1', first.runId!).describe();
    expect(old.status.name).toBe('TERMINATED');
    await h.env.client.workflow.getHandle('conflict-1').terminate();
  });

  it('applies id reuse policies once the previous run closed', async () => {
    const Reuse = temporal.api.enums.v1.WorkflowIdReusePolicy;
    await h.env.client.workflow.execute(workflows.greeting, {
      taskQueue: h.taskQueue,
      workflowId: 'reuse-1',
      args: ['a'],
    });
    const rejected = await h.env.client.workflow
      .start(workflows.greeting, {
        taskQueue: h.taskQueue,
        workflowId: 'reuse-1',
        args: ['b'],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      })
      .catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await expect(
      raw().startWorkflowExecution({
        ...startRequest('reuse-1'),
        workflowType: { name: 'greeting' },
        workflowIdReusePolicy: Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
      }),
    ).rejects.toThrow(/already finished successfully/);
    const again = await h.env.client.workflow.execute(workflows.greeting, {
      taskQueue: h.taskQueue,
      workflowId: 'reuse-1',
      args: ['c'],
    });
    expect(again).toBe('Hello, c!');
  });

  it('delays the first workflow task by the start delay and keeps memo and search attributes', async () => {
    const before = await h.env.currentTimeMs();
    const handle = await h.env.client.workflow.start(workflows.startInfo, {
      taskQueue: h.taskQueue,
      workflowId: 'delayed-1',
      startDelay: '2h',
      memo: { owner: 'platform' },
      searchAttributes: { CustomKeywordField: ['blue'] },
    });
    const description = await handle.describe();
    expect(description.executionTime!.getTime() - description.startTime.getTime()).toBe(2 * 3600 * 1000);
    expect(description.memo).toEqual({ owner: 'platform' });
    expect(description.searchAttributes).toEqual({ CustomKeywordField: ['blue'] });
    const result = await handle.result();
    expect(result.firstTaskAt - before).toBeGreaterThanOrEqual(2 * 3600 * 1000);
    expect(result.memo).toEqual({ owner: 'platform' });
  });

  it('rejects a bad start request naming the field', async () => {
    await expect(raw().startWorkflowExecution({ ...startRequest(''), workflowId: '' })).rejects.toThrow(
      /WorkflowId is not set/,
    );
    await expect(raw().startWorkflowExecution({ ...startRequest('bad-1'), taskQueue: {} })).rejects.toThrow(
      /TaskQueue is not set/,
    );
    await expect(
      raw().startWorkflowExecution({ ...startRequest('bad-2'), cronSchedule: '61 * * * *' }),
    ).rejects.toThrow(/Invalid CronSchedule/);
  });
});

describe('history', () => {
  it('pages forward and backward', async () => {
    await h.env.client.workflow.execute(workflows.greeting, {
      taskQueue: h.taskQueue,
      workflowId: 'paging-1',
      args: ['x'],
    });
    const full = await h.env.client.workflow.getHandle('paging-1').fetchHistory();
    const ids: number[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await raw().getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: 'paging-1' },
        maximumPageSize: 3,
        nextPageToken,
      });
      ids.push(...page.history!.events!.map((e) => Number(e.eventId)));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    expect(ids).toEqual(full.events!.map((e) => Number(e.eventId)));
    const reverse = await raw().getWorkflowExecutionHistoryReverse({
      namespace: 'default',
      execution: { workflowId: 'paging-1' },
      maximumPageSize: 100,
    });
    expect(reverse.history!.events!.map((e) => Number(e.eventId))).toEqual([...ids].reverse());
  });

  it('writes the event types and references the real server writes for an activity', async () => {
    const history = await h.env.client.workflow.getHandle('paging-1').fetchHistory();
    const E = temporal.api.enums.v1.EventType;
    expect(history.events!.map((e) => e.eventType)).toEqual([
      E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
      E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
    const [, scheduled, started, completed, activityScheduled, activityStarted, activityCompleted] = history.events!;
    expect(Number(started.workflowTaskStartedEventAttributes!.scheduledEventId)).toBe(Number(scheduled.eventId));
    expect(Number(completed.workflowTaskCompletedEventAttributes!.startedEventId)).toBe(Number(started.eventId));
    expect(Number(activityScheduled.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId)).toBe(
      Number(completed.eventId),
    );
    expect(Number(activityStarted.activityTaskStartedEventAttributes!.scheduledEventId)).toBe(
      Number(activityScheduled.eventId),
    );
    expect(Number(activityCompleted.activityTaskCompletedEventAttributes!.startedEventId)).toBe(
      Number(activityStarted.eventId),
    );
  });
});

describe('queries', () => {
  it('answers a query of a closed workflow by replay, and rejects it when asked not to', async () => {
    const handle = await h.env.client.workflow.start(workflows.greeting, {
      taskQueue: h.taskQueue,
      workflowId: 'reject-cond',
      args: ['x'],
    });
    await handle.result();
    expect(typeof (await handle.query<string>('__stack_trace'))).toBe('string');
    const rejected = await raw().queryWorkflow({
      namespace: 'default',
      execution: { workflowId: 'reject-cond' },
      query: { queryType: '__stack_trace' },
      queryRejectCondition: temporal.api.enums.v1.QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN,
    });
    expect(rejected.queryRejected?.status).toBe(
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    );
  });
});

describe('activities', () => {
  it('completes an activity by workflow and activity id (async completion)', async () => {
    const handle = await h.env.client.workflow.start(workflows.waitsForActivityCompletedById, {
      taskQueue: h.taskQueue,
      workflowId: 'by-id-1',
    });
    for (let i = 0; i < 100; i++) {
      if ((await handle.describe()).raw.pendingActivities?.some((a) => a.state === 2)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await h.env.client.activity.heartbeat({ workflowId: 'by-id-1', activityId: '1' }, 'still here');
    await h.env.client.activity.complete({ workflowId: 'by-id-1', activityId: '1' }, 'done elsewhere');
    expect(await handle.result()).toBe('done elsewhere');
  });

  it('retries start-to-close timeouts, then fails with the timeout', async () => {
    const err = await h.env.client.workflow
      .execute(workflows.activityWithTimeouts, { taskQueue: h.taskQueue, workflowId: 'stc-1', args: ['startToClose'] })
      .catch((e: unknown) => e);
    const cause = ((err as WorkflowFailedError).cause as ActivityFailure).cause as TimeoutFailure;
    expect(cause).toBeInstanceOf(TimeoutFailure);
    expect(cause.timeoutType).toBe('START_TO_CLOSE');
    const history = await h.env.client.workflow.getHandle('stc-1').fetchHistory();
    expect(
      history.events!.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!.attempt,
    ).toBe(2);
  });

  it('gives up at the schedule-to-close deadline', async () => {
    const err = await h.env.client.workflow
      .execute(workflows.activityWithTimeouts, {
        taskQueue: h.taskQueue,
        workflowId: 'stc-2',
        args: ['scheduleToClose'],
      })
      .catch((e: unknown) => e);
    const cause = ((err as WorkflowFailedError).cause as ActivityFailure).cause as TimeoutFailure;
    expect(cause.timeoutType).toBe('SCHEDULE_TO_CLOSE');
  });
});
