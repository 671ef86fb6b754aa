import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { Release, TimerHandle } from '../clock';
import { ServiceError } from '../errors';
import { durationFromMs, timestampFromMs } from '../proto';
import type { RunOutcome, SchedulerHost, StartWorkflowRequest } from './host';
import { Scheduler } from './scheduler';
import { type Schedule, type ScheduleSnapshot, OverlapPolicy } from './scheduler-state';
import { compilePlainSpec } from './scheduler-policies';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 2024-01-01T00:00:00Z */
const T0 = Date.UTC(2024, 0, 1);
const NS = 'default';

interface FakeRun {
  workflowId: string;
  runId: string;
  open: boolean;
  cancelRequested: boolean;
  watchers: ((outcome: RunOutcome) => void)[];
  outcome?: RunOutcome;
}

/**
 * The rest of a server, in memory: a clock the test moves by hand, and runs that the test closes.
 * Like the store's host, it reports closed runs on the next clock turn.
 */
class FakeHost implements SchedulerHost {
  readonly starts: StartWorkflowRequest[] = [];
  readonly runs: FakeRun[] = [];
  private timers: { at: number; seq: number; fire: () => void; cancelled: boolean }[] = [];
  private seq = 0;

  constructor(public nowMs: number) {}

  now = () => this.nowMs;
  scheduleAt(atMs: number, _label: string, fire: () => void): TimerHandle {
    const timer = { at: atMs, seq: this.seq++, fire, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  lockClock: () => Release = () => () => {};
  /** Moves the clock to `ms`, firing due timers in order (each at its own time). */
  advanceTo(ms: number): void {
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= ms).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.nowMs = Math.max(this.nowMs, due.at);
      due.fire();
    }
    this.nowMs = Math.max(this.nowMs, ms);
  }
  advance(ms: number): void {
    this.advanceTo(this.nowMs + ms);
  }
  startWorkflow(request: StartWorkflowRequest): string {
    const previous = this.runs.filter((r) => r.workflowId === request.workflowId);
    if (previous.some((r) => r.open) || (previous.length > 0 && request.workflowIdReusePolicy === 3)) {
      throw new ServiceError(status.ALREADY_EXISTS, `workflow ${request.workflowId} already started`);
    }
    const run: FakeRun = {
      workflowId: request.workflowId!,
      runId: `run-${this.runs.length + 1}`,
      open: true,
      cancelRequested: false,
      watchers: [],
    };
    this.runs.push(run);
    this.starts.push(request);
    return run.runId;
  }
  watchRun(_ns: string, workflowId: string, runId: string, onClosed: (outcome: RunOutcome) => void): void {
    const run = this.find(workflowId, runId);
    if (!run) onClosed({ status: 0, closeTime: this.nowMs });
    else if (!run.open) onClosed(run.outcome!);
    else run.watchers.push(onClosed);
  }
  terminateRun(_ns: string, workflowId: string, runId: string): void {
    this.close(workflowId, { status: 5 }, runId);
  }
  cancelRun(_ns: string, workflowId: string, runId: string): void {
    const run = this.find(workflowId, runId);
    if (run) run.cancelRequested = true;
  }
  isRunning(_ns: string, workflowId: string, runId: string): boolean {
    return this.find(workflowId, runId)?.open ?? false;
  }
  changed(): void {}
  namespaceId = () => 'namespace-id';
  customSearchAttributes = () => ({});
  log(): void {}

  /** Closes the open run of `workflowId` (the latest start when not given) with this outcome. */
  close(workflowId: string | undefined, outcome: Omit<RunOutcome, 'closeTime'>, runId?: string): void {
    const run = workflowId
      ? this.runs.find((r) => r.workflowId === workflowId && r.open && (!runId || r.runId === runId))
      : this.runs.findLast((r) => r.open);
    if (!run) return;
    run.open = false;
    run.outcome = { ...outcome, closeTime: this.nowMs };
    const watchers = run.watchers.splice(0);
    this.scheduleAt(this.nowMs, 'closed', () => watchers.forEach((w) => w(run.outcome!)));
  }
  startedIds(): string[] {
    return this.starts.map((s) => s.workflowId!);
  }
  private find(workflowId: string, runId: string): FakeRun | undefined {
    return this.runs.find((r) => r.workflowId === workflowId && r.runId === runId);
  }
}

