/**
 * Why the cluster refuses a request, as named ApplicationFailure types. Update validators throw
 * them (nothing is recorded); the API maps each type to an HTTP status in one place
 * (`api/errors.ts`). Deterministic: no I/O here.
 */
import { ApplicationFailure } from '@temporalio/workflow';

export const REFUSALS = {
  /** 400: the request itself is malformed (names the field). */
  InvalidRequestError: 400,
  /** 400: `confirm` does not equal the node's or cluster's name. */
  ConfirmationMismatchError: 400,
  /** 404 */
  NodeNotFoundError: 404,
  BackupNotFoundError: 404,
  ScheduleNotFoundError: 404,
  /** 409: another operation holds the cluster. */
  ClusterBusyError: 409,
  /** 422: a precondition of the operation does not hold. */
  NodeUnhealthyError: 422,
  TerminationProtectedError: 422,
  PrimaryRemovalError: 422,
  UnsupportedOperationError: 422,
  PreconditionFailedError: 422,
} as const;

export type RefusalType = keyof typeof REFUSALS;

export function refuse(type: RefusalType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}
