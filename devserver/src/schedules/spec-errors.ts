/**
 * The error a bad ScheduleSpec (or legacy cron schedule) raises. The devserver turns it into a
 * gRPC INVALID_ARGUMENT whose message is this error's message, so each one names the field and
 * the offending value and says what would be accepted.
 */
export class ScheduleSpecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A `StartWorkflowExecution.cronSchedule` that robfig/cron's standard parser (which the server uses) refuses. */
export class CronScheduleError extends ScheduleSpecError {}
