/** Backup schedules: retention by support level over simulated weeks, overlaps, bad schedules. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCluster,
  createWorkflowHarness,
  retireCluster,
  spec,
  waitForState,
  type WorkflowHarness,
} from '../test/workflow-harness';
import { clusterWorkflowId, createScheduleUpdate, stateQuery } from './cluster-api';
import type { BackupEntry } from './types';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => {
  await h?.teardown();
});

const DAY = 24 * 3600 * 1000;
const entity = (name: string) => h.env.client.workflow.getHandle(clusterWorkflowId(name));
const single = (name: string) => spec(name, { mode: 'single', replicas: 0 });

describe('backup schedules', () => {
  it.each([
    [1, 7],
    [2, 14],
    [3, 30],
  ] as const)('daily backups at support level %i expire after %i days', async (supportLevel, days) => {
    const name = `retain${supportLevel}`;
    await createCluster(h, single(name), { settings: { supportLevel } });
    await h.env.sleep(`${days + 5}d`);
    const state = await entity(name).query(stateQuery);
    const daily = state.backups.filter((b: BackupEntry) => b.scheduleId === 'daily' && b.status === 'completed');
    const now = await h.env.currentTimeMs();
    const ages = daily.map((b: BackupEntry) => now - Date.parse(b.finishedAt!));
    expect(Math.max(...ages)).toBeLessThanOrEqual(days * DAY);
    expect(daily.length).toBeGreaterThanOrEqual(days - 1);
    expect(daily.length).toBeLessThanOrEqual(days);
    for (const backup of daily) expect(Date.parse(backup.expiresAt!) - Date.parse(backup.finishedAt!)).toBe(days * DAY);
    await retireCluster(h, name);
  });

  it('overlapping schedules record defunct backups instead of running two at once', async () => {
    await createCluster(h, single('overlap'));
    const a = await entity('overlap').executeUpdate(createScheduleUpdate, {
      args: [{ actor: 'test', cron: '0 * * * *', keep: 3 }],
    });
    const b = await entity('overlap').executeUpdate(createScheduleUpdate, {
      args: [{ actor: 'test', cron: '0 * * * *', keep: 3 }],
    });
    await h.env.sleep('3h');
    const state = await waitForState(h, 'overlap', (s) => !s.operation);
    const byStatus = (id: string, status: string) =>
      state.backups.filter((x) => x.scheduleId === id && x.status === status).length;
    // Each hour one schedule wins the lock and the other records a defunct backup.
    expect(byStatus(a.id, 'completed') + byStatus(b.id, 'completed')).toBeGreaterThanOrEqual(2);
    expect(byStatus(a.id, 'defunct') + byStatus(b.id, 'defunct')).toBeGreaterThanOrEqual(2);
    const defunct = state.backups.find((x) => x.status === 'defunct')!;
    expect(defunct.error).toMatch(/^cluster busy: backup running since /);
    await retireCluster(h, 'overlap');
  });

  it('refuses schedules more often than hourly and bad keep values', async () => {
    await createCluster(h, single('badsched'));
    const err = await entity('badsched')
      .executeUpdate(createScheduleUpdate, { args: [{ actor: 'test', intervalMinutes: 30, keep: 5 }] })
      .catch((e: unknown) => e as Error);
    expect(String((err as { cause?: Error }).cause?.message)).toMatch(/intervalMinutes must be a whole number ≥ 60/);
    const err2 = await entity('badsched')
      .executeUpdate(createScheduleUpdate, { args: [{ actor: 'test', cron: '*/5 * * * *', keep: 5 }] })
      .catch((e: unknown) => e as Error);
    expect(String((err2 as { cause?: Error }).cause?.message)).toMatch(/one fixed minute/);
    const err3 = await entity('badsched')
      .executeUpdate(createScheduleUpdate, { args: [{ actor: 'test', cron: '0 99 * * *', keep: 5 }] })
      .catch((e: unknown) => e as Error);
    expect(String((err3 as { cause?: Error }).cause?.message)).toBe(
      'cron "0 99 * * *" is invalid: hour 99 is out of range 0-23',
    );
    const recorded = await entity('badsched').query(stateQuery);
    expect(recorded.schedules.map((s) => s.id)).toEqual(['daily']);
  });
});
