/**
 * Activities of one run: scheduling, dispatch to workers, heartbeats, retries with backoff, the
 * four timeouts and cancellation, with the real server's events. As on the real server, an
 * attempt's ActivityTaskStarted event is written only when the activity closes, right before its
 * result, so retries leave no trace in history.
 */
import type { temporal } from '@temporalio/proto';
import type { Release, TimerHandle } from '../clock';
import { notFound } from '../errors';
import type { PollContext } from '../matching';
import {
  EventType,
  enums,
  type Failure,
  type Header,
  type Payloads,
  type Plain,
  type RetryPolicy,
  durationFromMs,
  timestampFromMs,
} from '../proto';
import type { Execution, ExternalEvent } from './execution';
import { isRetryableFailure, nextBackoff, type RetryStateValue } from './retry';
import { type ActivityTaskToken, encodeToken } from './tokens';
import type { PollActivityTaskQueueResponse } from './types';

const RetryState = enums.RetryState;
const TimeoutType = enums.TimeoutType;
const TIMEOUT_NAMES: Record<number, string> = {
  1: 'StartToClose',
  2: 'ScheduleToStart',
  3: 'ScheduleToClose',
  4: 'Heartbeat',
};

export const ACTIVITY_NOT_FOUND_MESSAGE =
  'invalid activityID or activity already timed out or invoking workflow is completed';

export interface ActivitySpec {
  activityId: string;
  activityType: string;
  taskQueue: string;
  header?: Header;
  input?: Payloads;
  /** 0 = none, for all four. */
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retryPolicy: RetryPolicy;
  priority?: Plain<temporal.api.common.v1.IPriority>;
}

export interface ActivityInfo {
  scheduledEventId: number;
  spec: ActivitySpec;
  attempt: number;
  phase: 'scheduled' | 'started' | 'backoff';
  firstScheduledTime: number;
  /** When the current attempt was (or will be) scheduled. */
  scheduledTime: number;
  /** Absolute schedule-to-close deadline, 0 = none. */
  expirationTime: number;
  startedTime: number;
  startedIdentity: string;
  requestId: string;
  heartbeatDetails?: Payloads;
  lastHeartbeatTime: number;
  lastFailure?: Failure;
  lastAttemptCompleteTime: number;
  cancelRequested: boolean;
  cancelRequestedEventId: number;
}

interface RuntimeHandles {
  release?: Release;
  /** Spans all attempts. */
  scheduleToClose?: TimerHandle;
  /** Timers of the current attempt (schedule-to-start, start-to-close, heartbeat, retry backoff). */
  attemptTimers: TimerHandle[];
}

export class Activities {
  readonly byScheduledId = new Map<number, ActivityInfo>();
  private readonly runtime = new Map<number, RuntimeHandles>();

  constructor(private readonly exec: Execution) {}

  findByActivityId(activityId: string): ActivityInfo | undefined {
    for (const info of this.byScheduledId.values()) if (info.spec.activityId === activityId) return info;
    return undefined;
  }

  schedule(spec: ActivitySpec, workflowTaskCompletedEventId: number): void {
    const exec = this.exec;
    const event = exec.history.append(
      EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      'activityTaskScheduledEventAttributes',
      {
        activityId: spec.activityId,
        activityType: { name: spec.activityType },
        taskQueue: { name: spec.taskQueue, kind: 1 },
        header: spec.header,
        input: spec.input,
        scheduleToCloseTimeout: durationFromMs(spec.scheduleToCloseMs),
        scheduleToStartTimeout: durationFromMs(spec.scheduleToStartMs),
        startToCloseTimeout: durationFromMs(spec.startToCloseMs),
        heartbeatTimeout: durationFromMs(spec.heartbeatMs),
        workflowTaskCompletedEventId,
        retryPolicy: spec.retryPolicy,
        priority: spec.priority,
      },
    );
    const now = exec.now;
    const info: ActivityInfo = {
      scheduledEventId: event.eventId!,
      spec,
      attempt: 1,
      phase: 'scheduled',
      firstScheduledTime: now,
      scheduledTime: now,
      expirationTime: spec.scheduleToCloseMs ? now + spec.scheduleToCloseMs : 0,
      startedTime: 0,
      startedIdentity: '',
      requestId: '',
      lastHeartbeatTime: 0,
      lastAttemptCompleteTime: 0,
      cancelRequested: false,
      cancelRequestedEventId: 0,
    };
    this.byScheduledId.set(info.scheduledEventId, info);
    const handles: RuntimeHandles = { attemptTimers: [] };
    this.runtime.set(info.scheduledEventId, handles);
    if (info.expirationTime) {
      handles.scheduleToClose = exec.host.clock.scheduleAt(
        info.expirationTime,
        'activity schedule-to-close timeout',
        () => this.onTimeout(info.scheduledEventId, info.attempt, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, true),
      );
    }
    this.dispatch(info);
  }

