/**
 * Errors only this driver raises, beyond the shared ones in `engines/errors.ts`.
 */
import { InfraError } from '../errors';

/**
 * A server tool (mariadb-install-db, mariadb-backup, mariadb-dump, ...) failed. Retryable: most causes
 * (a node restarting, a source dropping the connection) pass; the message carries the tool's own
 * words, with every secret removed.
 */
export class ToolFailedError extends InfraError {
  readonly retryable = true;
}

/**
 * A former primary holds transactions its new primary never received, so it cannot simply follow it.
 * The way out is to erase the node and seed it again from a backup of the new primary (resync).
 */
export class ReplicaDivergedError extends InfraError {
  readonly retryable = false;
}
