/**
 * Helpers for the activities' tests: dependencies a test does not exercise, and running an activity
 * the way the worker does (in an activity context that can heartbeat and be cancelled).
 */
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../activities';
import type { EngineDriver } from '../engines/types';

/** A dependency this test does not use: any call fails loudly instead of doing something unseen. */
export function notUsedHere<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') return undefined;
      return () => {
        throw new Error(`${what}.${String(property)} is not part of this test`);
      };
    },
  });
}

export function depsFor(overrides: Partial<ActivityDeps>): ActivityDeps {
  return {
    engines: () => notUsedHere<EngineDriver>('engines'),
    vm: notUsedHere('vm'),
    backups: notUsedHere('backups'),
    notifier: notUsedHere('notifier'),
    audit: notUsedHere('audit'),
    schedules: notUsedHere('schedules'),
    ...overrides,
  };
}

/** An activity environment whose SDK logging stays quiet (failures are what these tests provoke). */
export function activityEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}

/** What a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
