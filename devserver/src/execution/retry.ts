/**
 * Retry policies as the real server applies them to activities and workflows: defaults filled in,
 * validation messages, which failures are retryable, and the next backoff.
 */
import { enums, type Failure, type RetryPolicy, durationFromMs, msFromDuration } from '../proto';

const RetryState = enums.RetryState;
export type RetryStateValue = (typeof RetryState)[keyof typeof RetryState];

export const TIMEOUT_FAILURE_TYPE_PREFIX = 'TemporalTimeout:';
const TIMEOUT_TYPE_NAMES: Record<number, string> = {
  1: 'StartToClose',
  2: 'ScheduleToStart',
  3: 'ScheduleToClose',
  4: 'Heartbeat',
};

/** Fills in the server's defaults (1 s initial, x2, max 100 x initial, unlimited attempts). */
export function withDefaults(policy: RetryPolicy | undefined): RetryPolicy {
  const p: RetryPolicy = { ...(policy ?? {}) };
  const initial = msFromDuration(p.initialInterval) ?? 1000;
  p.initialInterval = durationFromMs(initial);
  if (!msFromDuration(p.maximumInterval)) p.maximumInterval = durationFromMs(initial * 100);
  if (!p.backoffCoefficient) p.backoffCoefficient = 2;
  p.maximumAttempts = p.maximumAttempts ?? 0;
  p.nonRetryableErrorTypes = p.nonRetryableErrorTypes ?? [];
  return p;
}

/** The real server's validation; returns the INVALID_ARGUMENT message or undefined. */
export function retryPolicyProblem(policy: RetryPolicy | undefined): string | undefined {
  if (!policy || policy.maximumAttempts === 1) return undefined;
  if ((policy.initialInterval?.seconds ?? 0) < 0)
    return 'invalid InitialInterval set on retry policy: negative duration';
  if ((policy.backoffCoefficient ?? 2) < 1) return 'BackoffCoefficient cannot be less than 1 on retry policy.';
  const max = msFromDuration(policy.maximumInterval) ?? 0;
  const initial = msFromDuration(policy.initialInterval) ?? 0;
  if (max > 0 && max < initial) return 'MaximumInterval cannot be less than InitialInterval on retry policy.';
  if ((policy.maximumAttempts ?? 0) < 0) return 'MaximumAttempts cannot be negative on retry policy.';
  for (const type of policy.nonRetryableErrorTypes ?? []) {
    if (type.startsWith(TIMEOUT_FAILURE_TYPE_PREFIX)) {
      const name = type.slice(TIMEOUT_FAILURE_TYPE_PREFIX.length);
      if (!Object.values(TIMEOUT_TYPE_NAMES).includes(name)) return `Invalid timeout type value: ${name}.`;
    }
  }
  return undefined;
}

export function isRetryableFailure(failure: Failure | undefined, nonRetryableTypes: readonly string[]): boolean {
  if (!failure) return true;
  if (failure.terminatedFailureInfo || failure.canceledFailureInfo) return false;
  if (failure.timeoutFailureInfo) {
    const type = failure.timeoutFailureInfo.timeoutType ?? 0;
    if (type === 1 || type === 4) {
      return !nonRetryableTypes.includes(TIMEOUT_FAILURE_TYPE_PREFIX + TIMEOUT_TYPE_NAMES[type]);
    }
    return false;
  }
  if (failure.serverFailureInfo) return !failure.serverFailureInfo.nonRetryable;
  if (failure.applicationFailureInfo) {
    if (failure.applicationFailureInfo.nonRetryable) return false;
    return !nonRetryableTypes.includes(failure.applicationFailureInfo.type ?? '');
  }
  return true;
}

export interface BackoffDecision {
  state: RetryStateValue;
  /** Delay before the next attempt, when state is IN_PROGRESS. */
  delayMs: number;
}

/**
 * Whether `attempt` (just failed) gets another try and after how long. `expirationTime` is the
 * absolute deadline (schedule-to-close / execution timeout), 0 for none.
 */
export function nextBackoff(
  policy: RetryPolicy,
  attempt: number,
  failure: Failure | undefined,
  now: number,
  expirationTime: number,
): BackoffDecision {
  const maxAttempts = policy.maximumAttempts ?? 0;
  if (maxAttempts > 0 && attempt >= maxAttempts)
    return { state: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, delayMs: 0 };
  const explicitDelay = msFromDuration(failure?.applicationFailureInfo?.nextRetryDelay);
  let interval: number;
  if (explicitDelay !== undefined) {
    interval = explicitDelay;
  } else {
    const initial = msFromDuration(policy.initialInterval) ?? 1000;
    const coefficient = policy.backoffCoefficient || 2;
    interval = initial * Math.pow(coefficient, attempt - 1);
    const max = msFromDuration(policy.maximumInterval) ?? 0;
    if (max > 0 && (!Number.isFinite(interval) || interval > max)) interval = max;
    if (!Number.isFinite(interval)) return { state: RetryState.RETRY_STATE_TIMEOUT, delayMs: 0 };
  }
  if (expirationTime > 0 && now + interval > expirationTime)
    return { state: RetryState.RETRY_STATE_TIMEOUT, delayMs: 0 };
  return { state: RetryState.RETRY_STATE_IN_PROGRESS, delayMs: Math.max(0, Math.round(interval)) };
}
