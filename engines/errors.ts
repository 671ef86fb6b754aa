/**
 * Errors raised by engine drivers and VM providers. Each has a stable `name` that activities turn
 * into an ApplicationFailure type, and `retryable` says whether retrying the same call can help.
 * Messages name what is wrong and never contain a password.
 */
export abstract class InfraError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Binary, extension or version not available on this machine. */
export class EngineUnavailableError extends InfraError {
  readonly retryable = false;
}

/** An engine that cannot do what was asked (e.g. multi-master on PostgreSQL). */
export class UnsupportedOperationError extends InfraError {
  readonly retryable = false;
}

/** A host:port that did not answer within the time allowed. */
export class SourceUnreachableError extends InfraError {
  readonly retryable = false;
}

/** Authentication refused. The message names the user, never the password. */
export class BadCredentialsError extends InfraError {
  readonly retryable = false;
}

/** Not enough free disk for what is about to be written. */
export class InsufficientDiskError extends InfraError {
  readonly retryable = false;
}

/** A malformed IP address or CIDR range; the message quotes the offending entry. */
export class InvalidAddressError extends InfraError {
  readonly retryable = false;
}

/** A replica did not reach the wanted position in time. */
export class ReplicationTimeoutError extends InfraError {
  readonly retryable = true;
}

/** A stored backup does not match its recorded checksum or size. */
export class BackupChecksumError extends InfraError {
  readonly retryable = false;
}

/** A backup key the store cannot hold (keys are made by the product, so this is a bug, not bad luck). */
export class InvalidBackupKeyError extends InfraError {
  readonly retryable = false;
}

/** The node's engine is not (yet) answering; retrying later may help. */
export class NodeNotReadyError extends InfraError {
  readonly retryable = true;
}