  /** Queues the current attempt and arms its schedule-to-start timeout. */
  private dispatch(info: ActivityInfo): void {
    const handles = this.runtime.get(info.scheduledEventId)!;
    handles.release ??= this.exec.host.clock.lock();
    const attempt = info.attempt;
    if (info.spec.scheduleToStartMs) {
      this.addTimer(info, info.scheduledTime + info.spec.scheduleToStartMs, 'activity schedule-to-start timeout', () =>
        this.onTimeout(info.scheduledEventId, attempt, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START),
      );
    }
    this.exec.host.matching
      .activityQueue(this.exec.key.namespace, info.spec.taskQueue)
      .add({ start: (poll) => this.start(info.scheduledEventId, attempt, poll) });
  }

  private start(
    scheduledEventId: number,
    attempt: number,
    poll: PollContext,
  ): PollActivityTaskQueueResponse | undefined {
    const exec = this.exec;
    const info = this.byScheduledId.get(scheduledEventId);
    if (!exec.isRunning || !info || info.attempt !== attempt || info.phase !== 'scheduled') return undefined;
    const now = exec.now;
    info.phase = 'started';
    info.startedTime = now;
    info.startedIdentity = poll.identity;
    info.requestId = crypto.randomUUID();
    info.lastHeartbeatTime = now;
    if (info.spec.startToCloseMs) {
      this.addTimer(info, now + info.spec.startToCloseMs, 'activity start-to-close timeout', () =>
        this.onTimeout(scheduledEventId, attempt, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE),
      );
    }
    this.armHeartbeatTimeout(info);
    exec.host.changed(exec.key);
    const token: ActivityTaskToken = {
      kind: 'act',
      namespace: exec.key.namespace,
      workflowId: exec.key.workflowId,
      runId: exec.key.runId,
      scheduledEventId,
      attempt,
      activityId: info.spec.activityId,
    };
    const spec = info.spec;
    return {
      taskToken: encodeToken(token),
      workflowNamespace: exec.key.namespace,
      workflowType: { name: exec.config.workflowType },
      workflowExecution: { workflowId: exec.key.workflowId, runId: exec.key.runId },
      activityType: { name: spec.activityType },
      activityId: spec.activityId,
      header: spec.header,
      input: spec.input,
      heartbeatDetails: info.heartbeatDetails,
      scheduledTime: timestampFromMs(info.firstScheduledTime),
      currentAttemptScheduledTime: timestampFromMs(info.scheduledTime),
      startedTime: timestampFromMs(now),
      attempt,
      scheduleToCloseTimeout: durationFromMs(spec.scheduleToCloseMs),
      startToCloseTimeout: durationFromMs(spec.startToCloseMs),
      heartbeatTimeout: durationFromMs(spec.heartbeatMs),
      retryPolicy: spec.retryPolicy,
      priority: spec.priority,
    };
  }

