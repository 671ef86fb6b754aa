import { msNumberToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import Long from 'long';
import { describe, expect, it } from 'vitest';
import { HistoryShapeError } from './errors';
import { phaseAt, phaseTimes, spanOf, stretch, timelineOf } from './phases';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A promote history as the server records it: activities scheduled and completed one after another. */
function history(activities: [string, number, number][], closeAt: number): HistoryEvent[] {
  let id = 1;
  const event = (at: number, attributes: HistoryEvent): HistoryEvent => ({
    eventId: Long.fromNumber(id++),
    eventTime: msNumberToTs(at),
    ...attributes,
  });
  const events = [event(1_000, { workflowExecutionStartedEventAttributes: {} })];
  for (const [name, scheduledAt, closedAt] of activities) {
    const scheduled = event(scheduledAt, { activityTaskScheduledEventAttributes: { activityType: { name } } });
    events.push(scheduled, event(closedAt, { activityTaskStartedEventAttributes: {} }));
    events.push(event(closedAt, { activityTaskCompletedEventAttributes: { scheduledEventId: scheduled.eventId } }));
  }
  events.push(event(closeAt, { workflowExecutionCompletedEventAttributes: {} }));
  return events;
}

const PROMOTE: [string, number, number][] = [
  ['nodeHealth', 1_010, 1_050],
  ['fenceNode', 1_060, 1_200],
  ['waitForPosition', 1_220, 1_240],
  ['promoteNode', 1_260, 1_400],
  ['pointEndpoint', 1_420, 1_440],
  ['configureReplica', 1_460, 2_460],
  ['configureReplica', 2_480, 2_980],
  ['takeBackup', 3_000, 4_000],
];

describe('promote timeline from the workflow history', () => {
  it('turns activities into phases, summing repeated ones, with the rest between activities', () => {
    const timeline = timelineOf(history(PROMOTE, 4_020));
    expect(timeline).toMatchObject({ startedAt: 1_000, closedAt: 4_020 });
    const times = phaseTimes(timeline);
    expect(Object.fromEntries(times)).toEqual({
      'health gate': 40,
      fence: 140,
      'catch-up': 20,
      promote: 140,
      'endpoint switch': 20,
      're-point': 1_500,
      'post-promote backup': 1_000,
      between: 3_020 - 2_860,
    });
    expect(spanOf(timeline, 'pointEndpoint')).toMatchObject({ phase: 'endpoint switch', closedAt: 1_440 });
  });

  it('measures fence → endpoint switch and the time between its activities', () => {
    const timeline = timelineOf(history(PROMOTE, 4_020));
    expect(stretch(timeline, 'fenceNode', 'pointEndpoint')).toEqual({ ms: 380, betweenMs: 380 - 320 });
    expect(stretch(timeline, 'fenceNode', 'noSuchActivity')).toBeUndefined();
  });

  it('says which phase ran at a moment', () => {
    const timeline = timelineOf(history(PROMOTE, 4_020));
    expect(phaseAt(timeline, 3_500)).toBe('post-promote backup');
    expect(phaseAt(timeline, 1_210)).toBe('between');
  });

  it('refuses a history that has not ended', () => {
    const events = history(PROMOTE, 4_020).slice(0, -1);
    expect(() => timelineOf(events)).toThrow(HistoryShapeError);
  });
});
