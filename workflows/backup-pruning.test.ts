/**
 * Keep-N pruning over a month of hourly backups: in a file of its own because it is the longest
 * time-skipping test, so that it runs beside the others instead of after them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCluster,
  createWorkflowHarness,
  retireCluster,
  spec,
  waitForState,
  type WorkflowHarness,
} from '../test/workflow-harness';
import { backupUpdate, clusterWorkflowId, createScheduleUpdate } from './cluster-api';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => {
  await h?.teardown();
});

const entity = (name: string) => h.env.client.workflow.getHandle(clusterWorkflowId(name));
const single = (name: string) => spec(name, { mode: 'single', replicas: 0 });

/**
 * A guard, not an expectation: 720 simulated hours take 35–50 s of wall time on 2 quiet cores and
 * more on a busy machine; the default 60 s would cut a slow but correct run short.
 */
const MONTH_OF_HOURS_GUARD_MS = 300_000;

describe('keep-N pruning', () => {
  it(
    '30 simulated days of an hourly schedule with keep 5 leave exactly 5 of its backups and no manual backup deleted',
    async () => {
      await createCluster(h, single('hourly'));
      await entity('hourly').executeUpdate(backupUpdate, { args: [{ actor: 'test', label: 'keep me' }] });
      await waitForState(h, 'hourly', (s) => !s.operation);
      const schedule = await entity('hourly').executeUpdate(createScheduleUpdate, {
        args: [{ actor: 'test', intervalMinutes: 60, keep: 5 }],
      });

      await h.env.sleep('30d');
      const state = await waitForState(h, 'hourly', (s) => !s.operation);
      const own = state.backups.filter((b) => b.scheduleId === schedule.id);
      expect(own).toHaveLength(5);
      expect(own.every((b) => b.status === 'completed')).toBe(true);
      // They are the newest five, an hour apart.
      const times = own.map((b) => Date.parse(b.startedAt)).sort((a, b) => a - b);
      expect(times[4] - times[0]).toBeLessThan(5 * 3600 * 1000);
      const manual = state.backups.filter((b) => b.kind === 'manual');
      expect(manual.map((b) => b.label)).toEqual(['keep me']);
      expect(h.infra.backups.has(manual[0].key)).toBe(true);
      // Pruned backups are gone from the store too.
      const stored = [...h.infra.backups.keys()].filter((k) => k.startsWith('hourly/'));
      expect(stored.sort()).toEqual(
        state.backups
          .filter((b) => b.status === 'completed')
          .map((b) => b.key)
          .sort(),
      );
      await retireCluster(h, 'hourly');
    },
    MONTH_OF_HOURS_GUARD_MS,
  );
});