  private armHeartbeatTimeout(info: ActivityInfo): void {
    if (!info.spec.heartbeatMs) return;
    const { scheduledEventId, attempt } = info;
    const heartbeatAt = info.lastHeartbeatTime;
    this.addTimer(info, heartbeatAt + info.spec.heartbeatMs, 'activity heartbeat timeout', () => {
      const current = this.byScheduledId.get(scheduledEventId);
      // A later heartbeat re-armed the timeout; this one is obsolete.
      if (!current || current.lastHeartbeatTime !== heartbeatAt) return;
      this.onTimeout(scheduledEventId, attempt, TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
    });
  }

  /** The started attempt a token refers to; NotFound when the activity moved on or the run closed. */
  startedAttempt(token: Pick<ActivityTaskToken, 'scheduledEventId' | 'attempt'>): ActivityInfo {
    const info = this.byScheduledId.get(token.scheduledEventId);
    if (!this.exec.isRunning || !info || info.attempt !== token.attempt || info.phase !== 'started') {
      throw notFound(ACTIVITY_NOT_FOUND_MESSAGE);
    }
    return info;
  }

  heartbeat(info: ActivityInfo, details: Payloads | undefined): { cancelRequested: boolean } {
    info.heartbeatDetails = details ?? info.heartbeatDetails;
    info.lastHeartbeatTime = this.exec.now;
    this.armHeartbeatTimeout(info);
    this.exec.host.changed(this.exec.key);
    return { cancelRequested: info.cancelRequested };
  }

  complete(info: ActivityInfo, result: Payloads | undefined, identity: string): void {
    this.close(info, {
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
      key: 'activityTaskCompletedEventAttributes',
      attributes: { result, scheduledEventId: info.scheduledEventId, identity },
      startedFromPrevious: true,
    });
  }

  fail(info: ActivityInfo, failure: Failure | undefined, identity: string, lastHeartbeatDetails?: Payloads): void {
    if (lastHeartbeatDetails) info.heartbeatDetails = lastHeartbeatDetails;
    const retryState = this.retryOrGiveUp(info, failure);
    if (retryState === RetryState.RETRY_STATE_IN_PROGRESS) return;
    this.close(info, {
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
      key: 'activityTaskFailedEventAttributes',
      attributes: { failure, scheduledEventId: info.scheduledEventId, identity, retryState },
      startedFromPrevious: true,
    });
  }

  canceled(info: ActivityInfo, details: Payloads | undefined, identity: string): void {
    this.close(info, {
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
      key: 'activityTaskCanceledEventAttributes',
      attributes: {
        details,
        latestCancelRequestedEventId: info.cancelRequestedEventId,
        scheduledEventId: info.scheduledEventId,
        identity,
      },
      startedFromPrevious: true,
    });
  }

  /** RequestCancelActivityTask command. Returns true when the activity was canceled at once (never started). */
  requestCancel(scheduledEventId: number, workflowTaskCompletedEventId: number): boolean {
    const exec = this.exec;
    const requested = exec.history.append(
      EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
      'activityTaskCancelRequestedEventAttributes',
      { scheduledEventId, workflowTaskCompletedEventId },
    ).eventId!;
    const info = this.byScheduledId.get(scheduledEventId);
    if (!info) return false;
    info.cancelRequested = true;
    info.cancelRequestedEventId = requested;
    if (info.phase === 'started') return false;
    this.remove(info);
    exec.history.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'activityTaskCanceledEventAttributes', {
      details: { payloads: [ACTIVITY_NOT_STARTED_PAYLOAD] },
      latestCancelRequestedEventId: requested,
      scheduledEventId,
    });
    return true;
  }

  /**
   * After a failed attempt: schedules the next one after the backoff and returns IN_PROGRESS, or
   * returns why it will not be retried.
   */
  private retryOrGiveUp(info: ActivityInfo, failure: Failure | undefined): RetryStateValue {
    if (info.cancelRequested) return RetryState.RETRY_STATE_CANCEL_REQUESTED;
    const timeoutType = failure?.timeoutFailureInfo?.timeoutType;
    if (
      timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START ||
      timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
    ) {
      return RetryState.RETRY_STATE_TIMEOUT;
    }
    const policy = info.spec.retryPolicy;
    if (!isRetryableFailure(failure, policy.nonRetryableErrorTypes ?? []))
      return RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    const now = this.exec.now;
    const decision = nextBackoff(policy, info.attempt, failure, now, info.expirationTime);
    if (decision.state !== RetryState.RETRY_STATE_IN_PROGRESS) return decision.state;

    this.clearAttemptTimers(info);
    info.attempt += 1;
    info.phase = 'backoff';
    info.lastFailure = failure;
    info.lastAttemptCompleteTime = now;
    info.scheduledTime = now + decision.delayMs;
    info.startedTime = 0;
    info.startedIdentity = '';
    const handles = this.runtime.get(info.scheduledEventId)!;
    // Waiting for a retry does not hold the clock: time may skip to the next attempt.
    handles.release?.();
    handles.release = undefined;
    const attempt = info.attempt;
    this.addTimer(info, info.scheduledTime, 'activity retry backoff', () =>
      this.endBackoff(info.scheduledEventId, attempt),
    );
    this.exec.host.changed(this.exec.key);
    return RetryState.RETRY_STATE_IN_PROGRESS;
  }

