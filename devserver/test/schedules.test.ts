import {
  Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptionsAction,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
} from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import Long from 'long';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DAY,
  HOUR,
  MINUTE,
  SECOND,
  type ScheduleHarness,
  createScheduleHarness,
  eventually,
  intervalFromNow,
  scheduledId,
} from './fixtures/schedule-env';

const keywordKey = defineSearchAttributeKey('CustomKeywordField', SearchAttributeType.KEYWORD);

describe('schedules (time skipping)', () => {
  let h: ScheduleHarness;
  let client: Client;
  /**
   * Reads results without unlocking time skipping (the environment's client unlocks it while it
   * waits for a result, which would let schedules fire meanwhile).
   */
  let reader: Client;
  const resultOf = (workflowId: string) => reader.workflow.getHandle(workflowId).result();
  const action = (workflowType: string, workflowId: string, args: unknown[] = []): ScheduleOptionsAction => ({
    type: 'startWorkflow',
    workflowType,
    workflowId,
    args,
    taskQueue: h.taskQueue,
  });
  const takenIds = (description: ScheduleDescription) =>
    description.info.recentActions.map((a) => a.action.workflow.workflowId);
  const statusOf = async (workflowId: string) => (await client.workflow.getHandle(workflowId).describe()).status.name;
  /** When a run started and closed. */
  const spanOf = async (workflowId: string) => {
    const { startTime, closeTime } = await client.workflow.getHandle(workflowId).describe();
    return { start: startTime.getTime(), close: closeTime?.getTime() ?? Infinity };
  };

  beforeAll(async () => {
    h = await createScheduleHarness('schedules');
    client = h.env.client;
    reader = new Client({ connection: h.env.connection });
  });
  afterAll(async () => {
    await h?.teardown();
  });

  it('starts exactly 30 workflows over 30 simulated days of a daily schedule', async () => {
    const wallStart = Date.now();
    const { firstMs, spec } = await intervalFromNow(h.env, DAY, HOUR);
    const handle = await client.schedule.create({ scheduleId: 'daily', spec, action: action('countUp', 'daily') });
    await h.env.sleep('30d');
    const { info } = await handle.describe();
    expect(info.numActionsTaken).toBe(30);
    expect(info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual(
      Array.from({ length: 10 }, (_, i) => scheduledId('daily', firstMs + (20 + i) * DAY)),
    );
    // Each run returns the previous run's result plus one: the 30th run saw 29 runs before it.
    const last = scheduledId('daily', firstMs + 29 * DAY);
    expect(await resultOf(last)).toBe(30);
    const started = await client.workflow.getHandle(last).describe();
    expect(started.searchAttributes.TemporalScheduledById).toEqual(['daily']);
    expect(started.searchAttributes.TemporalScheduledStartTime).toEqual([new Date(firstMs + 29 * DAY)]);
    await handle.delete();
    console.log(`daily schedule over 30 simulated days: ${Date.now() - wallStart} ms wall time`);
  });

  it('keeps the last 10 of 15 hourly actions and shows the next 10 times', async () => {
    const { firstMs, spec } = await intervalFromNow(h.env, HOUR);
    const handle = await client.schedule.create({ scheduleId: 'hourly', spec, action: action('quick', 'hourly') });
    await h.env.sleep(14 * HOUR + 2 * MINUTE);
    const { info } = await handle.describe();
    expect(info.numActionsTaken).toBe(15);
    expect(info.recentActions.map((a) => a.scheduledAt.getTime())).toEqual(
      Array.from({ length: 10 }, (_, i) => firstMs + (5 + i) * HOUR),
    );
    expect(info.nextActionTimes.map((t) => t.getTime())).toEqual(
      Array.from({ length: 10 }, (_, i) => firstMs + (15 + i) * HOUR),
    );
    expect(info.runningActions).toEqual([]);
    await handle.delete();
  });

  describe('overlap policies, with runs of 150 minutes started hourly three times', () => {
    const policies = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL'] as const;
    const handles = new Map<string, ScheduleHandle>();
    let firstMs = 0;
    const nominal = (n: number) => firstMs + n * HOUR;

    beforeAll(async () => {
      const times = await intervalFromNow(h.env, HOUR);
      firstMs = times.firstMs;
      for (const overlap of policies) {
        const id = `overlap-${overlap.toLowerCase()}`;
        const handle = await client.schedule.create({
          scheduleId: id,
          spec: { ...times.spec, endAt: new Date(nominal(2) + 30 * MINUTE) },
          action: action('sleepFor', id, ['150m']),
          policies: { overlap },
        });
        handles.set(overlap, handle);
      }
      await h.env.sleep(9 * HOUR);
    });
    afterAll(async () => {
      for (const handle of handles.values()) await handle.delete();
    });

    it('SKIP starts nothing while a run is open and counts the skipped times', async () => {
      const { info } = await handles.get('SKIP')!.describe();
      expect(info.numActionsTaken).toBe(1);
      expect(info.numActionsSkippedOverlap).toBe(2);
    });

    it('BUFFER_ONE keeps one time and runs it after the open run closes', async () => {
      const description = await handles.get('BUFFER_ONE')!.describe();
      expect(description.info.numActionsSkippedOverlap).toBe(1);
      const ids = takenIds(description);
      expect(ids).toEqual([
        scheduledId('overlap-buffer_one', nominal(0)),
        scheduledId('overlap-buffer_one', nominal(1)),
      ]);
      // The buffered run starts once the first has closed, 150 minutes after the first time.
      const [first, second] = await Promise.all(ids.map(spanOf));
      expect(first.close).toBeGreaterThanOrEqual(nominal(0) + 150 * MINUTE);
      expect(second.start).toBeGreaterThanOrEqual(first.close);
    });

    it('BUFFER_ALL runs every time, one after another', async () => {
      const description = await handles.get('BUFFER_ALL')!.describe();
      expect(description.info.numActionsSkippedOverlap).toBe(0);
      const ids = takenIds(description);
      expect(ids).toEqual([0, 1, 2].map((n) => scheduledId('overlap-buffer_all', nominal(n))));
      const spans = await Promise.all(ids.map(spanOf));
      expect(spans[1].start).toBeGreaterThanOrEqual(spans[0].close);
      expect(spans[2].start).toBeGreaterThanOrEqual(spans[1].close);
      for (const id of ids) expect(await statusOf(id)).toBe('COMPLETED');
    });

    it('CANCEL_OTHER cancels the open run and starts the next once it has closed', async () => {
      const description = await handles.get('CANCEL_OTHER')!.describe();
      const ids = takenIds(description);
      expect(ids).toHaveLength(3);
      expect(await Promise.all(ids.map(statusOf))).toEqual(['CANCELLED', 'CANCELLED', 'COMPLETED']);
      expect(description.raw.info?.recentActions?.map((a) => a.startWorkflowStatus)).toEqual([4, 4, 2]);
    });

    it('TERMINATE_OTHER terminates the open run and starts the next', async () => {
      const description = await handles.get('TERMINATE_OTHER')!.describe();
      const ids = takenIds(description);
      expect(ids).toEqual([0, 1, 2].map((n) => scheduledId('overlap-terminate_other', nominal(n))));
      expect(await Promise.all(ids.map(statusOf))).toEqual(['TERMINATED', 'TERMINATED', 'COMPLETED']);
      const spans = await Promise.all(ids.map(spanOf));
      // The first run (150 minutes long) ended early, when the next time came; the next then started.
      expect(spans[0].close).toBeGreaterThanOrEqual(nominal(1));
      expect(spans[0].close).toBeLessThan(nominal(2));
      expect(spans[1].start).toBeGreaterThanOrEqual(spans[0].close);
    });

    it('ALLOW_ALL runs them side by side', async () => {
      const description = await handles.get('ALLOW_ALL')!.describe();
      const ids = takenIds(description);
      expect(ids).toEqual([0, 1, 2].map((n) => scheduledId('overlap-allow_all', nominal(n))));
      const spans = await Promise.all(ids.map(spanOf));
      expect(spans[1].start).toBeLessThan(spans[0].close);
      expect(spans[2].start).toBeLessThan(spans[0].close);
      expect(await Promise.all(ids.map(statusOf))).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      // Overlapping runs are not tracked as the schedule's running workflows.
      expect(description.info.runningActions).toEqual([]);
    });
  });

  it('pauses and unpauses with notes; paused time is neither run nor counted as missed', async () => {
    const { firstMs, spec } = await intervalFromNow(h.env, HOUR);
    const handle = await client.schedule.create({ scheduleId: 'pausable', spec, action: action('quick', 'pausable') });
    await handle.pause('maintenance window');
    let description = await handle.describe();
    expect(description.state).toMatchObject({ paused: true, note: 'maintenance window' });
    await h.env.sleep(3 * HOUR);
    description = await handle.describe();
    expect(description.info.numActionsTaken).toBe(0);
    expect(description.info.numActionsMissedCatchupWindow).toBe(0);
    await handle.unpause('back to normal');
    expect((await handle.describe()).state).toMatchObject({ paused: false, note: 'back to normal' });
    await h.env.sleep(HOUR);
    description = await handle.describe();
    expect(takenIds(description)).toEqual([scheduledId('pausable', firstMs + 3 * HOUR)]);
    await handle.delete();
  });

  it('triggers an action now', async () => {
    const handle = await client.schedule.create({
      scheduleId: 'on-demand',
      spec: {},
      action: action('quick', 'on-demand'),
    });
    const now = await h.env.currentTimeMs();
    await handle.trigger();
    const [taken] = (await handle.describe()).info.recentActions;
    expect(taken.scheduledAt.getTime()).toBeGreaterThanOrEqual(Math.floor(now / SECOND) * SECOND);
    expect(taken.action.workflow.workflowId).toBe(scheduledId('on-demand', taken.scheduledAt.getTime()));
    expect(await resultOf(taken.action.workflow.workflowId)).toBe('done');
    await handle.delete();
  });

  it('backfills every time of a range, both ends included, under the overlap policy given', async () => {
    // An hourly spec that ended now: nothing fires by itself, the backfill takes past times.
    const now = await h.env.currentTimeMs();
    const firstMs = Math.ceil((now - 10 * HOUR) / SECOND) * SECOND;
    const handle = await client.schedule.create({
      scheduleId: 'backfilled',
      spec: { intervals: [{ every: HOUR, offset: firstMs % HOUR }], endAt: new Date(now) },
      action: action('sleepFor', 'backfilled', ['10m']),
    });
    const times = [0, 1, 2].map((n) => firstMs + n * HOUR);
    await handle.backfill({ start: new Date(times[0]), end: new Date(times[2]), overlap: 'BUFFER_ALL' });
    await h.env.sleep(40 * MINUTE);
    const { info } = await handle.describe();
    expect(info.recentActions.map((a) => a.scheduledAt.getTime())).toEqual(times);
    expect(info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual(
      times.map((t) => scheduledId('backfilled', t)),
    );
    // BUFFER_ALL: each starts once the one before has closed.
    const spans = await Promise.all(info.recentActions.map((a) => spanOf(a.action.workflow.workflowId)));
    expect(spans[1].start).toBeGreaterThanOrEqual(spans[0].close);
    expect(spans[2].start).toBeGreaterThanOrEqual(spans[1].close);
    await handle.delete();
  });

  it('stops after the remaining actions are used up', async () => {
    const { spec } = await intervalFromNow(h.env, HOUR);
    const handle = await client.schedule.create({
      scheduleId: 'limited',
      spec,
      action: action('quick', 'limited'),
      state: { remainingActions: 2 },
    });
    await h.env.sleep(5 * HOUR);
    const description = await handle.describe();
    expect(description.info.numActionsTaken).toBe(2);
    expect(description.state.remainingActions).toBe(0);
    expect(description.info.nextActionTimes).toEqual([]);
    await handle.delete();
  });

  it('pauses itself when a run fails, with a note naming the run and the failure', async () => {
    const { firstMs, spec } = await intervalFromNow(h.env, HOUR);
    const handle = await client.schedule.create({
      scheduleId: 'fragile',
      spec,
      action: action('failing', 'fragile'),
      policies: { pauseOnFailure: true },
    });
    await h.env.sleep(4 * HOUR);
    const description = await handle.describe();
    expect(description.info.numActionsTaken).toBe(1);
    expect(description.state).toMatchObject({
      paused: true,
      note: `paused due to workflow failure: ${scheduledId('fragile', firstMs)}: boom`,
    });
    await handle.delete();
  });

  it("passes each run the previous run's result and failure", async () => {
    const { spec } = await intervalFromNow(h.env, HOUR);
    const handle = await client.schedule.create({ scheduleId: 'chained', spec, action: action('countUp', 'chained') });
    await h.env.sleep(2 * HOUR);
    expect(await resultOf(takenIds(await handle.describe())[1])).toBe(2);
    await handle.update((s) => ({ ...s, action: { ...s.action, workflowType: 'failing' } }));
    await h.env.sleep(HOUR);
    await handle.update((s) => ({ ...s, action: { ...s.action, workflowType: 'reportPrevious' } }));
    await h.env.sleep(HOUR);
    const description = await handle.describe();
    expect(description.info.lastUpdatedAt).toBeInstanceOf(Date);
    const last = takenIds(description).at(-1)!;
    expect(await resultOf(last)).toEqual({ lastResult: 2, lastFailure: 'boom' });
    await handle.delete();
  });

  it('describes running workflows and upcoming times, and lists matching times', async () => {
    const { firstMs, spec } = await intervalFromNow(h.env, HOUR);
    const handle = await client.schedule.create({
      scheduleId: 'long-runs',
      spec,
      action: action('sleepFor', 'long-runs', ['1d']),
    });
    await h.env.sleep(2 * MINUTE);
    const { info } = await handle.describe();
    const running = scheduledId('long-runs', firstMs);
    expect(info.runningActions.map((a) => a.workflow.workflowId)).toEqual([running]);
    expect(info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual([running]);
    expect(info.nextActionTimes[0].getTime()).toBe(firstMs + HOUR);
    const matching = await client.workflowService.listScheduleMatchingTimes({
      namespace: 'default',
      scheduleId: 'long-runs',
      startTime: { seconds: Long.fromNumber((firstMs - SECOND) / SECOND) },
      endTime: { seconds: Long.fromNumber((firstMs + 3 * HOUR) / SECOND) },
    });
    expect(matching.startTime?.map((t) => Number(t.seconds) * SECOND)).toEqual(
      [0, 1, 2, 3].map((n) => firstMs + n * HOUR),
    );
    await handle.delete();
    await client.workflow.getHandle(running).terminate();
  });

  it('lists schedules by a custom search attribute and by paused state', async () => {
    const created = [];
    for (const [id, kind, paused] of [
      ['nightly-a', 'nightly', false],
      ['nightly-b', 'nightly', true],
      ['weekly-a', 'weekly', false],
    ] as const) {
      created.push(
        await client.schedule.create({
          scheduleId: id,
          spec: { intervals: [{ every: '1d' }] },
          action: action('quick', id),
          memo: { owner: 'team-a' },
          typedSearchAttributes: [{ key: keywordKey, value: kind }],
          state: { paused, note: paused ? 'on hold' : undefined },
        }),
      );
    }
    const list = async (query: string) => {
      const found = [];
      for await (const schedule of client.schedule.list({ query, pageSize: 1 })) found.push(schedule);
      return found;
    };
    const nightly = await list(`CustomKeywordField = 'nightly'`);
    expect(nightly.map((s) => s.scheduleId).sort()).toEqual(['nightly-a', 'nightly-b']);
    const entry = nightly.find((s) => s.scheduleId === 'nightly-b')!;
    expect(entry.memo).toEqual({ owner: 'team-a' });
    expect(entry.action).toEqual({ type: 'startWorkflow', workflowType: 'quick' });
    expect(entry.state).toEqual({ paused: true, note: 'on hold' });
    expect(entry.info.nextActionTimes).toHaveLength(5);
    expect(entry.typedSearchAttributes?.get(keywordKey)).toBe('nightly');
    expect((await list('TemporalSchedulePaused = true')).map((s) => s.scheduleId)).toEqual(['nightly-b']);
    const counted = await client.workflowService.countSchedules({
      namespace: 'default',
      query: `CustomKeywordField = 'weekly'`,
    });
    expect(Number(counted.count)).toBe(1);
    await expect(list('WorkflowType = "quick"')).rejects.toMatchObject({
      cause: { details: 'invalid query filter for schedules: cannot filter on "WorkflowType"' },
    });
    for (const handle of created) await handle.delete();
  });

  it('rejects bad input with the server errors the client turns into its own', async () => {
    const bad = client.schedule.create({
      scheduleId: 'bad-cron',
      spec: { cronExpressions: ['0 25 * * *'] },
      action: action('quick', 'bad-cron'),
    });
    await expect(bad).rejects.toThrow(TypeError);
    await expect(bad).rejects.toThrow('invalid cron string "0 25 * * *": hour value 25 out of range 0-23');

    const handle = await client.schedule.create({ scheduleId: 'twice', spec: {}, action: action('quick', 'twice') });
    await expect(
      client.schedule.create({ scheduleId: 'twice', spec: {}, action: action('quick', 'twice') }),
    ).rejects.toThrow(ScheduleAlreadyRunning);

    await expect(
      client.workflowService.createSchedule({
        namespace: 'default',
        scheduleId: 'no-queue',
        requestId: 'no-queue-1',
        schedule: { action: { startWorkflow: { workflowId: 'x', workflowType: { name: 'quick' } } } },
      }),
    ).rejects.toMatchObject({ code: 3, details: 'taskQueue is not set' });

    // A conflict token from before a change no longer applies.
    const { conflictToken } = await client.workflowService.describeSchedule({
      namespace: 'default',
      scheduleId: 'twice',
    });
    await handle.pause();
    const { schedule } = await client.workflowService.describeSchedule({ namespace: 'default', scheduleId: 'twice' });
    await expect(
      client.workflowService.updateSchedule({ namespace: 'default', scheduleId: 'twice', schedule, conflictToken }),
    ).rejects.toMatchObject({ code: 9, details: 'mismatched conflict token' });

    await handle.delete();
    await expect(handle.describe()).rejects.toThrow(ScheduleNotFoundError);
    await expect(handle.delete()).rejects.toThrow(ScheduleNotFoundError);
  });
});

describe('schedules (real time, dev-server form)', () => {
  let h: ScheduleHarness;
  beforeAll(async () => {
    h = await createScheduleHarness('schedules-real-time', { local: true });
  });
  afterAll(async () => {
    await h?.teardown();
  });

  it('fires on the wall clock', async () => {
    const client = h.env.client;
    const handle = await client.schedule.create({
      scheduleId: 'every-second',
      spec: { intervals: [{ every: '1s' }] },
      action: { type: 'startWorkflow', workflowType: 'quick', workflowId: 'every-second', taskQueue: h.taskQueue },
    });
    const actions = await eventually('two actions', async () => {
      const { recentActions } = (await handle.describe()).info;
      return recentActions.length >= 2 ? recentActions : undefined;
    });
    expect(actions[1].scheduledAt.getTime() - actions[0].scheduledAt.getTime()).toBe(SECOND);
    expect(await client.workflow.getHandle(actions[1].action.workflow.workflowId).result()).toBe('done');
    await handle.delete();
  });
});
