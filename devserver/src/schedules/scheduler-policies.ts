/** The scheduler's fixed limits and the effective values of a schedule's policies. */
import { durationFromMs } from '../proto';
import { OverlapPolicy, type Schedule } from './scheduler-state';
import { type CompiledScheduleSpec, compileScheduleSpec } from './spec';

type ScheduleSpec = NonNullable<Schedule['spec']>;
type ProtoScheduleSpec = Parameters<typeof compileScheduleSpec>[0];

/**
 * Compiles a spec as the devserver holds it (int64 as number). The spec module is typed with the
 * SDK's proto interfaces (int64 as Long) but reads numbers as well, hence the casts both ways.
 */
export function compilePlainSpec(spec: ScheduleSpec, scheduleId: string, namespaceId: string): CompiledScheduleSpec {
  return compileScheduleSpec(spec as ProtoScheduleSpec, scheduleId, { namespaceId });
}

/** The canonical form of a compiled spec, as the devserver holds specs. */
export function canonicalPlainSpec(compiled: CompiledScheduleSpec): ScheduleSpec {
  return compiled.canonical as ScheduleSpec;
}

/** Tunables of the server's scheduler (its CurrentTweakablePolicies). */
export const SCHEDULER_LIMITS = {
  defaultCatchupWindowMs: 365 * 24 * 3600_000,
  minCatchupWindowMs: 10_000,
  /** How long an idle schedule (no more actions) lives on. */
  retentionMs: 7 * 24 * 3600_000,
  recentActionCount: 10,
  futureActionCount: 10,
  recentActionCountForList: 5,
  futureActionCountForList: 5,
  /** Calendars, excludes and intervals shown per list entry. */
  specFieldLengthLimitForList: 10,
  maxBufferSize: 1000,
  backfillsPerIteration: 10,
  /** Pause between batches of ALLOW_ALL backfills. */
  backfillBatchDelayMs: 1000,
} as const;

export function msOf(time: { seconds?: number; nanos?: number } | undefined): number {
  if (!time) return 0;
  return (time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

/** The effective catch-up window: 1 year when unset, at least 10 seconds. */
export function catchupWindowMs(schedule: Schedule): number {
  const window = schedule.policies?.catchupWindow;
  if (!window) return SCHEDULER_LIMITS.defaultCatchupWindowMs;
  return Math.max(msOf(window), SCHEDULER_LIMITS.minCatchupWindowMs);
}

/** A start's overlap policy; UNSPECIFIED means the schedule's, and the schedule's default is SKIP. */
export function resolveOverlapPolicy(schedule: Schedule, policy: number | undefined): number {
  return policy || schedule.policies?.overlapPolicy || OverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP;
}

/**
 * The schedule with every part present and its overlap policy and catch-up window set to their
 * effective values, so that DescribeSchedule shows them (the server's `ensureFields`).
 */
export function withResolvedPolicies(schedule: Schedule): Schedule {
  const policies = schedule.policies ?? {};
  return {
    ...schedule,
    spec: schedule.spec ?? {},
    action: schedule.action ?? {},
    policies: {
      ...policies,
      overlapPolicy: resolveOverlapPolicy(schedule, policies.overlapPolicy),
      catchupWindow: durationFromMs(catchupWindowMs(schedule)),
    },
    state: schedule.state ?? {},
  };
}
