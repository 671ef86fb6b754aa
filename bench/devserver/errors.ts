/** Errors of the devserver benchmark. Each names what went wrong and what to do about it. */
export class BenchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A command-line flag of `npm run bench:devserver` is unknown or has a bad value. */
export class BenchUsageError extends BenchError {}

/** The devserver did not start, or exited while the benchmark still needed it. */
export class DevserverProcessError extends BenchError {}

/** A worker process did not become ready, or died during a run. */
export class WorkerProcessError extends BenchError {}

/** A workflow returned something other than what its activity should have produced. */
export class WrongResultError extends BenchError {}

/** No workflow completed for a long time: the devserver or the workers stopped making progress. */
export class StalledRunError extends BenchError {}

/** The devserver started on a journal but did not log the `journal recovered` line with its figures. */
export class MissingRecoveryLineError extends BenchError {}
