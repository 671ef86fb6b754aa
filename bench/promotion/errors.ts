/** Errors of the promotion benchmark. Each names what went wrong and what to do about it. */
export class PromotionBenchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A command-line flag of `npm run bench:promotion` is unknown or has a bad value. */
export class BenchUsageError extends PromotionBenchError {}

/** The writer's record does not cover a promotion (no acknowledged write before or after it). */
export class IncompleteWriteRecordError extends PromotionBenchError {}

/** The cluster took no further acknowledged write within the benchmark's guard time. */
export class WritesNotResumedError extends PromotionBenchError {}

/** The operation's workflow history lacks what the benchmark reads from it. */
export class HistoryShapeError extends PromotionBenchError {}
