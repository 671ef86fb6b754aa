import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_INTERVAL_MS, whileHeartbeating, withHeartbeats } from './heartbeat';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs `fn` as an activity and collects its heartbeats while `during` moves the clock. */
async function heartbeatsOf<T>(
  fn: () => Promise<T>,
  during: () => Promise<void>,
): Promise<{ result: T; beats: unknown[] }> {
  const environment = new MockActivityEnvironment();
  const beats: unknown[] = [];
  environment.on('heartbeat', (details: unknown) => beats.push(details));
  const running = environment.run(fn) as Promise<T>;
  await during();
  return { result: await running, beats };
}

describe('withHeartbeats', () => {
  it('keeps a quiet activity heartbeating while it runs, and stops when it ends', async () => {
    let finish!: (value: string) => void;
    const activities = withHeartbeats({
      waitForSomething: () => new Promise<string>((resolve) => (finish = resolve)),
    });
    const { result, beats } = await heartbeatsOf(activities.waitForSomething, async () => {
      await vi.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS * 3);
      finish('done');
    });
    expect(result).toBe('done');
    expect(beats).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS * 3);
    expect(beats).toHaveLength(3);
  });

  it('carries the progress a long activity reports instead of blanking it', async () => {
    let finish!: () => void;
    let copied = 0;
    const activities = withHeartbeats({
      copy: () =>
        whileHeartbeating(
          () => new Promise<void>((resolve) => (finish = resolve)),
          () => ({ copied }),
        ),
    });
    const { beats } = await heartbeatsOf(activities.copy, async () => {
      copied = 10;
      await vi.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
      copied = 20;
      await vi.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
      finish();
    });
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.every((beat) => typeof beat === 'object' && beat !== null && 'copied' in beat)).toBe(true);
    expect(beats.at(-1)).toEqual({ copied: 20 });
  });

  it('leaves errors and direct calls (outside an activity) as they are', async () => {
    const activities = withHeartbeats({
      fails: async () => {
        throw new Error('engine said no');
      },
      add: async (a: number, b: number) => a + b,
    });
    await expect(activities.add(2, 3)).resolves.toBe(5);
    await expect(new MockActivityEnvironment().run(activities.fails)).rejects.toThrow('engine said no');
  });
});
