/**
 * Replays every recorded history (test/histories/, recorded with RECORD_HISTORIES=1 from the
 * workflow tests) against the current workflow code: a change that would break running workflows
 * (non-determinism) fails here.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as productWorkflows from '../workflows/index';
import { PROJECT_ROOT, workflowBundle } from './temporal-env';
import { HISTORIES_DIR } from './workflow-harness';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

describe('recorded histories replay against the current workflow code', () => {
  it('has histories of every workflow the worker runs', async () => {
    const exported = Object.keys(productWorkflows);
    const recorded = new Set(files.map((f) => f.replace(/-\d+\.json$/, '')));
    expect(exported.filter((name) => !recorded.has(name))).toEqual([]);
  });

  it('replays every history without non-determinism', async () => {
    const bundle = await workflowBundle(path.join(PROJECT_ROOT, 'workflows', 'index.ts'), [
      path.join(PROJECT_ROOT, 'activities'),
      path.join(PROJECT_ROOT, 'vm'),
      path.join(PROJECT_ROOT, 'engines'),
    ]);
    const histories = files.map((file) => ({
      workflowId: file,
      history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'))),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories.length).toBeGreaterThanOrEqual(20);
  });
});
