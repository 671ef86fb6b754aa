import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './fixtures/env';
import * as workflows from './fixtures/workflows';

const DAY = 24 * 3600 * 1000;

describe('time skipping (test-server form)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('time-skipping');
  });
  afterAll(async () => {
    await h?.teardown();
  });

  it('completes a workflow that sleeps 30 days, and the workflow sees 30 days pass', async () => {
    const before = await h.env.currentTimeMs();
    const slept = await h.env.client.workflow.execute(workflows.sleeper, {
      taskQueue: h.taskQueue,
      workflowId: 'sleep-30d',
      args: ['30d'],
    });
    expect(slept).toBeGreaterThanOrEqual(30 * DAY);
    expect((await h.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(30 * DAY);
  });

  it('env.sleep moves the clock and fires timers that fall due', async () => {
    const handle = await h.env.client.workflow.start(workflows.sleeper, {
      taskQueue: h.taskQueue,
      workflowId: 'sleep-env',
      args: ['10d'],
    });
    const before = await h.env.currentTimeMs();
    await h.env.sleep('30d');
    expect((await h.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(30 * DAY);
    // The 10-day timer fired during the skip, so the workflow is already done.
    const { status } = await handle.describe();
    expect(status.name).toBe('COMPLETED');
  });

  it('does not skip time while time skipping is locked', async () => {
    const before = await h.env.currentTimeMs();
    await h.env.client.workflow.start(workflows.sleeper, {
      taskQueue: h.taskQueue,
      workflowId: 'sleep-locked',
      args: ['1d'],
    });
    await new Promise((r) => setTimeout(r, 300));
    // Nobody awaited a result or slept: the clock follows the wall clock.
    expect((await h.env.currentTimeMs()) - before).toBeLessThan(DAY);
    await h.env.client.workflow.getHandle('sleep-locked').terminate();
  });
});

describe('real time (dev-server form)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('real-time', { local: true });
  });
  afterAll(async () => {
    await h?.teardown();
  });

  it('runs timers on the wall clock', async () => {
    const wallBefore = Date.now();
    const slept = await h.env.client.workflow.execute(workflows.sleeper, {
      taskQueue: h.taskQueue,
      workflowId: 'real-sleep',
      args: ['1s'],
    });
    expect(slept).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - wallBefore).toBeGreaterThanOrEqual(1000);
    expect(h.env.supportsTimeSkipping).toBe(false);
  });
});
