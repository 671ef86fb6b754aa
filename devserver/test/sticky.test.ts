import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './fixtures/env';
import * as workflows from './fixtures/workflows';

/** Runs several multi-step workflows at once, so a small cache must evict and replay. */
async function runInterleaved(h: Harness, prefix: string, count: number): Promise<number[]> {
  const handles = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      h.env.client.workflow.start(workflows.accumulator, { taskQueue: h.taskQueue, workflowId: `${prefix}-${i}` }),
    ),
  );
  for (let round = 1; round <= 3; round++) {
    for (const handle of handles) await handle.signal(workflows.addSignal, round);
  }
  for (const handle of handles) await handle.signal(workflows.doneSignal);
  return Promise.all(handles.map((handle) => handle.result()));
}

describe.each([
  { maxCachedWorkflows: 0, label: 'no cache (every task replays full history)' },
  { maxCachedWorkflows: 1, label: 'cache of one (evictions, sticky queue fallbacks)' },
])('sticky execution: $label', ({ maxCachedWorkflows }) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(`sticky-${maxCachedWorkflows}`, { worker: { maxCachedWorkflows } });
  });
  afterAll(async () => {
    await h?.teardown();
  });

  it('completes interleaved workflows correctly', async () => {
    const totals = await runInterleaved(h, `interleaved-${maxCachedWorkflows}`, 4);
    expect(totals).toEqual([6, 6, 6, 6]);
  });

  it('answers queries of evicted workflows by replaying them', async () => {
    const a = await h.env.client.workflow.start(workflows.accumulator, {
      taskQueue: h.taskQueue,
      workflowId: `q-a-${maxCachedWorkflows}`,
    });
    const b = await h.env.client.workflow.start(workflows.accumulator, {
      taskQueue: h.taskQueue,
      workflowId: `q-b-${maxCachedWorkflows}`,
    });
    await a.signal(workflows.addSignal, 10);
    await b.signal(workflows.addSignal, 20);
    expect(await a.query(workflows.totalQuery)).toBe(10);
    expect(await b.query(workflows.totalQuery)).toBe(20);
    await a.signal(workflows.doneSignal);
    await b.signal(workflows.doneSignal);
    expect(await a.result()).toBe(10);
    expect(await b.result()).toBe(20);
  });
});

describe('load', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('load');
  });
  afterAll(async () => {
    await h?.teardown();
  });

  it('runs 100 concurrent workflows with activities on one worker', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h.env.client.workflow.execute(workflows.greeting, {
          taskQueue: h.taskQueue,
          workflowId: `load-${i}`,
          args: [`n${i}`],
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => `Hello, n${i}!`));
  });
});
