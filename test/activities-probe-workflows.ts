/**
 * Tiny workflows for the activities' worker tests: they call activities through the contract the
 * way the real workflows do and report what reached them.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ClusterActivities, NotificationEvent } from '../activities/contract';

const activities = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '50 ms', backoffCoefficient: 1, maximumAttempts: 3 },
});

export interface ProbedFailure {
  type: string | undefined;
  nonRetryable: boolean;
  retryState: string;
  message: string;
}

/** Checks an engine that cannot be available and returns how the failure arrived. */
export async function probeUnavailableEngine(): Promise<ProbedFailure | 'available'> {
  try {
    await activities.checkEngineAvailable('timescaledb', '99.99');
    return 'available';
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      return {
        type: err.cause.type ?? undefined,
        nonRetryable: err.cause.nonRetryable === true,
        retryState: String(err.retryState),
        message: err.cause.message,
      };
    }
    throw err;
  }
}

export async function probeNotify(event: NotificationEvent): Promise<string> {
  await activities.notify(event);
  return 'notified';
}
