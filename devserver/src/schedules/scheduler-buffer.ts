/**
 * Which buffered starts to make now, under their overlap policies: the decision the real server
 * makes in `ProcessBuffer` (service/worker/scheduler/buffer.go), written here from its semantics.
 */
import { OverlapPolicy } from './scheduler-state';

export interface OverlapPlan<T> {
  /** ALLOW_ALL starts: all of them may start now, beside whatever runs. */
  overlapping: T[];
  /** The one non-overlapping start to make now, if any. */
  nonOverlapping?: T;
  /** What stays buffered, waiting for the running workflow to close. */
  remaining: T[];
  /** Ask the running workflow(s) to cancel (CANCEL_OTHER). */
  needCancel: boolean;
  /** Terminate the running workflow(s) (TERMINATE_OTHER; wins over cancel). */
  needTerminate: boolean;
  /** Starts dropped by SKIP or BUFFER_ONE. */
  overlapSkipped: number;
}

/**
 * @param isRunning whether a workflow the schedule started (other than ALLOW_ALL ones) is still open
 * @param resolve the effective policy of a start (UNSPECIFIED resolves to the schedule's policy now,
 *   so that a policy change applies to starts already buffered)
 */
export function planBufferedStarts<T extends { overlapPolicy: number }>(
  buffer: readonly T[],
  isRunning: boolean,
  resolve: (policy: number) => number,
): OverlapPlan<T> {
  const plan: OverlapPlan<T> = {
    overlapping: [],
    remaining: [],
    needCancel: false,
    needTerminate: false,
    overlapSkipped: 0,
  };
  for (const start of buffer) {
    const policy = resolve(start.overlapPolicy);
    if (policy === OverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
      plan.overlapping.push(start);
      continue;
    }
    if (!isRunning && plan.nonOverlapping === undefined) {
      plan.nonOverlapping = start;
      continue;
    }
    switch (policy) {
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP:
        plan.overlapSkipped++;
        break;
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
        if (plan.remaining.length === 0) plan.remaining.push(start);
        else plan.overlapSkipped++;
        break;
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
        plan.remaining.push(start);
        break;
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
      case OverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
        if (isRunning) {
          // Kept so that it starts once the running workflow has closed.
          if (policy === OverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER) plan.needCancel = true;
          else plan.needTerminate = true;
          plan.remaining.push(start);
        } else {
          // Nothing runs yet: this start replaces the one chosen a moment ago, which is dropped uncounted.
          plan.nonOverlapping = start;
        }
        break;
    }
  }
  if (plan.needCancel || plan.needTerminate) {
    // The running workflows (these included) would be cancelled or terminated at once; don't start them.
    plan.overlapping = [];
  }
  return plan;
}
