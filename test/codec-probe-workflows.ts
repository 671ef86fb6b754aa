/**
 * Tiny workflows for the codec's test with the real worker: one takes an Update, a signal and a
 * query and reports its memo and search attributes; one cancels an activity that never started, so
 * the server's own (unencrypted) cancellation details reach the workflow.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

export const setNoteUpdate = defineUpdate<string, [string]>('setNote');
export const noteSignal = defineSignal<[string]>('note');
export const noteQuery = defineQuery<string, [string?]>('note');
export const infoQuery = defineQuery<{ memo: unknown; searchAttributes: unknown }>('info');

export async function codecProbe(initial: string): Promise<string> {
  let note = initial;
  setHandler(setNoteUpdate, (value) => (note = value), { validator: (value) => void value });
  setHandler(noteSignal, (value) => void (note = value));
  setHandler(noteQuery, (suffix) => `${note}${suffix ?? ''}`);
  setHandler(infoQuery, () => ({
    memo: workflowInfo().memo,
    searchAttributes: workflowInfo()
      .typedSearchAttributes.getAll()
      .map((pair) => [pair.key.name, pair.value]),
  }));
  await condition(() => note === 'done');
  return note;
}

/** Cancels an activity nobody polls for and waits for the server to confirm it. */
export async function cancelNotStarted(taskQueue: string): Promise<string> {
  const { neverRuns } = proxyActivities<{ neverRuns(): Promise<void> }>({
    taskQueue,
    startToCloseTimeout: '1 minute',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  try {
    await CancellationScope.withTimeout(100, () => neverRuns());
    return 'ran';
  } catch (err) {
    if (isCancellation(err)) return 'cancelled';
    throw err;
  }
}