const hourly = (policies: Schedule['policies'] = {}, extra: Partial<Schedule> = {}): Schedule => ({
  spec: { interval: [{ interval: durationFromMs(HOUR) }] },
  action: { startWorkflow: { workflowId: 'job', workflowType: { name: 'Job' }, taskQueue: { name: 'q' } } },
  policies,
  ...extra,
});

function setUp(schedule: Schedule, startMs = T0 + 30 * MINUTE) {
  const host = new FakeHost(startMs);
  const scheduler = new Scheduler(host);
  scheduler.create({ namespace: NS, scheduleId: 'sched', schedule });
  return { host, scheduler, info: () => scheduler.describe(NS, 'sched').info! };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const payload = (text: string) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(text) });

describe('Scheduler', () => {
  it('starts one run per scheduled time with the nominal time in its id and search attributes', () => {
    const { host, info } = setUp(hourly());
    host.advanceTo(T0 + 3 * HOUR + MINUTE);
    // 02:00 and 03:00 came while the 01:00 run was open: skipped (SKIP is the default).
    expect(host.startedIds()).toEqual(['job-2024-01-01T01:00:00Z']);
    expect(info().overlapSkipped).toBe(2);
    host.close('job-2024-01-01T01:00:00Z', { status: 2 });
    host.advanceTo(T0 + 4 * HOUR);
    expect(host.startedIds()).toEqual(['job-2024-01-01T01:00:00Z', 'job-2024-01-01T04:00:00Z']);
    const [first] = host.starts;
    expect(first.searchAttributes?.indexedFields?.TemporalScheduledById?.data).toEqual(Buffer.from('"sched"'));
    expect(Buffer.from(first.searchAttributes!.indexedFields!.TemporalScheduledStartTime.data!).toString()).toBe(
      `"${iso(T0 + HOUR)}"`,
    );
    expect(first.workflowIdReusePolicy).toBe(3); // REJECT_DUPLICATE for scheduled times
    expect(first.identity).toBe('temporal-scheduler-default-sched');
  });

  it("passes the action's input, memo, header, retry policy, timeouts and search attributes to each run", () => {
    const startWorkflow = {
      workflowId: 'job',
      workflowType: { name: 'Job' },
      taskQueue: { name: 'q' },
      input: { payloads: [payload('"in"')] },
      memo: { fields: { owner: payload('"team"') } },
      header: { fields: { trace: payload('"t-1"') } },
      retryPolicy: { maximumAttempts: 3 },
      workflowRunTimeout: durationFromMs(MINUTE),
      workflowExecutionTimeout: durationFromMs(HOUR),
      workflowTaskTimeout: durationFromMs(10_000),
      searchAttributes: { indexedFields: { CustomKeywordField: payload('"k"') } },
    };
    const { host } = setUp({ ...hourly(), action: { startWorkflow } });
    host.advanceTo(T0 + HOUR);
    const [request] = host.starts;
    const { workflowId: _id, searchAttributes, ...passedOn } = startWorkflow;
    expect(request).toMatchObject(passedOn);
    expect(Object.keys(request.searchAttributes?.indexedFields ?? {}).sort()).toEqual([
      'CustomKeywordField',
      'TemporalScheduledById',
      'TemporalScheduledStartTime',
    ]);
    expect(request.searchAttributes?.indexedFields?.CustomKeywordField).toEqual(
      searchAttributes.indexedFields.CustomKeywordField,
    );
  });

  it('skips and counts times older than the catch-up window when it gets to them late (after a restart)', () => {
    const { host, scheduler } = setUp(hourly({ catchupWindow: durationFromMs(40 * MINUTE) }));
    const snapshot = JSON.parse(JSON.stringify(scheduler.snapshot(NS, 'sched'))) as ScheduleSnapshot;
    // The server was down from 00:30 to 05:30: 01:00 .. 05:00 fell due meanwhile.
    const later = new FakeHost(T0 + 5 * HOUR + 30 * MINUTE);
    const restarted = new Scheduler(later);
    restarted.restore(snapshot);
    later.advance(0);
    // 05:00 is within the 40-minute window and runs; the four before it are missed.
    expect(later.startedIds()).toEqual(['job-2024-01-01T05:00:00Z']);
    expect(restarted.describe(NS, 'sched').info?.missedCatchupWindow).toBe(4);
    expect(host.startedIds()).toEqual([]);
  });

  it('counts each missed time once, also when every time of a wake-up was missed', () => {
    const { scheduler } = setUp(hourly({ catchupWindow: durationFromMs(10 * MINUTE) }));
    const later = new FakeHost(T0 + 5 * HOUR + 30 * MINUTE);
    const restarted = new Scheduler(later);
    restarted.restore(scheduler.snapshot(NS, 'sched')!);
    later.advance(0);
    expect(later.startedIds()).toEqual([]);
    expect(restarted.describe(NS, 'sched').info?.missedCatchupWindow).toBe(5);
    later.advanceTo(T0 + 6 * HOUR);
    expect(later.startedIds()).toEqual(['job-2024-01-01T06:00:00Z']);
    expect(restarted.describe(NS, 'sched').info?.missedCatchupWindow).toBe(5);
  });

  it('restores from JSON: runs closed meanwhile are noticed and their result passed on', () => {
    const { host, scheduler } = setUp(hourly());
    host.advanceTo(T0 + HOUR);
    const snapshot = JSON.parse(JSON.stringify(scheduler.snapshot(NS, 'sched'))) as ScheduleSnapshot;
    expect(snapshot.runningWorkflows).toEqual([{ workflowId: 'job-2024-01-01T01:00:00Z', runId: 'run-1' }]);

    const later = new FakeHost(T0 + HOUR + 30 * MINUTE);
    later.runs.push({
      ...host.runs[0],
      open: false,
      outcome: { status: 2, result: { payloads: [payload('41')] }, closeTime: 0 },
    });
    const restarted = new Scheduler(later);
    restarted.restore(snapshot);
    later.advanceTo(T0 + 2 * HOUR);
    const info = restarted.describe(NS, 'sched').info!;
    expect(info.runningWorkflows).toEqual([{ workflowId: 'job-2024-01-01T02:00:00Z', runId: 'run-2' }]);
    expect(info.recentActions?.map((a) => a.startWorkflowStatus)).toEqual([2, 1]);
    expect(later.starts[0].lastCompletionResult).toEqual({ payloads: [payload('41')] });
  });

  it('puts deterministic jitter on each time, the same the server computes', () => {
    const jitter = durationFromMs(30 * MINUTE);
    const { host, info } = setUp({ ...hourly(), spec: { ...hourly().spec, jitter } });
    host.advanceTo(T0 + HOUR + 30 * MINUTE);
    const compiled = compilePlainSpec(
      { interval: [{ interval: { seconds: 3600 } }], jitter: { seconds: 1800 } },
      'sched',
      'namespace-id',
    );
    const actual = compiled.actualTime(T0 + HOUR);
    expect(actual).toBeGreaterThanOrEqual(T0 + HOUR);
    expect(actual).toBeLessThan(T0 + HOUR + 30 * MINUTE);
    expect(info().recentActions?.[0].scheduleTime).toEqual(timestampFromMs(actual));
    expect(host.startedIds()).toEqual(['job-2024-01-01T01:00:00Z']);
  });

  it('takes backfills of ALLOW_ALL in batches of 10, a second apart', () => {
    const { host, scheduler } = setUp(hourly({}, { spec: {} }));
    scheduler.patch(NS, 'sched', {
      backfillRequest: [
        {
          startTime: timestampFromMs(T0 - 25 * HOUR),
          endTime: timestampFromMs(T0 - HOUR),
          overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
        },
      ],
    });
    // An empty spec has no times: nothing to backfill.
    expect(host.starts).toHaveLength(0);

    const backfilled = setUp(hourly());
    backfilled.scheduler.patch(NS, 'sched', {
      backfillRequest: [
        {
          startTime: timestampFromMs(T0 - 25 * HOUR),
          endTime: timestampFromMs(T0 - HOUR),
          overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
        },
      ],
    });
    expect(backfilled.host.starts).toHaveLength(10);
    backfilled.host.advance(1000);
    expect(backfilled.host.starts).toHaveLength(20);
    backfilled.host.advance(1000);
    expect(backfilled.host.startedIds().slice(-1)).toEqual(['job-2023-12-31T23:00:00Z']);
    expect(backfilled.host.starts).toHaveLength(25);
    expect(backfilled.host.starts[0].workflowIdReusePolicy).toBe(1); // ALLOW_DUPLICATE for manual starts
  });

  it('stops after its remaining actions and goes away when idle past the retention period', () => {
    const { host, scheduler, info } = setUp(hourly({}, { state: { limitedActions: true, remainingActions: 1 } }));
    host.advanceTo(T0 + HOUR);
    host.close(undefined, { status: 2 });
    host.advanceTo(T0 + 5 * HOUR);
    expect(host.starts).toHaveLength(1);
    expect(info().futureActionTimes ?? []).toEqual([]);
    expect(scheduler.describe(NS, 'sched').schedule?.state?.remainingActions).toBe(0);
    host.advanceTo(T0 + HOUR + 7 * DAY - 1);
    expect(scheduler.snapshot(NS, 'sched')).toBeDefined();
    host.advanceTo(T0 + HOUR + 7 * DAY);
    expect(scheduler.snapshot(NS, 'sched')).toBeUndefined();
    expect(() => scheduler.describe(NS, 'sched')).toThrow('schedule not found');
  });

  it('rejects an update with a stale conflict token, and ignores the old spec after an update', () => {
    const { host, scheduler, info } = setUp(hourly());
    const token = scheduler.describe(NS, 'sched').conflictToken!;
    scheduler.patch(NS, 'sched', { pause: 'wait' });
    expect(() => scheduler.update(NS, 'sched', { schedule: hourly(), conflictToken: 1 })).toThrow(
      'mismatched conflict token',
    );
    expect(Buffer.from(token).readBigInt64BE()).toBe(1n);
    scheduler.update(NS, 'sched', { schedule: hourly(), conflictToken: 2 });
    expect(info().updateTime).toEqual(timestampFromMs(host.nowMs));
    // The update replaced the state too: not paused any more.
    host.advanceTo(T0 + HOUR);
    expect(host.startedIds()).toEqual(['job-2024-01-01T01:00:00Z']);
  });

  it('pauses on a timed-out run when asked to, and passes on the failure of a failed one', () => {
    const { host, scheduler } = setUp(hourly({ pauseOnFailure: true }));
    host.advanceTo(T0 + HOUR);
    host.close(undefined, { status: 7 });
    host.advance(0);
    expect(scheduler.describe(NS, 'sched').schedule?.state).toMatchObject({
      paused: true,
      notes: 'paused due to workflow timeout: job-2024-01-01T01:00:00Z',
    });

    const other = setUp(hourly());
    other.host.advanceTo(T0 + HOUR);
    other.host.close(undefined, { status: 3, failure: { message: 'bad' } });
    other.host.advanceTo(T0 + 2 * HOUR);
    expect(other.host.starts[1].continuedFailure).toEqual({ message: 'bad' });
  });

  it('cancels the open run for CANCEL_OTHER and starts the next only once it has closed', () => {
    const { host, info } = setUp(hourly({ overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER }));
    host.advanceTo(T0 + HOUR);
    host.advanceTo(T0 + 2 * HOUR);
    expect(host.runs[0].cancelRequested).toBe(true);
    expect(host.starts).toHaveLength(1);
    expect(info().bufferSize).toBe(1);
    host.advance(5 * MINUTE);
    host.close(undefined, { status: 4 });
    host.advance(0);
    expect(host.startedIds()).toEqual(['job-2024-01-01T01:00:00Z', 'job-2024-01-01T02:00:00Z']);
    expect(info().recentActions?.map((a) => a.startWorkflowStatus)).toEqual([4, 1]);
  });

  it('counts a trigger that SKIP drops while a run is open', () => {
    const { host, scheduler, info } = setUp(hourly());
    host.advanceTo(T0 + HOUR + MINUTE);
    scheduler.patch(NS, 'sched', {
      triggerImmediately: { overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP },
    });
    expect(info().overlapSkipped).toBe(1);
    scheduler.patch(NS, 'sched', {
      triggerImmediately: { overlapPolicy: OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL },
    });
    expect(host.starts).toHaveLength(2);
    // A retried patch (same request id) is applied once.
    scheduler.patch(NS, 'sched', { pause: 'once' }, 'request-1');
    scheduler.patch(NS, 'sched', { unpause: 'twice' }, 'request-1');
    expect(scheduler.describe(NS, 'sched').schedule?.state?.notes).toBe('once');
  });
});
