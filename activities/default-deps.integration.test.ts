/**
 * The product's dependencies built from a data directory: where each part keeps its files, and that
 * closing them leaves nodes running for the next worker, which adopts them.
 */
import { Client } from '@temporalio/client';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reapAll } from '../vm/local';
import { readActivitiesConfig } from './config';
import { createDefaultDeps } from './default-deps';
import { TemporalScheduleGateway } from './schedules';

let dataDir: string;
// Never used to connect here: a lazy client only dials when called.
const temporalClient = new Client();
const quiet = () => undefined;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(tmpdir(), 'activities-data-'));
  // Engine users must reach the nodes below it, as in the product's data directory.
  await fs.chmod(dataDir, 0o755);
});

afterAll(async () => {
  if (!dataDir) return;
  try {
    await reapAll(path.join(dataDir, 'vm'));
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});

describe('createDefaultDeps', () => {
  it('keeps nodes, backups and audit logs under the data directory', async () => {
    const config = readActivitiesConfig({ DATA_DIR: dataDir });
    const deps = await createDefaultDeps(config, { temporalClient, logger: quiet });
    try {
      await deps.audit.append('orders', [
        { at: '2026-01-01T00:00:00.000Z', actor: 'a', action: 'deploy', target: 'orders', outcome: 'started' },
      ]);
      await deps.backups.put('orders/b1', Readable.from([Buffer.from('backup bytes')]));
      const node = await deps.vm.provision({
        cluster: 'orders',
        node: 'orders1',
        plan: { cpu: 1, ramMb: 256, diskGb: 1 },
      });
      expect(node.dataDir.startsWith(path.join(dataDir, 'vm') + path.sep)).toBe(true);
      expect(await fs.readFile(path.join(dataDir, 'backups', 'orders', 'b1'), 'utf8')).toBe('backup bytes');
      expect(await fs.readFile(path.join(dataDir, 'audit', 'orders.jsonl'), 'utf8')).toContain('"action":"deploy"');
      expect(deps.engines('valkey').engine).toBe('valkey');
      expect(deps.schedules).toBeInstanceOf(TemporalScheduleGateway);
    } finally {
      await deps.close();
    }
  });

  it("leaves nodes running on close; the next worker's deps adopt them", async () => {
    const deps = await createDefaultDeps(readActivitiesConfig({ DATA_DIR: dataDir }), {
      temporalClient,
      logger: quiet,
    });
    try {
      const processes = await deps.vm.processes();
      expect(processes).toEqual([expect.objectContaining({ key: 'firewall/orders1', running: true })]);
      expect((await deps.vm.describe('orders1'))?.cluster).toBe('orders');
      await deps.vm.deprovision('orders1');
      expect(await deps.vm.processes()).toEqual([]);
    } finally {
      await deps.close();
    }
  });
});
