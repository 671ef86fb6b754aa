/**
 * Heartbeating and cancellation. Every activity heartbeats while it runs, so that a worker that dies
 * mid-step is noticed within the workflow's heartbeat timeout (seconds) rather than the step's
 * start-to-close timeout (minutes): a fenced primary must not wait minutes for its promotion to
 * resume. Long activities (backups, restores, copies) also report progress in their heartbeats and
 * learn through them that they were cancelled; then the backup store's streams are destroyed so that
 * the engine tool on the other end stops too.
 */
import { Context } from '@temporalio/activity';
import { addAbortSignal } from 'node:stream';
import type { BackupStore } from '../engines/types';

/** Well under the workflows' heartbeat timeouts (10 s and more); the SDK throttles what it sends. */
export const HEARTBEAT_INTERVAL_MS = 3_000;
/** Progress reports heartbeat at once, but not more often than this (copies report per chunk). */
const PROGRESS_HEARTBEAT_GAP_MS = 1_000;

/** What each running activity's heartbeats carry: its progress, when it reports any. */
const detailsOf = new WeakMap<Context, () => unknown>();

/**
 * Wraps each function of `activities` so that it heartbeats every few seconds while it runs (with
 * its progress details, if `whileHeartbeating` registered any). Outside an activity (direct calls
 * in tests) the functions run unchanged.
 */
export function withHeartbeats<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      const context = currentContext();
      const timer = context && setInterval(() => context.heartbeat(detailsOf.get(context)?.()), HEARTBEAT_INTERVAL_MS);
      timer?.unref();
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as T;
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` with `details()` (progress for callers to show) in the activity's heartbeats: the
 * periodic ones `withHeartbeats` sends, and one at once. `work` calls `progressed()` when `details()` changed: the first change is sent at once (callers
 * learn the unit and total early), later ones at most every second.
 *
 * When the activity is cancelled and the work fails (because it was aborted, or for any reason after
 * the cancellation), the cancellation is what the activity reports. Work that finishes despite a
 * cancellation reports its result: the change happened.
 */
export async function whileHeartbeating<T>(
  work: (signal: AbortSignal, progressed: () => void) => Promise<T>,
  details: () => unknown = () => undefined,
): Promise<T> {
  const context = Context.current();
  detailsOf.set(context, details);
  const signal = context.cancellationSignal;
  let lastBeat = 0;
  let progressSent = false;
  const beat = () => {
    lastBeat = Date.now();
    context.heartbeat(details());
  };
  const progressed = () => {
    if (!progressSent || Date.now() - lastBeat >= PROGRESS_HEARTBEAT_GAP_MS) beat();
    progressSent = true;
  };
  beat();
  try {
    return await work(signal, progressed);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}

/** The store, with every stream it reads or writes destroyed when `signal` aborts. */
export function abortableStore(store: BackupStore, signal: AbortSignal): BackupStore {
  return {
    // Destroying the source (also when already aborted) is what makes the producing tool exit.
    put: (key, data) => store.put(key, addAbortSignal(signal, data)),
    get: (key) => addAbortSignal(signal, store.get(key)),
    verify: (object) => store.verify(object),
    delete: (key) => store.delete(key),
    exists: (key) => store.exists(key),
  };
}