  private endBackoff(scheduledEventId: number, attempt: number): void {
    const current = this.byScheduledId.get(scheduledEventId);
    if (!current || current.attempt !== attempt || current.phase !== 'backoff') return;
    current.phase = 'scheduled';
    this.dispatch(current);
    this.exec.host.changed(this.exec.key);
  }

  private onTimeout(scheduledEventId: number, attempt: number, timeoutType: number, anyAttempt = false): void {
    const info = this.byScheduledId.get(scheduledEventId);
    if (!this.exec.isRunning || !info || (!anyAttempt && info.attempt !== attempt)) return;
    if (timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START && info.phase !== 'scheduled') return;
    if (
      (timeoutType === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE || timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT) &&
      info.phase !== 'started'
    ) {
      return;
    }
    let failure: Failure = timeoutFailure(`activity ${TIMEOUT_NAMES[timeoutType]} timeout`, timeoutType);
    const retryState = this.retryOrGiveUp(info, failure);
    if (retryState === RetryState.RETRY_STATE_IN_PROGRESS) return;
    if (retryState === RetryState.RETRY_STATE_TIMEOUT && timeoutType !== TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START) {
      failure = timeoutFailure(
        timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
          ? 'activity ScheduleToClose timeout'
          : 'Not enough time to schedule next retry before activity ScheduleToClose timeout, giving up retrying',
        TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
      );
    }
    failure.timeoutFailureInfo!.lastHeartbeatDetails = info.heartbeatDetails;
    failure.cause = info.lastFailure;
    this.close(info, {
      eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
      key: 'activityTaskTimedOutEventAttributes',
      attributes: { failure, scheduledEventId, retryState },
      startedFromPrevious: info.phase === 'started',
    });
  }

  /** Removes the activity and records its outcome (after its ActivityTaskStarted when it was running). */
  private close(info: ActivityInfo, outcome: ExternalEvent): void {
    const wasStarted = info.phase === 'started';
    this.remove(info);
    const events: ExternalEvent[] = [];
    if (wasStarted) {
      events.push({
        eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        key: 'activityTaskStartedEventAttributes',
        attributes: {
          scheduledEventId: info.scheduledEventId,
          identity: info.startedIdentity,
          requestId: info.requestId,
          attempt: info.attempt,
          lastFailure: info.lastFailure,
        },
      });
    } else {
      outcome = { ...outcome, startedFromPrevious: false };
    }
    events.push(outcome);
    this.exec.addExternalEvents(events);
    this.exec.host.changed(this.exec.key);
  }

  private remove(info: ActivityInfo): void {
    const handles = this.runtime.get(info.scheduledEventId);
    if (handles) releaseAll(handles);
    this.runtime.delete(info.scheduledEventId);
    this.byScheduledId.delete(info.scheduledEventId);
  }

  private addTimer(info: ActivityInfo, at: number, label: string, fire: () => void): void {
    this.runtime.get(info.scheduledEventId)?.attemptTimers.push(this.exec.host.clock.scheduleAt(at, label, fire));
  }

  private clearAttemptTimers(info: ActivityInfo): void {
    const handles = this.runtime.get(info.scheduledEventId);
    if (!handles) return;
    for (const timer of handles.attemptTimers) timer.cancel();
    handles.attemptTimers = [];
  }

