/**
 * The client side of the workload: `concurrency` lanes, each starting a workflow with
 * `client.workflow.execute` (start, then wait for the result) and starting the next one as soon as
 * it has the result, until `count` workflows have completed.
 */
import type { Client } from '@temporalio/client';
import { StalledRunError, WrongResultError } from './errors';
import type { oneActivity } from './workload/workflows';

/** A run with no workflow completing for this long has stalled; it fails rather than hanging. */
const STALL_TIMEOUT_MS = 60_000;

export interface LoadResult {
  completed: number;
  wallMs: number;
  /** Start-to-result latency of each workflow, in milliseconds. */
  latenciesMs: number[];
}

export async function runLoad(
  client: Client,
  options: { taskQueue: string; idPrefix: string; count: number; concurrency: number },
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let next = 0;
  let failure: unknown;
  let lastProgress = performance.now();

  const lane = async () => {
    while (failure === undefined && next < options.count) {
      const value = `${options.idPrefix}-${next++}`;
      const startedAt = performance.now();
      const result = await client.workflow.execute<typeof oneActivity>('oneActivity', {
        taskQueue: options.taskQueue,
        workflowId: value,
        args: [value],
      });
      if (result !== value) throw new WrongResultError(`workflow ${value} returned ${JSON.stringify(result)}`);
      latenciesMs.push(performance.now() - startedAt);
      lastProgress = performance.now();
    }
  };

  let watchdog: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    watchdog = setInterval(() => {
      if (performance.now() - lastProgress > STALL_TIMEOUT_MS) {
        reject(
          new StalledRunError(`no workflow completed for ${STALL_TIMEOUT_MS / 1000} s (${latenciesMs.length} done)`),
        );
      }
    }, 1000);
  });
  const startedAt = performance.now();
  try {
    await Promise.race([
      Promise.all(
        Array.from({ length: options.concurrency }, () =>
          lane().catch((err: unknown) => {
            failure ??= err;
            throw err;
          }),
        ),
      ),
      stalled,
    ]);
  } finally {
    clearInterval(watchdog);
  }
  return { completed: latenciesMs.length, wallMs: performance.now() - startedAt, latenciesMs };
}
