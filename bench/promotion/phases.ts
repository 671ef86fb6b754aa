/**
 * Where a promote operation's time goes, read from its workflow history: each activity's span from
 * the server recording it as scheduled to recording its outcome (retries included), by phase. The
 * history's times are the server's, on the same clock as the writer's (same machine).
 */
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { HistoryShapeError } from './errors';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The promote workflow's activities (workflows/promote.ts) and the phase each one is. */
export const PHASE_OF_ACTIVITY: Readonly<Record<string, Phase>> = {
  nodeHealth: 'health gate',
  fenceNode: 'fence',
  waitForPosition: 'catch-up',
  promoteNode: 'promote',
  pointEndpoint: 'endpoint switch',
  configureReplica: 're-point',
  takeBackup: 'post-promote backup',
  // Only when the promotion fails after the fence: the old primary gets its writes back.
  configurePrimary: 'rollback',
};

export const PHASES = [
  'health gate',
  'fence',
  'catch-up',
  'promote',
  'endpoint switch',
  're-point',
  'post-promote backup',
  'rollback',
] as const;
export type Phase = (typeof PHASES)[number];

export interface ActivitySpan {
  activity: string;
  phase: Phase | 'other';
  scheduledAt: number;
  closedAt: number;
  outcome: 'completed' | 'failed' | 'timed out' | 'canceled';
}

export interface OperationTimeline {
  /** Workflow started and closed (epoch ms, server clock). */
  startedAt: number;
  closedAt: number;
  spans: ActivitySpan[];
}

const idOf = (id: unknown) => String(id);

export function timelineOf(events: readonly HistoryEvent[]): OperationTimeline {
  const scheduled = new Map<string, { activity: string; at: number }>();
  const spans: ActivitySpan[] = [];
  let startedAt: number | undefined;
  let closedAt: number | undefined;
  for (const event of events) {
    const at = tsToMs(event.eventTime);
    if (event.workflowExecutionStartedEventAttributes) startedAt = at;
    const closing =
      event.workflowExecutionCompletedEventAttributes ??
      event.workflowExecutionFailedEventAttributes ??
      event.workflowExecutionTimedOutEventAttributes ??
      event.workflowExecutionTerminatedEventAttributes ??
      event.workflowExecutionCanceledEventAttributes;
    if (closing) closedAt = at;
    const schedule = event.activityTaskScheduledEventAttributes;
    if (schedule) {
      scheduled.set(idOf(event.eventId), { activity: schedule.activityType?.name ?? 'unknown', at });
      continue;
    }
    const outcomes: [ActivitySpan['outcome'], { scheduledEventId?: unknown } | null | undefined][] = [
      ['completed', event.activityTaskCompletedEventAttributes],
      ['failed', event.activityTaskFailedEventAttributes],
      ['timed out', event.activityTaskTimedOutEventAttributes],
      ['canceled', event.activityTaskCanceledEventAttributes],
    ];
    for (const [outcome, attributes] of outcomes) {
      if (!attributes) continue;
      const start = scheduled.get(idOf(attributes.scheduledEventId));
      if (!start)
        throw new HistoryShapeError(`activity outcome at event ${idOf(event.eventId)} has no scheduled event`);
      spans.push({
        activity: start.activity,
        phase: PHASE_OF_ACTIVITY[start.activity] ?? 'other',
        scheduledAt: start.at,
        closedAt: at,
        outcome,
      });
    }
  }
  if (startedAt === undefined || closedAt === undefined) {
    throw new HistoryShapeError('the operation history has no start or no close event; was it read before it ended?');
  }
  return { startedAt, closedAt, spans };
}

/** Milliseconds per phase (summed over its activities); `between` is the rest of the workflow's time. */
export function phaseTimes(timeline: OperationTimeline): Map<Phase | 'other' | 'between', number> {
  const times = new Map<Phase | 'other' | 'between', number>();
  let inActivities = 0;
  for (const span of timeline.spans) {
    const ms = span.closedAt - span.scheduledAt;
    times.set(span.phase, (times.get(span.phase) ?? 0) + ms);
    inActivities += ms;
  }
  times.set('between', timeline.closedAt - timeline.startedAt - inActivities);
  return times;
}

/** The first span of an activity type (`undefined` when the operation never ran it). */
export function spanOf(timeline: OperationTimeline, activity: string): ActivitySpan | undefined {
  return timeline.spans.find((span) => span.activity === activity);
}

/** The phase whose activity was running at `at`, or `between` (workflow tasks, the entity) when none was. */
export function phaseAt(timeline: OperationTimeline, at: number): Phase | 'other' | 'between' {
  return timeline.spans.find((span) => span.scheduledAt <= at && at <= span.closedAt)?.phase ?? 'between';
}

/**
 * From the first activity's start to the last one's end (e.g. fence → endpoint switch, the stretch
 * in which no write can succeed): its length and how much of it was spent between activities.
 */
export function stretch(
  timeline: OperationTimeline,
  firstActivity: string,
  lastActivity: string,
): { ms: number; betweenMs: number } | undefined {
  const first = spanOf(timeline, firstActivity);
  const last = spanOf(timeline, lastActivity);
  if (!first || !last) return undefined;
  const inside = timeline.spans.filter((s) => s.scheduledAt >= first.scheduledAt && s.closedAt <= last.closedAt);
  const busy = inside.reduce((sum, s) => sum + (s.closedAt - s.scheduledAt), 0);
  const ms = last.closedAt - first.scheduledAt;
  return { ms, betweenMs: ms - busy };
}