  dispose(): void {
    for (const handles of this.runtime.values()) releaseAll(handles);
    this.runtime.clear();
  }

  snapshot(): ActivityInfo[] {
    return [...this.byScheduledId.values()];
  }

  /** Re-creates timers, clock locks and queue entries of activities restored after a restart. */
  restore(activities: ActivityInfo[]): void {
    for (const info of activities) {
      this.byScheduledId.set(info.scheduledEventId, info);
      const handles: RuntimeHandles = { attemptTimers: [] };
      this.runtime.set(info.scheduledEventId, handles);
      if (info.expirationTime) {
        handles.scheduleToClose = this.exec.host.clock.scheduleAt(
          info.expirationTime,
          'activity schedule-to-close timeout',
          () => this.onTimeout(info.scheduledEventId, info.attempt, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, true),
        );
      }
      const { scheduledEventId, attempt } = info;
      if (info.phase === 'scheduled') {
        this.dispatch(info);
      } else if (info.phase === 'started') {
        handles.release = this.exec.host.clock.lock();
        if (info.spec.startToCloseMs) {
          this.addTimer(info, info.startedTime + info.spec.startToCloseMs, 'activity start-to-close timeout', () =>
            this.onTimeout(scheduledEventId, attempt, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE),
          );
        }
        this.armHeartbeatTimeout(info);
      } else {
        this.addTimer(info, info.scheduledTime, 'activity retry backoff', () =>
          this.endBackoff(scheduledEventId, attempt),
        );
      }
    }
  }

  describe(): Plain<temporal.api.workflow.v1.IPendingActivityInfo>[] {
    return [...this.byScheduledId.values()].map((info) => ({
      activityId: info.spec.activityId,
      activityType: { name: info.spec.activityType },
      state: info.cancelRequested
        ? enums.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
        : info.phase === 'started'
          ? enums.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
          : enums.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
      heartbeatDetails: info.heartbeatDetails,
      lastHeartbeatTime: info.lastHeartbeatTime ? timestampFromMs(info.lastHeartbeatTime) : undefined,
      lastStartedTime: info.startedTime ? timestampFromMs(info.startedTime) : undefined,
      attempt: info.attempt,
      maximumAttempts: info.spec.retryPolicy.maximumAttempts ?? 0,
      scheduledTime: timestampFromMs(info.scheduledTime),
      expirationTime: info.expirationTime ? timestampFromMs(info.expirationTime) : undefined,
      lastFailure: info.lastFailure,
      lastWorkerIdentity: info.startedIdentity || undefined,
      lastAttemptCompleteTime: info.lastAttemptCompleteTime ? timestampFromMs(info.lastAttemptCompleteTime) : undefined,
      nextAttemptScheduleTime: info.phase === 'backoff' ? timestampFromMs(info.scheduledTime) : undefined,
      currentRetryInterval:
        info.phase === 'backoff'
          ? durationFromMs(Math.max(0, info.scheduledTime - info.lastAttemptCompleteTime))
          : undefined,
      activityOptions: {
        taskQueue: { name: info.spec.taskQueue, kind: 1 },
        scheduleToCloseTimeout: durationFromMs(info.spec.scheduleToCloseMs),
        scheduleToStartTimeout: durationFromMs(info.spec.scheduleToStartMs),
        startToCloseTimeout: durationFromMs(info.spec.startToCloseMs),
        heartbeatTimeout: durationFromMs(info.spec.heartbeatMs),
        retryPolicy: info.spec.retryPolicy,
      },
    }));
  }
}

function releaseAll(handles: RuntimeHandles): void {
  handles.scheduleToClose?.cancel();
  for (const timer of handles.attemptTimers) timer.cancel();
  handles.release?.();
}

function timeoutFailure(message: string, timeoutType: number): Failure {
  return { message, source: 'Server', timeoutFailureInfo: { timeoutType } };
}

/** The details the real server records when canceling an activity that never started. */
const ACTIVITY_NOT_STARTED_PAYLOAD = {
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify('ACTIVITY_ID_NOT_STARTED')),
};
