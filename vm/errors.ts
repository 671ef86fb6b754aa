/**
 * Errors raised by VM providers beyond the shared ones in `engines/errors.ts`. Each names what is wrong
 * and what to do about it.
 */
import { InfraError } from '../engines/errors';

/** The node (or cluster endpoint) is not provisioned by this provider. */
export class UnknownNodeError extends InfraError {
  readonly retryable = false;
}

/** A node, cluster or process name that cannot be used as a directory or file name. */
export class InvalidNameError extends InfraError {
  readonly retryable = false;
}

/** No free port is left in the provider's port range. */
export class PortsExhaustedError extends InfraError {
  readonly retryable = true;
}

/** A process could not be started, or a front did not come up or apply its configuration in time. */
export class ProcessStartError extends InfraError {
  readonly retryable = true;
}

/** The provider's state file is unreadable; it is never overwritten in that case. */
export class ProviderStateError extends InfraError {
  readonly retryable = false;
}

/** A directory an unprivileged engine user must reach is not traversable by that user. */
export class DirectoryNotReachableError extends InfraError {
  readonly retryable = false;
}
