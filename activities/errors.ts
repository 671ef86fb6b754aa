/**
 * Errors raised by the activities layer itself (notifications, schedules, configuration). Like the
 * drivers' errors they are InfraErrors with a stable `name`, so the one error mapping in
 * `failures.ts` turns them into ApplicationFailures with the right retry behaviour.
 */
import { InfraError } from '../engines/errors';

/** A notification could not be delivered for a reason that may pass (network, 5xx, SMTP 4xx). */
export class NotificationDeliveryError extends InfraError {
  readonly retryable = true;
}

/** The webhook or mail server refused the notification for good (HTTP 4xx, SMTP 5xx, bad URL). */
export class NotificationRejectedError extends InfraError {
  readonly retryable = false;
}

/** The Temporal Schedule of a backup schedule does not exist (trigger of a deleted schedule). */
export class BackupScheduleNotFoundError extends InfraError {
  readonly retryable = false;
}

/** A backup schedule that cannot become a Temporal Schedule (no interval and no cron, or both). */
export class InvalidBackupScheduleError extends InfraError {
  readonly retryable = false;
}

/** A backup in the catalogue that cannot be restored as recorded (never completed: no size or checksum). */
export class IncompleteBackupError extends InfraError {
  readonly retryable = false;
}

/** An environment variable with a value the product cannot use. Raised at startup, never by an activity. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}
