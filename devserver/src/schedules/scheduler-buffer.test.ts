import { describe, expect, it } from 'vitest';
import { planBufferedStarts } from './scheduler-buffer';
import { OverlapPolicy } from './scheduler-state';

const { SCHEDULE_OVERLAP_POLICY_SKIP: SKIP, SCHEDULE_OVERLAP_POLICY_ALLOW_ALL: ALLOW_ALL } = OverlapPolicy;
const BUFFER_ONE = OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE;
const BUFFER_ALL = OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL;
const CANCEL_OTHER = OverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER;
const TERMINATE_OTHER = OverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER;

/** Starts named by letter; `policy` 0 means "the schedule's policy". */
const starts = (policy: number, names = 'abc') => [...names].map((name) => ({ name, overlapPolicy: policy }));
const names = (list: { name: string }[] | undefined) => (list ?? []).map((s) => s.name).join('');
const plan = (buffer: { name: string; overlapPolicy: number }[], isRunning: boolean, schedulePolicy = SKIP) => {
  const result = planBufferedStarts(buffer, isRunning, (p) => p || schedulePolicy);
  return {
    start: names(result.nonOverlapping ? [result.nonOverlapping] : []),
    overlapping: names(result.overlapping),
    remaining: names(result.remaining),
    skipped: result.overlapSkipped,
    cancel: result.needCancel,
    terminate: result.needTerminate,
  };
};

describe('planBufferedStarts', () => {
  it.each([
    // policy, running, start now, kept, skipped, cancel, terminate
    ['SKIP', SKIP, false, 'a', '', 2, false, false],
    ['SKIP', SKIP, true, '', '', 3, false, false],
    ['BUFFER_ONE', BUFFER_ONE, false, 'a', 'b', 1, false, false],
    ['BUFFER_ONE', BUFFER_ONE, true, '', 'a', 2, false, false],
    ['BUFFER_ALL', BUFFER_ALL, false, 'a', 'bc', 0, false, false],
    ['BUFFER_ALL', BUFFER_ALL, true, '', 'abc', 0, false, false],
    // Nothing runs: each later start replaces the chosen one, so only the last starts.
    ['CANCEL_OTHER', CANCEL_OTHER, false, 'c', '', 0, false, false],
    ['CANCEL_OTHER', CANCEL_OTHER, true, '', 'abc', 0, true, false],
    ['TERMINATE_OTHER', TERMINATE_OTHER, false, 'c', '', 0, false, false],
    ['TERMINATE_OTHER', TERMINATE_OTHER, true, '', 'abc', 0, false, true],
  ] as const)('%s with a run open: %s', (_name, policy, running, start, remaining, skipped, cancel, terminate) => {
    expect(plan(starts(policy), running)).toEqual({
      start,
      overlapping: '',
      remaining,
      skipped,
      cancel,
      terminate,
    });
  });

  it('starts every ALLOW_ALL start at once, beside a running workflow', () => {
    expect(plan(starts(ALLOW_ALL), true)).toMatchObject({ overlapping: 'abc', start: '', remaining: '' });
  });

  it('resolves unspecified policies to the schedule policy at planning time', () => {
    expect(plan(starts(0), true, BUFFER_ONE)).toMatchObject({ remaining: 'a', skipped: 2 });
    expect(plan(starts(0), true, ALLOW_ALL)).toMatchObject({ overlapping: 'abc' });
  });

  it('does not start ALLOW_ALL starts that a terminate would end at once', () => {
    const buffer = [...starts(ALLOW_ALL, 'ab'), ...starts(TERMINATE_OTHER, 'c')];
    expect(plan(buffer, true)).toMatchObject({ overlapping: '', remaining: 'c', terminate: true });
  });

  it('mixes policies per start (a trigger with its own policy among scheduled starts)', () => {
    const buffer = [...starts(0, 'a'), ...starts(ALLOW_ALL, 't'), ...starts(0, 'b')];
    expect(plan(buffer, false, SKIP)).toMatchObject({ start: 'a', overlapping: 't', skipped: 1 });
  });
});
