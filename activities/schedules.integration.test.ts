/**
 * The schedule gateway against the devserver (a real Temporal Schedules API): what each backup
 * schedule becomes, upserts that update, pausing, deduplicated triggers, deletion.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleClient } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityEnv, depsFor, rejectionOf } from '../test/activities-support';
import { createLocalEnv } from '../test/temporal-env';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { BackupSchedule } from '../workflows/types';
import type { ScheduleRequest } from './contract';
import { BackupScheduleNotFoundError, InvalidBackupScheduleError } from './errors';
import { createActivities } from './index';
import { TemporalScheduleGateway } from './schedules';

const TASK_QUEUE = 'activities-schedules-test';

const schedule = (overrides: Partial<BackupSchedule>): BackupSchedule => ({
  id: 'hourly',
  kind: 'user',
  intervalMinutes: 60,
  keep: 5,
  paused: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

const request = (cluster: string, overrides: Partial<BackupSchedule> = {}): ScheduleRequest => ({
  cluster,
  schedule: schedule(overrides),
  taskQueue: TASK_QUEUE,
});

describe('TemporalScheduleGateway on the devserver', () => {
  let env: TestWorkflowEnvironment;
  let schedules: ScheduleClient;
  let gateway: TemporalScheduleGateway;

  beforeAll(async () => {
    // Schedules and their runs carry the cluster's name, as on the product's namespace.
    env = await createLocalEnv({
      searchAttributes: [defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD)],
    });
    schedules = env.client.schedule;
    gateway = new TemporalScheduleGateway(schedules);
  });

  afterAll(async () => {
    await env?.teardown();
  });

  const describeSchedule = (cluster: string, id: string) => schedules.getHandle(`backup:${cluster}:${id}`).describe();

  /**
   * Polls until the schedule has started `count` workflows (or clearly never will) and returns the
   * actions it took.
   */
  async function actionsTaken(cluster: string, id: string, count: number) {
    for (let poll = 0; ; poll++) {
      const { info } = await describeSchedule(cluster, id);
      if (info.numActionsTaken >= count || poll === 200) return info.recentActions;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Scheduled workflows are named after the second they start in, so two starts within one second
   * collide on the workflow id and only one runs, deduplicated or not. Waiting for the next second
   * makes a duplicate that slipped through visible as a run of its own.
   */
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1_050 - (Date.now() % 1_000)));

  it('creates an interval schedule that starts scheduledBackupWorkflow for the cluster', async () => {
    await gateway.upsert(request('orders'));
    const description = await describeSchedule('orders', 'hourly');
    expect(description.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'scheduledBackupWorkflow',
      workflowId: 'backup:orders:hourly',
      taskQueue: TASK_QUEUE,
      args: [{ cluster: 'orders', scheduleId: 'hourly' }],
    });
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.ALLOW_ALL);
    expect(description.state.paused).toBe(false);
  });

  it('updates an existing schedule in place: cron spec, paused with a note, then resumed', async () => {
    await gateway.upsert(request('orders', { intervalMinutes: undefined, cron: '15 3 * * *', paused: true }));
    let description = await describeSchedule('orders', 'hourly');
    expect(description.spec.intervals ?? []).toEqual([]);
    expect(description.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] }),
    ]);
    expect(description.state.paused).toBe(true);
    expect(description.state.note).toBe('paused through the orchestrator');

    // The same request again changes nothing.
    await gateway.upsert(request('orders', { intervalMinutes: undefined, cron: '15 3 * * *', paused: true }));
    expect((await describeSchedule('orders', 'hourly')).state.paused).toBe(true);

    await gateway.upsert(request('orders', { intervalMinutes: undefined, cron: '15 3 * * *', paused: false }));
    description = await describeSchedule('orders', 'hourly');
    expect(description.state.paused).toBe(false);
  });

  it('starts one backup per trigger request id, however often the same request is sent', async () => {
    await gateway.upsert(request('billing', { intervalMinutes: 24 * 60 }));
    await gateway.trigger('billing', 'hourly', 'request-a');
    await actionsTaken('billing', 'hourly', 1);
    await nextSecond();
    await gateway.trigger('billing', 'hourly', 'request-a');
    await nextSecond();
    const lastSentAt = Date.now();
    await gateway.trigger('billing', 'hourly', 'request-b');
    const actions = await actionsTaken('billing', 'hourly', 2);
    // Had the repeated request started a run, it would be the second action, taken about a second
    // before request-b was sent.
    expect(actions).toHaveLength(2);
    expect(actions[1].takenAt.getTime()).toBeGreaterThanOrEqual(lastSentAt - 250);
    for (const action of actions) expect(action.action.workflow.workflowId).toMatch(/^backup:billing:hourly-/);
  });

  it('makes a retried trigger activity start one backup (the request id comes from the activity)', async () => {
    await gateway.upsert(request('ledger', { intervalMinutes: 24 * 60 }));
    const activities = createActivities(depsFor({ schedules: gateway }));
    const execution = { activityId: '7', workflowExecution: { workflowId: 'cluster:ledger', runId: 'run-1' } };
    const attempt = (info: object) =>
      new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') }).run(
        activities.triggerBackupSchedule,
        'ledger',
        'hourly',
      );
    await attempt({ ...execution, attempt: 1 });
    await actionsTaken('ledger', 'hourly', 1);
    await nextSecond();
    await attempt({ ...execution, attempt: 2 });
    await nextSecond();
    const lastSentAt = Date.now();
    await attempt({ ...execution, activityId: '8' });
    const actions = await actionsTaken('ledger', 'hourly', 2);
    expect(actions).toHaveLength(2);
    expect(actions[1].takenAt.getTime()).toBeGreaterThanOrEqual(lastSentAt - 250);
  });

  it('deletes a schedule; deleting it again is fine; triggering it then fails for good', async () => {
    await gateway.delete('orders', 'hourly');
    await expect(describeSchedule('orders', 'hourly')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await gateway.delete('orders', 'hourly');
    await expect(gateway.trigger('orders', 'hourly')).rejects.toBeInstanceOf(BackupScheduleNotFoundError);

    const activities = createActivities(depsFor({ schedules: gateway }));
    const failure = await rejectionOf(activityEnv().run(activities.triggerBackupSchedule, 'orders', 'hourly'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('BackupScheduleNotFoundError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('refuses a schedule with neither or both of interval and cron, creating nothing', async () => {
    await expect(gateway.upsert(request('orders', { intervalMinutes: undefined }))).rejects.toBeInstanceOf(
      InvalidBackupScheduleError,
    );
    await expect(gateway.upsert(request('orders', { cron: '0 * * * *' }))).rejects.toThrow(/it has both/);
    await expect(describeSchedule('orders', 'hourly')).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('fails for good, never retrying, when the service refuses the cron string (created or updated)', async () => {
    const impossible = request('orders', { id: 'impossible', intervalMinutes: undefined, cron: '0 99 * * *' });
    const refused = await rejectionOf(gateway.upsert(impossible));
    expect(refused).toBeInstanceOf(InvalidBackupScheduleError);
    expect(refused.message).toMatch(/Temporal refused backup schedule impossible of cluster orders: .*99/);
    await gateway.upsert(request('orders', { id: 'impossible' }));
    await expect(gateway.upsert(impossible)).rejects.toBeInstanceOf(InvalidBackupScheduleError);
    await gateway.delete('orders', 'impossible');
  });
});
